"""A run's summary, computed from its store (so ``sparring view`` shows the same as the run).

Health monitors follow B-STaR's split: exploration (how varied the candidates are, pass@k) and
exploitation (how well the judge or verifier separates correct from incorrect candidates).
They are read from items' outputs: ``candidates`` or ``samples`` with ``answer`` / ``correct`` /
``score``, or a judging graph's ``responses`` and mean ``scores`` checked against the item's gold.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Any

from pydantic import BaseModel

from sparring.memory._store import RunStore
from sparring.trace import ModelCallEvent, RetryEvent

__all__ = ["ModelUsage", "RoleUsage", "RunSummary", "summarize"]


class RoleUsage(BaseModel):
    """Tokens, cost and verdict health for one role."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0
    judged: int = 0
    unscored: int = 0
    swaps: int = 0
    swap_agreed: int = 0

    @property
    def swap_agreement(self) -> float | None:
        """Share of this role's both-order comparisons whose orders agreed."""
        return self.swap_agreed / self.swaps if self.swaps else None

    @property
    def unscored_rate(self) -> float | None:
        """Unscored verdicts over verdicts asked (None when the role judged nothing)."""
        return self.unscored / self.judged if self.judged else None


class ModelUsage(BaseModel):
    """Calls, retries and failures for one model."""

    calls: int = 0
    retries: int = 0
    failed: int = 0
    cache_hits: int = 0


class RunSummary(BaseModel):
    """Everything ``sparring view`` prints."""

    status: str
    detail: str | None
    graph: str
    items: dict[str, int]
    unscored_items: int
    input_errors: int
    records: dict[str, int]
    refused: dict[str, int]
    roles: dict[str, RoleUsage]
    models: dict[str, ModelUsage]
    swaps: int
    swap_agreed: int
    exploration: dict[str, float]
    exploitation: dict[str, float]
    length_ratio: float | None

    @property
    def swap_agreement(self) -> float | None:
        """Share of both-order comparisons whose orders agreed."""
        return self.swap_agreed / self.swaps if self.swaps else None


def _usage(store: RunStore) -> tuple[dict[str, RoleUsage], dict[str, ModelUsage]]:
    roles: dict[str, RoleUsage] = defaultdict(RoleUsage)
    models: dict[str, ModelUsage] = defaultdict(ModelUsage)
    for event in store.events():
        if isinstance(event, ModelCallEvent):
            role, model = roles[event.role or "(no role)"], models[event.model]
            role.calls += 1
            model.calls += 1
            model.cache_hits += int(event.cache_hits > 0)
            model.failed += int(event.error is not None)
            role.prompt_tokens += event.prompt_tokens
            role.completion_tokens += event.completion_tokens
            if event.cost_usd is not None:
                role.cost_usd += event.cost_usd
            elif not event.cache_hits and event.error is None:
                role.unpriced_calls += 1
        elif isinstance(event, RetryEvent):
            models[event.model].retries += 1
    return dict(roles), dict(models)


def _auc(pairs: list[tuple[float, bool]]) -> float | None:
    pos = [s for s, ok in pairs if ok]
    neg = [s for s, ok in pairs if not ok]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _from_responses(output: dict[str, Any], gold: str | None) -> list[dict[str, Any]]:
    """Candidates of judging graphs (``responses`` + mean ``scores``), checked against gold."""
    from sparring.verify import extract_answer, is_equiv

    responses = output.get("responses") or []
    means = {
        s.get("index"): s.get("mean") for s in output.get("scores") or [] if isinstance(s, dict)
    }
    out = []
    for i, text in enumerate(responses):
        if not isinstance(text, str):
            continue
        answer = extract_answer(text)
        correct = None if gold is None or answer is None else is_equiv(answer, gold)
        out.append({"answer": answer, "correct": correct, "score": means.get(i)})
    return out


