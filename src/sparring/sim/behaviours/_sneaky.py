"""The sneaky generator: rewrites one correct step into a wrong one."""

from __future__ import annotations

import random

from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._reading import read_steps, split_steps
from sparring.sim.behaviours._solutions import WrittenStep, corrupt, describe

__all__ = ["corrupt_step"]

_PLANS = {
    "calculation": "Slip in the arithmetic of this step so the result is slightly off.",
    "misread": "Use a number that differs a little from the one the problem states.",
    "wrong_operation": "Combine the values with the wrong operation.",
}


def corrupt_step(ctx: SimContext, rng: random.Random) -> str:
    """Pick an error type (subtle ones with set probability) and write the tampered step."""
    skill = ctx.profile.sneaky
    task = ctx.arithmetic
    prefix_lines = split_steps(ctx.blocks.get("PARTIAL SOLUTION", ""))
    step_text = ctx.blocks.get("STEP", "").strip()
    parsed = read_steps(step_text)
    eq = parsed[0] if parsed else None
    kind = (
        rng.choice(("misread", "wrong_operation"))
        if rng.random() < skill.subtlety
        else "calculation"
    )
    if task is None or eq is None or len(prefix_lines) >= len(task.steps):
        new_text = step_text  # nothing it can work with: hands the step back unchanged
    elif rng.random() >= skill.effectiveness:
        new_text = (
            step_text.replace(" so ", " which gives ", 1) if " so " in step_text else step_text
        )
    else:
        gold = task.steps[len(prefix_lines)]
        written = WrittenStep(gold.kind, eq.op, eq.a, eq.b, eq.c)
        new_text = describe(task, corrupt(written, kind, rng), len(prefix_lines) + 1)
    head = f"Error type: {kind}\nPlan: {_PLANS[kind]}"
    if rng.random() < skill.malformed_rate:
        return f"{head}\n{new_text}"
    return f"{head}\nIncorrect step: {new_text}"


register_behaviour(
    "sneaky.corrupt",
    corrupt_step,
    detect=lambda c: "STEP" in c.blocks and c.asks("Incorrect step"),
    priority=22,
)
