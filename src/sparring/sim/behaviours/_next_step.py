"""The actor writing one step at a time (the expansion move of a step-level tree search).

Given a partial solution it writes the next step only, computed on the values the partial
solution holds (right or wrong) with the actor's per-step error rate. The last step comes
with the final-answer line, and a partial solution that already has every step gets only
that line. A task the simulator knows no steps of gets a whole solution in one go, which a
search reads as a finished leaf.
"""

from __future__ import annotations

import random

from sparring.sim._arith import fmt_num
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._reading import read_steps
from sparring.sim.behaviours._actor import per_step_error, solve
from sparring.sim.behaviours._solutions import answer_line, describe, write_steps

__all__ = ["next_step"]


def next_step(ctx: SimContext, rng: random.Random) -> str:
    """The next step of the partial solution, or its final-answer line when it is complete."""
    task = ctx.arithmetic
    if task is None:
        return solve(ctx, rng)
    written = read_steps(ctx.blocks.get("PARTIAL SOLUTION", ""))
    values = [eq.c for eq in written if eq is not None][: len(task.steps)]
    if len(values) >= len(task.steps):
        final = values[-1] if values else 0.0
        return answer_line(fmt_num(final), ctx.instructions)
    p = per_step_error(ctx.profile.actor.accuracy, len(task.steps), ctx.temperature)
    step = write_steps(task, rng, p, values=values)[0]
    line = describe(task, step, len(values) + 1, rng)
    if len(values) + 1 < len(task.steps):
        return line
    # The last step: a model that knows it is done states the answer with it.
    return f"{line}\n{answer_line(fmt_num(step.c), ctx.instructions)}"


register_behaviour(
    "actor.next_step",
    next_step,
    detect=lambda c: "PARTIAL SOLUTION" in c.blocks and c.asks("only the next step"),
    priority=79,
)
