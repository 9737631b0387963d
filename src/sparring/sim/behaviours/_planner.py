"""The planner (EvalPlanner style): a plan, its execution, then a pairwise verdict."""

from __future__ import annotations

import random

from sparring.sim._arith import ArithmeticTask
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim.behaviours._judge import pairwise_margin
from sparring.sim.behaviours._judging import pairwise_token

__all__ = ["plan_and_judge"]


def _plan(ctx: SimContext) -> list[str]:
    if isinstance(ctx.task, ArithmeticTask):
        return [
            "1. Work out the correct result myself, one event of the problem at a time.",
            "2. Check each response's steps against those values.",
            "3. Prefer the response whose final answer is right and whose steps hold.",
        ]
    return [
        "1. List what a complete answer to the instruction must contain.",
        "2. Check which of those points each response states, and whether correctly.",
        "3. Penalise padding and wrong details; prefer the more accurate response.",
    ]


def plan_and_judge(ctx: SimContext, rng: random.Random) -> str:
    """Plan, execute the plan on both responses, give a verdict."""
    skill = ctx.profile.planner
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
    execution = (
        "Following the plan, the two responses come out about even."
        if choice == "tie"
        else f"Following the plan, response {choice} meets more of the checks."
    )
    text = "\n".join(["Plan:", *_plan(ctx), "Execution:", execution])
    if ctx.malformed(skill.malformed_rate, rng):
        return text
    return f"{text}\nVerdict: {pairwise_token(ctx, choice, abs(z) > 3.0)}"


register_behaviour(
    "planner.compare",
    plan_and_judge,
    detect=lambda c: "RESPONSE A" in c.blocks and c.asks("Plan:") and c.asks("Execution"),
    priority=35,
)
