"""Thought Preference Optimization: private notes, a separator line, then the reply.

The reply is written exactly as ``actor.solve`` would write it (thinking does not change the
simulated actor's skill), so the reply's quality is the world's ground truth as usual. The
notes mention the task but never state a final answer.

Skills used: ``actor.malformed_rate`` is also the chance of leaving out the separator line (the
output then cannot be split into thought and reply, and TPO uses it as a rejected example).
"""

from __future__ import annotations

import random
import re

from sparring.sim._arith import ArithmeticTask
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._open import OpenTask
from sparring.sim.behaviours._actor import solve

__all__ = ["separator_of", "think_then_reply", "write_notes"]

_SEPARATOR_RE = re.compile(r"a line containing only (.+?) and, after it", re.IGNORECASE)
_CHECKS = (
    "Check: the draft skips nothing the question asks for.",
    "Check: re-read the question once more before writing the reply.",
    "Check: keep the reply short and free of filler.",
)


def separator_of(ctx: SimContext) -> str:
    """The separator line the prompt asks for (``<R>`` when it names none)."""
    found = _SEPARATOR_RE.search(ctx.instructions)
    return found.group(1).strip() if found else "<R>"


def write_notes(ctx: SimContext, rng: random.Random) -> str:
    """Working notes about the task: what is asked, a draft plan and a check."""
    task = ctx.task
    if isinstance(task, ArithmeticTask):
        asked = f"Asked: how many {task.items} {task.name} has after {len(task.steps)} changes."
        draft = "Draft: follow the events in order and update the count after each one."
    elif isinstance(task, OpenTask):
        asked = f"Asked: explain the {task.topic} to {task.audience}."
        draft = "Draft: say what it is, how it runs and what a newcomer should know."
    else:
        asked = "Asked: answer the question directly."
        draft = "Draft: state the answer first, then the reasons."
    return "\n".join([asked, draft, rng.choice(_CHECKS)])


def think_then_reply(ctx: SimContext, rng: random.Random) -> str:
    """Notes, the separator line (unless malformed), then the reply."""
    notes = write_notes(ctx, rng)
    reply = solve(ctx, rng)
    if rng.random() < ctx.profile.actor.malformed_rate:
        return f"{notes}\n{reply}"
    return f"{notes}\n{separator_of(ctx)}\n{reply}"


register_behaviour(
    "actor.think_then_reply",
    think_then_reply,
    detect=lambda c: c.asks("private working notes") and c.asks("a line containing only"),
    priority=13,
)
