"""What a call's output means for its role: a judge's score or choice, a critic's flagged step.

The viewer re-reads outputs with the same parsers the graphs use, so what it shows is what the
graph saw. Both-order comparisons are paired up: the second call of a pair shows the first's
candidates swapped, and whether its choice agreed once mapped back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sparring.agents import (
    Choice,
    VerdictKind,
    parse_step_critique,
    parse_step_verdict,
    parse_verdict,
    swap_choice,
)
from sparring.prompts import find_blocks
from sparring.trace import ModelCallEvent

__all__ = ["Reading", "read_calls"]

_JUDGES = frozenset({"judge", "meta_judge", "planner"})
_WIDE_SCALE = (0.0, 100.0)  # display only: never clip a score the graph read on its own scale


@dataclass(frozen=True, slots=True)
class Reading:
    """One call's output, read for its role (``text`` is what the viewer prints)."""

    text: str
    unscored: bool = False
    choice: Choice | None = None


def _pair_labels(event: ModelCallEvent) -> tuple[str, str] | None:
    """The two candidates' texts (A, B) of a pairwise or meta prompt, if it has two."""
    prompt = "\n".join(str(m.get("content", "")) for m in event.messages)
    blocks = [b for b in find_blocks(prompt) if b.label.endswith((" A", " B"))]
    if len(blocks) < 2:
        return None
    by_label = {b.label[-1]: b.body for b in blocks}
    return (by_label["A"], by_label["B"]) if {"A", "B"} <= set(by_label) else None


def _judge_reading(event: ModelCallEvent, output: str) -> Reading:
    pair = _pair_labels(event)
    kind: VerdictKind = (
        "meta" if event.role == "meta_judge" else ("pairwise" if pair else "pointwise")
    )
    verdict = parse_verdict(output, kind, scale=_WIDE_SCALE)
    if verdict.status == "unscored":
        return Reading(f"unscored ({verdict.reason})", unscored=True)
    if verdict.score is not None:
        return Reading(f"score {verdict.score:g}")
    return Reading(f"choice {verdict.choice}", choice=verdict.choice)


def _critic_reading(output: str) -> Reading:
    critique = parse_step_critique(output)
    if critique.status == "unscored":
        return Reading(f"unscored ({critique.reason})", unscored=True)
    wrong = critique.first_wrong
    verdict = "final answer correct" if critique.final_correct else "final answer wrong"
    flagged = f"flags step {wrong + 1}" if wrong is not None else "flags no step"
    return Reading(f"{flagged}; {verdict}")


def _asks_criteria(event: ModelCallEvent) -> bool:
    """Whether a critic call asked for Self-Refine's scored criteria (not a step critique)."""
    prompt = "\n".join(str(m.get("content", "")) for m in event.messages)
    return "Total score:" in prompt and "Completeness:" in prompt


def _criteria_reading(output: str) -> Reading:
    from sparring.graphs._refine_open import parse_criteria_feedback

    read = parse_criteria_feedback(output)
    if read.status == "unscored" or read.total is None or read.top is None:
        return Reading(f"unscored ({read.reason})", unscored=True)
    return Reading(f"total {read.total:g}/{read.top:g}")


def _asks_step_verdict(event: ModelCallEvent) -> bool:
    """Whether a critic call asked for one step's ``<Answer>Correct|Incorrect</Answer>``."""
    prompt = "\n".join(str(m.get("content", "")) for m in event.messages)
    return "<Answer>Correct</Answer>" in prompt


def _step_verdict_reading(output: str) -> Reading:
    verdict = parse_step_verdict(output)
    if verdict.status == "unscored":
        return Reading(f"unscored ({verdict.reason})", unscored=True)
    return Reading("step correct" if verdict.score else "step incorrect")


def _read_one(event: ModelCallEvent, output: str) -> Reading | None:
    if event.role in _JUDGES:
        return _judge_reading(event, output)
    if event.role == "critic":
        if _asks_criteria(event):
            return _criteria_reading(output)
        if _asks_step_verdict(event):
            return _step_verdict_reading(output)
        return _critic_reading(output)
    return None


def _mark_swaps(calls: list[ModelCallEvent], readings: list[Reading | None]) -> None:
    """Annotate the second call of each both-order pair with its order and agreement."""
    seen: dict[tuple[str, str], int] = {}
    for i, event in enumerate(calls):
        pair = _pair_labels(event)
        reading = readings[i]
        if pair is None or reading is None:
            continue
        first = seen.pop((pair[1], pair[0]), None)
        if first is None:
            seen[pair] = i
            readings[i] = Reading(f"{reading.text} [order A/B]", reading.unscored, reading.choice)
            continue
        before = readings[first]
        agree = _agrees(before, reading)
        note = "" if agree is None else ("; orders agree" if agree else "; orders DISAGREE")
        readings[i] = Reading(
            f"{reading.text} [swapped B/A{note}]", reading.unscored, reading.choice
        )


def _agrees(first: Reading | None, second: Reading) -> bool | None:
    """Whether the swapped order's choice, mapped back, is the first order's."""
    if first is None or first.choice is None or second.choice is None:
        return None
    return first.choice == swap_choice(second.choice)


def _read_all(event: ModelCallEvent) -> Reading | None:
    """One reading for all of a call's samples (``score 5, 4, unscored (...)``)."""
    each = [r for r in (_read_one(event, out) for out in event.outputs) if r is not None]
    if not each:
        return None
    if len(each) == 1:
        return each[0]
    text = ", ".join(r.text.removeprefix("score ") if i else r.text for i, r in enumerate(each))
    return Reading(text, unscored=all(r.unscored for r in each), choice=each[0].choice)


def read_calls(calls: list[ModelCallEvent]) -> list[Reading | None]:
    """A reading of each call's outputs (None for roles with nothing to read)."""
    readings = [_read_all(e) for e in calls]
    _mark_swaps(calls, readings)
    return readings
