"""Row builders for each trainer format (TRL DPO/KTO/SFT/PRM, OpenRLHF, offline RL, prompts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

__all__ = ["FORMATS", "Format", "rows_for"]

Format = Literal["trl-dpo", "trl-kto", "sft", "openrlhf", "rl", "prm", "prompts", "instructions"]
FORMATS: tuple[Format, ...] = (
    "trl-dpo",
    "trl-kto",
    "sft",
    "openrlhf",
    "rl",
    "prm",
    "prompts",
    "instructions",
)
SOURCE: dict[Format, str] = {
    "trl-dpo": "pairs",
    "trl-kto": "pairs",
    "sft": "sft",
    "openrlhf": "pairs",
    "rl": "rl",
    "prm": "prm",
    "prompts": "items",  # the run's items (prompt + gold answer), not its records
    "instructions": "instructions",  # self-instructed prompts: the next run's --data
}
Row = dict[str, Any]
Refuse = Callable[[str], None]


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def _pair_ok(pair: Row, refuse: Refuse) -> bool:
    chosen, rejected = str(pair.get("chosen", "")), str(pair.get("rejected", ""))
    if not chosen.strip() or not rejected.strip():
        refuse("empty side")
        return False
    if chosen.strip() == rejected.strip():
        refuse("identical sides")
        return False
    return True


def _dpo(records: Iterable[Row], conversational: bool, refuse: Refuse) -> Iterator[Row]:
    for pair in records:
        if not _pair_ok(pair, refuse):
            continue
        if conversational:
            row = {
                "prompt": _user(pair["prompt"]),
                "chosen": _assistant(pair["chosen"]),
                "rejected": _assistant(pair["rejected"]),
            }
        else:
            row = {"prompt": pair["prompt"], "chosen": pair["chosen"], "rejected": pair["rejected"]}
        yield {**row, "_meta": pair.get("meta", {})}


def _kto(records: Iterable[Row], conversational: bool, refuse: Refuse) -> Iterator[Row]:
    seen: set[tuple[str, str, bool]] = set()
    for pair in records:
        if not _pair_ok(pair, refuse):
            continue
        for text, label in ((pair["chosen"], True), (pair["rejected"], False)):
            key = (pair["prompt"], text, label)
            if key in seen:
                continue
            seen.add(key)
            prompt = _user(pair["prompt"]) if conversational else pair["prompt"]
            completion = _assistant(text) if conversational else text
            yield {
                "prompt": prompt,
                "completion": completion,
                "label": label,
                "_meta": pair.get("meta", {}),
            }


def _openrlhf(records: Iterable[Row], conversational: bool, refuse: Refuse) -> Iterator[Row]:
    for row in _dpo(records, conversational, refuse):
        meta = row["_meta"]
        hi, lo = meta.get("chosen_score"), meta.get("rejected_score")
        margin = (
            float(hi - lo) if isinstance(hi, int | float) and isinstance(lo, int | float) else 0.0
        )
        yield {**row, "margin": margin}


def _sft(records: Iterable[Row], conversational: bool, refuse: Refuse) -> Iterator[Row]:
    for rec in records:
        messages = rec.get("messages") or []
        if not messages or not str(messages[-1].get("content", "")).strip():
            refuse("empty target")
            continue
        yield {"messages": messages, "_meta": rec.get("meta", {})}


def _rl(records: Iterable[Row], conversational: bool, refuse: Refuse) -> Iterator[Row]:
    for rec in records:
        if not str(rec.get("answer", "")).strip():
            refuse("empty answer")
            continue
        # The system turn goes in the row (a message, or a column), not only in meta.system.
        system = str((rec.get("meta") or {}).get("system") or _system_turn(rec) or "")
        row: Row = {
            "prompt": _rl_prompt(rec["prompt"], system, conversational),
            "answer": _assistant(rec["answer"]) if conversational else rec["answer"],
            "reward": float(rec["reward"]),
        }
        if not conversational:
            row["system"] = system
        if rec.get("messages"):  # a multi-turn episode: the conversation, a reward per turn
            row["messages"] = rec["messages"]
            row["turn_rewards"] = [float(r) for r in rec.get("turn_rewards") or []]
        yield {**row, "_meta": rec.get("meta", {})}


def _system_turn(rec: Row) -> str | None:
    # A multi-turn episode keeps its system prompt as its first message.
    first = (rec.get("messages") or [{}])[0]
    return str(first.get("content")) if first.get("role") == "system" else None


def _rl_prompt(prompt: str, system: str, conversational: bool) -> Any:
    if not conversational:
        return prompt
    return [{"role": "system", "content": system}, *_user(prompt)] if system else _user(prompt)


def _prompts(records: Iterable[Row], conversational: bool, refuse: Refuse) -> Iterator[Row]:
    # Always chat messages: the system turn must reach GRPO/PPO, which apply the chat template.
    for rec in records:
        yield {"prompt": rec["prompt"], "answer": rec["answer"], "_meta": rec.get("meta", {})}


def _instructions(records: Iterable[Row], conversational: bool, refuse: Refuse) -> Iterator[Row]:
    # Rows that ``sparring run --data`` reads: ``id`` and ``prompt`` (no gold: none is known).
    seen: set[str] = set()
    for rec in records:
        prompt = str(rec.get("prompt", "")).strip()
        key = " ".join(prompt.lower().split())
        if not prompt or key in seen:
            refuse("duplicate prompt" if prompt else "empty prompt")
            continue
        seen.add(key)
        meta = rec.get("meta", {})
        row_id = str(meta.get("id") or f"instruction-{len(seen)}")
        yield {"id": row_id, "prompt": prompt, "_meta": meta}


def _prm(records: Iterable[Row], conversational: bool, refuse: Refuse) -> Iterator[Row]:
    for rec in records:
        steps, labels = rec.get("steps") or [], rec.get("labels") or []
        if not steps or len(steps) != len(labels):
            refuse("labels do not match steps")
            continue
        yield {
            "prompt": rec["prompt"],
            "completions": steps,
            "labels": [bool(x) for x in labels],
            "_meta": rec.get("meta", {}),
        }


_BUILDERS: dict[Format, Callable[[Iterable[Row], bool, Refuse], Iterator[Row]]] = {
    "trl-dpo": _dpo,
    "trl-kto": _kto,
    "openrlhf": _openrlhf,
    "sft": _sft,
    "rl": _rl,
    "prm": _prm,
    "prompts": _prompts,
    "instructions": _instructions,
}


def rows_for(
    fmt: Format, records: Iterable[Row], *, conversational: bool, meta: bool, refuse: Refuse
) -> Iterator[Row]:
    """Rows of ``fmt`` built from store records; ``meta`` keeps a provenance column."""
    for row in _BUILDERS[fmt](records, conversational, refuse):
        provenance = row.pop("_meta")
        if meta:
            row["meta"] = provenance
        yield row
