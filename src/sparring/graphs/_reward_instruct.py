"""Self-Rewarding's self-instruction step: the actor writes new prompts, the judge filters them.

From the item's prompt and up to ``shots - 1`` seed prompts of the pool (few-shot), the actor
writes ``n`` new tasks (prompt ``actor/self_instruct``, one sampled call). Copies of an
example or of each other are dropped; the judge scores each remaining task (prompt
``judge/instruction_filter``) and those scoring at least ``min_score`` become ``instructions``
records: prompts for the next iteration (``sparring export --format instructions`` writes
them as JSONL that ``sparring run --data`` reads). Every drop is counted in ``refused``
(reasons start with ``instruction:``); unscored filter verdicts are counted, never accepted.
"""

from __future__ import annotations

import operator
import zlib
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from typing_extensions import TypedDict

from sparring.agents import ask_verdicts, parse_verdict, verdict_counts
from sparring.errors import ModelCallError
from sparring.graphs._options import check_range
from sparring.models import Roles
from sparring.prompts import Untrusted, load_prompt

__all__ = [
    "INSTRUCT",
    "InstructOptions",
    "InstructState",
    "InstructionCandidate",
    "InstructionRecord",
    "SelfInstruct",
]

INSTRUCT = "self_instruct"
_PREFIX = "instruction: "


class InstructionRecord(TypedDict):
    """An accepted new prompt (record kind ``instructions``) with its provenance."""

    prompt: str
    meta: dict[str, Any]


class InstructionCandidate(TypedDict):
    """A task the actor wrote, and what became of it.

    Attributes:
        text: The task (None when the output held no tagged task).
        score: The judge's score, or None when not judged or unscored.
        status: ``accepted``, ``rejected``, ``duplicate``, ``unreadable`` or ``unscored``.
    """

    text: str | None
    score: float | None
    status: str


class InstructState(TypedDict, total=False):
    """What the step adds to the state: the accepted prompts and every candidate."""

    instructions: Annotated[list[InstructionRecord], operator.add]
    instruction_candidates: list[InstructionCandidate]


@dataclass(frozen=True)
class InstructOptions:
    """Self-instruction options (see ``create_self_rewarding_graph``)."""

    n: int
    shots: int
    pool: tuple[str, ...]
    min_score: float

    def validate(self) -> None:
        """Raise ``ConfigError`` naming the first option out of range."""
        check_range("self_instruct", self.n, 0, 64, integer=True)
        check_range("instruct_shots", self.shots, 1, 32, integer=True)
        check_range("instruct_min_score", self.min_score, 1.0, 5.0)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _tagged(text: str) -> str | None:
    start, end = text.rfind("<new_task>"), text.rfind("</new_task>")
    if start < 0 or end < start:
        return None
    return text[start + len("<new_task>") : end].strip() or None


class SelfInstruct:
    """The self-instruction node, bound to roles and options."""

    def __init__(self, roles: Roles, options: InstructOptions, technique: str) -> None:
        self.roles, self.o, self.technique = roles, options, technique

    def examples(self, prompt: str) -> list[str]:
        """The item's prompt and ``shots - 1`` pool prompts (chosen by the prompt, stable)."""
        pool = [p for p in self.o.pool if _norm(p) != _norm(prompt)]
        if not pool:
            return [prompt]
        start = zlib.crc32(prompt.encode("utf-8")) % len(pool)
        picked = [pool[(start + k) % len(pool)] for k in range(min(self.o.shots - 1, len(pool)))]
        return [prompt, *picked]

    async def __call__(self, state: dict[str, Any]) -> dict[str, Any]:
        """Write, dedupe and filter new tasks (never raises: failures are counted)."""
        examples = self.examples(state["prompt"])
        block = "\n\n".join(f"Task {i}: {e}" for i, e in enumerate(examples, 1))
        shown = Untrusted(block, "EXAMPLES")
        messages = load_prompt("actor/self_instruct").render(examples=shown)
        try:
            result = await self.roles.complete("actor", messages, n=self.o.n, temperature=0.6)
        except ModelCallError:
            return {"refused": {_PREFIX + "actor error": 1}, "instruction_candidates": []}
        seen = {_norm(e) for e in examples}
        candidates: list[InstructionCandidate] = []
        for text in (_tagged(t) for t in result.texts):
            status = "unreadable" if text is None else "duplicate" if _norm(text) in seen else ""
            candidates.append({"text": text, "score": None, "status": status})
            if text is not None:
                seen.add(_norm(text))
        return await self._filter(state, shown, candidates)

    async def _filter(
        self, state: dict[str, Any], shown: Untrusted, candidates: list[InstructionCandidate]
    ) -> dict[str, Any]:
        template = load_prompt("judge/instruction_filter")
        parse = partial(parse_verdict, kind="pointwise", scale=(1, 5))
        verdicts = []
        records: list[InstructionRecord] = []
        refused: dict[str, int] = {}
        for j, cand in enumerate(candidates):
            if cand["status"] or cand["text"] is None:
                key = _PREFIX + (cand["status"] or "unreadable")
                refused[key] = refused.get(key, 0) + 1
                continue
            messages = template.render(examples=shown, task=Untrusted(cand["text"], "TASK"))
            (verdict,) = await ask_verdicts(
                self.roles, "judge", messages, parse, kind="pointwise", temperature=0.0
            )
            verdicts.append(verdict)
            cand["score"] = verdict.score
            if not verdict.is_scored:
                cand["status"] = "unscored"
            elif verdict.require_score() >= self.o.min_score:
                cand["status"] = "accepted"
                records.append(self._record(state, cand["text"], verdict.require_score(), j))
                continue
            else:
                cand["status"] = "rejected"
            key = _PREFIX + cand["status"]
            refused[key] = refused.get(key, 0) + 1
        update: dict[str, Any] = {"instruction_candidates": candidates, "instructions": records}
        if refused:
            update["refused"] = refused
        update.update(verdict_counts("judge", verdicts))
        return update

    def _record(self, state: dict[str, Any], text: str, score: float, j: int) -> InstructionRecord:
        item = state.get("item_id")
        return {
            "prompt": text,
            "meta": {
                "technique": self.technique,
                "kind": "instruction",
                "source_item": item,
                "id": f"{item or 'item'}-si{j}",
                "judge_score": score,
                "models": {r: self.roles.resolve(r).name for r in ("actor", "judge")},
            },
        }
