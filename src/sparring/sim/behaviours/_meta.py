"""The meta-judge: which of two judgments of the same response is better."""

from __future__ import annotations

import random
import re

from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim.behaviours._judging import scale_of, true_quality

__all__ = ["compare_judgments"]

_SCORE_RE = re.compile(r"(?:Score|Rating)\s*:\s*\[*\s*(-?\d+(?:\.\d+)?)")


def _score(judgment: str) -> float | None:
    found = _SCORE_RE.findall(judgment)
    return float(found[-1]) if found else None


def _error(judgment: str, truth: float) -> float:
    score = _score(judgment)
    return abs(score - truth) if score is not None else float("inf")


def compare_judgments(ctx: SimContext, rng: random.Random) -> str:
    """Prefer the judgment whose score is nearer the truth, with set reliability."""
    skill = ctx.profile.meta_judge
    lo, hi = scale_of(ctx)
    truth = lo + (hi - lo) * true_quality(ctx, ctx.blocks.get("RESPONSE", ""))
    err_a = _error(ctx.blocks.get("JUDGMENT A", ""), truth)
    err_b = _error(ctx.blocks.get("JUDGMENT B", ""), truth)
    if abs(err_a - err_b) < 0.25 or err_a == err_b:
        choice = "A" if rng.random() < skill.position_bias else "B"
        reasoning = "The two judgments reach similar conclusions with similar care."
    else:
        better = "A" if err_a < err_b else "B"
        worse = "B" if better == "A" else "A"
        choice = better if rng.random() < skill.reliability else worse
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
