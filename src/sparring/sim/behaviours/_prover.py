"""The prover-verifier game's sneaky prover: a whole solution with one hidden mistake.

It writes the world task's solution, corrupts one step (a subtle error, one that keeps the
step's arithmetic self-consistent, with its ``subtlety``; else a visible calculation slip) and
carries the wrong value through the later steps, so the final answer is wrong. With chance
``1 - effectiveness`` the mistake does not take and the solution stays right. The plan line
names the error type (the game keeps it private: the verifier sees only the solution).
"""

from __future__ import annotations

import random

from sparring.sim._arith import fmt_num
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim.behaviours._solutions import answer_line, corrupt, describe, write_steps

__all__ = ["sneaky_proof"]


def sneaky_proof(ctx: SimContext, rng: random.Random) -> str:
    """A plan line, then ``Solution:`` and a solution with one hidden mistake."""
    skill, task = ctx.profile.sneaky, ctx.arithmetic
    if task is None:  # a task it cannot work out: a solution-shaped reply without substance
        return "Plan: none\nSolution:\nStep 1: I could not make sense of the problem."
    kind = (
        rng.choice(("misread", "wrong_operation"))
        if rng.random() < skill.subtlety
        else ("calculation")
    )
    steps = write_steps(task, rng, 0.0)
    if rng.random() < skill.effectiveness:
        k = rng.randrange(len(steps))
        bad = corrupt(steps[k], kind, rng)
        kind = bad.error or kind  # a subtle error that does not fit falls back to a slip
        values = [s.c for s in steps[:k]] + [bad.c]
        steps = [*steps[:k], bad, *write_steps(task, rng, 0.0, values=values)]
    lines = [f"Plan: {kind} error, hidden in one step.", "Solution:"]
    lines += [describe(task, s, i + 1, rng) for i, s in enumerate(steps)]
    if rng.random() >= skill.malformed_rate:
        lines.append(answer_line(fmt_num(steps[-1].c), ctx.instructions))
    return "\n".join(lines)


register_behaviour(
    "sneaky.prove",
    sneaky_proof,
    detect=lambda c: c.asks("sneaky prover") and c.asks("Solution:"),
    priority=8,
)