def _candidates(output: dict[str, Any], gold: str | None) -> list[dict[str, Any]]:
    """What an item's output says about its candidates: answer, correct, score."""
    for key in ("candidates", "samples"):
        rows = [c for c in output.get(key) or [] if isinstance(c, dict) and "answer" in c]
        if rows:
            return [
                {
                    "answer": c.get("answer"),
                    "correct": c.get("correct"),
                    "score": c.get("score", c.get("weight")),
                }
                for c in rows
            ]
    return _from_responses(output, gold)


def _health(
    items: list[tuple[dict[str, Any], str | None]],
) -> tuple[dict[str, float], dict[str, float]]:
    distinct, passed, aucs = [], [], []
    for output, gold in items:
        cands = _candidates(output, gold)
        if not cands:
            continue
        answers = {c["answer"] for c in cands if c.get("answer") is not None}
        distinct.append(len(answers))
        flags = [c["correct"] for c in cands if c.get("correct") is not None]
        if flags:
            passed.append(float(any(flags)))
        scored = [
            (float(c["score"]), bool(c["correct"]))
            for c in cands
            if c.get("score") is not None and c.get("correct") is not None
        ]
        if (auc := _auc(scored)) is not None:
            aucs.append(auc)
    exploration = {}
    if distinct:
        exploration["distinct_answers_per_item"] = mean(distinct)
    if passed:
        exploration["pass_at_k"] = mean(passed)
    exploitation = {"judge_auc": mean(aucs), "items": float(len(aucs))} if aucs else {}
    return exploration, exploitation


def _length_ratio(store: RunStore) -> float | None:
    ratios = [
        p["meta"]["chosen_len"] / max(p["meta"]["rejected_len"], 1)
        for p in store.records("pairs")
        if "meta" in p and "chosen_len" in p["meta"]
    ]
    return mean(ratios) if ratios else None


def _unscored_items(store: RunStore, page: int = 1000) -> int:
    count, after = 0, -1
    while rows := store.items(("done",), after=after, limit=page):
        count += sum(1 for r in rows if r["unscored"])
        after = rows[-1]["index"]
    return count


def _attribute_swaps(roles: dict[str, RoleUsage], counters: dict[str, int], graph: str) -> None:
    """Credit the run's swap counters to the role its graph compares with."""
    from sparring.graphs import REGISTRY

    role = REGISTRY[graph].compares if graph in REGISTRY else None
    if role is not None and counters.get("swaps"):
        row = roles.setdefault(role, RoleUsage())
        row.swaps, row.swap_agreed = counters["swaps"], counters.get("swap_agreed", 0)


def summarize(store: RunStore) -> RunSummary:
    """Compute the summary of the run in ``store``."""
    counters = store.counters()
    roles, models = _usage(store)
    for key, value in counters.items():
        group, _, role = key.partition("/")
        if group in ("judged", "unscored"):
            row = roles.setdefault(role, RoleUsage())
            setattr(row, group, getattr(row, group) + value)
    outputs = []
    for index, out in store.outputs():
        item = store.item(index)
        gold = item["input"].get("answer") if item is not None else None
        outputs.append((out, gold))
    exploration, exploitation = _health(outputs)
    _attribute_swaps(roles, counters, str((store.load_config() or {}).get("graph", "")))
    status, detail = store.status()
    config = store.load_config() or {}
    return RunSummary(
        status=status,
        detail=detail,
        graph=str(config.get("graph", "?")),
        items=dict(store.counts()),
        unscored_items=_unscored_items(store),
        input_errors=len(store.input_errors()),
        records={k: sum(1 for _ in store.records(k)) for k in ("pairs", "sft", "rl", "prm")},
        refused={k.split("/", 1)[1]: v for k, v in counters.items() if k.startswith("refused/")},
        roles=roles,
        models=models,
        swaps=counters.get("swaps", 0),
        swap_agreed=counters.get("swap_agreed", 0),
        exploration=exploration,
        exploitation=exploitation,
        length_ratio=_length_ratio(store),
    )
