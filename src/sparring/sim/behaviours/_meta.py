"""The meta-judge: which of two judgments of the same response is better.

Without the judge's rubric it can only prefer the judgment whose score is nearer the truth,
with its ``reliability``. Shown the rubric (a ``RUBRIC`` block, as Meta-Rewarding's prompt
does), it checks each judgment against it: it is right more often (``rubric_reliability``), and
a judgment that breaks the rubric (a score off the rubric's scale or not a whole number) loses
to one that keeps it.
"""

from __future__ import annotations

import random
import re

from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim.behaviours._judging import scale_of, true_quality

__all__ = ["compare_judgments"]

_SCORE_RE = re.compile(r"(?:Score|Rating)\s*:\s*\[*\s*(-?\d+(?:\.\d+)?)")
_RANGE_RE = re.compile(r"whole number from (\d+) to (\d+)")


def _score(judgment: str) -> float | None:
    found = _SCORE_RE.findall(judgment)
    return float(found[-1]) if found else None


def _error(judgment: str, truth: float) -> float:
    score = _score(judgment)
    return abs(score - truth) if score is not None else float("inf")


def _rubric_scale(rubric: str) -> tuple[int, int] | None:
    found = _RANGE_RE.search(rubric)
    return (int(found.group(1)), int(found.group(2))) if found else None


def _breaks(judgment: str, scale: tuple[int, int]) -> bool:
    score = _score(judgment)
    return score is None or score != int(score) or not scale[0] <= score <= scale[1]


def _rubric_choice(ctx: SimContext, rng: random.Random) -> str | None:
    """With a rubric in view: the keeper wins over a judgment that breaks it (None: neither)."""
    scale = _rubric_scale(ctx.blocks["RUBRIC"]) or scale_of(ctx)
    broken = [_breaks(ctx.blocks.get(k, ""), scale) for k in ("JUDGMENT A", "JUDGMENT B")]
    if broken[0] == broken[1]:
        return None
    keeper, breaker = ("B", "A") if broken[0] else ("A", "B")
    return keeper if rng.random() < ctx.profile.meta_judge.rubric_reliability else breaker


def compare_judgments(ctx: SimContext, rng: random.Random) -> str:
    """Prefer the judgment that keeps the rubric and whose score is nearer the truth."""
    skill = ctx.profile.meta_judge
    lo, hi = scale_of(ctx)
    truth = lo + (hi - lo) * true_quality(ctx, ctx.blocks.get("RESPONSE", ""))
    err_a = _error(ctx.blocks.get("JUDGMENT A", ""), truth)
    err_b = _error(ctx.blocks.get("JUDGMENT B", ""), truth)
    has_rubric = "RUBRIC" in ctx.blocks
    reliability = skill.rubric_reliability if has_rubric else skill.reliability
    by_rubric = _rubric_choice(ctx, rng) if has_rubric else None
    if by_rubric is not None:
        choice = by_rubric
        reasoning = (
            f"Judgment {choice} applies the rubric as written; the other gives a score the "
            "rubric does not allow."
        )
    elif abs(err_a - err_b) < 0.25 or err_a == err_b:
        choice = "A" if rng.random() < skill.position_bias else "B"
        reasoning = "The two judgments reach similar conclusions with similar care."
    else:
        better = "A" if err_a < err_b else "B"
        worse = "B" if better == "A" else "A"
        choice = better if rng.random() < reliability else worse
        reasoning = (
            f"Judgment {choice} weighs the response's strengths and faults more "
            f"accurately and its score follows from its analysis."
        )
    if ctx.malformed(skill.malformed_rate, rng):
        return reasoning + " On balance the first one reads a little better."
    return f"{reasoning}\nWinner: Judgment {choice}"


register_behaviour(
    "meta_judge.compare",
    compare_judgments,
    detect=lambda c: "JUDGMENT A" in c.blocks and "JUDGMENT B" in c.blocks,
    priority=30,
)
