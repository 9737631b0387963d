"""The judge: pointwise scores and pairwise verdicts, with noise, position and verbosity bias."""

from __future__ import annotations

import random

from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim.behaviours._judging import (
    length_log_ratio,
    pairwise_token,
    scale_of,
    true_quality,
)

__all__ = ["pairwise", "pairwise_margin", "pointwise", "pointwise_score"]

_PRAISE = (
    "The response stays on the question and is easy to follow.",
    "It covers the main points a careful answer would include.",
    "The reasoning is laid out clearly.",
)
_FAULTS = (
    "Some parts of the response do not hold up under checking.",
    "It leaves out details that a complete answer needs.",
    "The final result is not supported by the work shown.",
)


def pointwise_score(ctx: SimContext, text: str, rng: random.Random) -> float:
    """A noisy, length-biased score on the prompt's scale (not yet rounded)."""
    skill = ctx.profile.judge
    lo, hi = scale_of(ctx)
    unit = (hi - lo) / 4.0
    noise = skill.noise * (0.5 if "REFERENCE" in ctx.blocks else 1.0)
    score = lo + (hi - lo) * true_quality(ctx, text)
    score += unit * (rng.gauss(0.0, noise) + skill.verbosity_bias * length_log_ratio(ctx, text))
    return min(float(hi), max(float(lo), score))


def _score_text(ctx: SimContext, score: float, rng: random.Random) -> str:
    skill = ctx.profile.judge
    value = round(score * 2) / 2 if rng.random() < skill.decimal_rate else float(round(score))
    shown = f"{value:g}"
    if ctx.asks('"score"', "JSON"):
        return f'{{"score": {shown}}}'
    if ctx.asks("Rating: [["):
        return f"Rating: [[{shown}]]"
    return f"Score: {shown}"


def pointwise(ctx: SimContext, rng: random.Random) -> str:
    """Reasoning, then a final score line."""
    response = ctx.blocks.get("RESPONSE", "")
    score = pointwise_score(ctx, response, rng)
    lo, hi = scale_of(ctx)
    good = (score - lo) / max(hi - lo, 1)
    notes = [rng.choice(_PRAISE) if good >= 0.5 else rng.choice(_FAULTS)]
    notes.append(rng.choice(_PRAISE if good >= 0.75 else _FAULTS))
    reasoning = "Evaluation: " + " ".join(notes)
    if ctx.malformed(ctx.profile.judge.malformed_rate, rng):
        return reasoning + " Overall I would rate it fairly, all things considered."
    return f"{reasoning}\n{_score_text(ctx, score, rng)}"


def pairwise_margin(
    ctx: SimContext,
    a: str,
    b: str,
    rng: random.Random,
    *,
    sharpness: float,
    noise: float,
    position_bias: float,
    verbosity_bias: float,
) -> float:
    """Logit in favour of the first-shown response (positive: A)."""
    gap = true_quality(ctx, a) - true_quality(ctx, b)
    lengths = length_log_ratio(ctx, a) - length_log_ratio(ctx, b)
    if "REFERENCE" in ctx.blocks:
        noise *= 0.5
    return sharpness * gap + position_bias + verbosity_bias * lengths + rng.gauss(0.0, noise)


def pairwise(ctx: SimContext, rng: random.Random) -> str:
    """Compare RESPONSE A and RESPONSE B; end with a verdict token."""
    skill = ctx.profile.judge
    a, b = ctx.blocks.get("RESPONSE A", ""), ctx.blocks.get("RESPONSE B", "")
    z = pairwise_margin(
        ctx,
        a,
        b,
        rng,
        sharpness=skill.sharpness,
        noise=skill.pairwise_noise,
        position_bias=skill.position_bias,
        verbosity_bias=skill.verbosity_bias,
    )
    choice = "tie" if abs(z) < skill.tie_band else ("A" if z > 0 else "B")
    if choice == "tie":
        reasoning = "Both responses are of similar quality; neither is clearly better."
    else:
        loser = "B" if choice == "A" else "A"
        reasoning = (
            f"Response {choice} handles the question more reliably, while response "
            f"{loser} has weaknesses. {rng.choice(_FAULTS)}"
        )
    if ctx.malformed(skill.malformed_rate, rng):
        return reasoning + " I lean one way, but it is a close call."
    return f"{reasoning}\n{pairwise_token(ctx, choice, abs(z) > 3.0)}"


def _is_pairwise(ctx: SimContext) -> bool:
    return "RESPONSE A" in ctx.blocks and "RESPONSE B" in ctx.blocks


register_behaviour("judge.pairwise", pairwise, detect=_is_pairwise, priority=40)
register_behaviour(
    "judge.pointwise",
    pointwise,
    detect=lambda c: "RESPONSE" in c.blocks and c.asks("score", "rating", "rate "),
    priority=50,
)
