"""Try-again episodes: the actor answers once more after being told (or asked whether) it erred.

The mechanism (``actor.try_again``), grounded in the gold answer and the actor's skill; the
actor reads its own earlier answers from the conversation:

- **A wrong last answer**: it finds the right one with ``refine_gain * accuracy / k``, where
  ``k`` is how many wrong answers it has given so far (told only *that* it erred, not where, it
  fixes less than with a critique, and a problem it keeps failing is likely hard for it).
  Otherwise it gives another wrong answer, avoiding the ones it already tried when it can.
- **A right last answer**: feedback that says it is wrong (unary feedback given in error)
  pushes it off the answer with ``PRESSURE["asserts_error"] * (1 - accuracy / 2)``, as in the
  deceptive-feedback game; feedback that only asks for a check ("there may be an error")
  pushes half as hard.

With the default profile (accuracy 0.6, refine_gain 0.5) the fix chance is 0.30 at the first
retry, 0.15 at the second: accuracy at turn t rises with diminishing returns.
"""

from __future__ import annotations

import random

from sparring.sim._arith import fmt_num
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._reading import final_answer
from sparring.sim.behaviours._actor import solve
from sparring.sim.behaviours._deceptive import PRESSURE
from sparring.sim.behaviours._numeric import gold_number, same, wrong_near
from sparring.sim.behaviours._solutions import answer_line

__all__ = ["ASKS_CHECK", "SAYS_WRONG", "try_again"]

SAYS_WRONG = "Your answer is incorrect. Try again"
"""The cue of unary feedback (``actor/try_again``)."""
ASKS_CHECK = "There may be an error in your answer"
"""The cue of feedback that only asks for a check (``actor/try_again_blind``)."""


def _last_user(ctx: SimContext) -> str:
    users = [m for m in ctx.request.messages if m.get("role") == "user"]
    return str(users[-1].get("content") or "") if users else ""


def _tried(ctx: SimContext) -> list[float | None]:
    return [
        final_answer(str(m.get("content") or ""))
        for m in ctx.request.messages
        if m.get("role") == "assistant"
    ]


def _next_answer(ctx: SimContext, gold: float, rng: random.Random) -> float:
    skill = ctx.profile.actor
    tried = _tried(ctx)
    last = tried[-1] if tried else None
    if same(last, gold):
        push = PRESSURE["asserts_error"] * (1.0 - skill.accuracy / 2.0)
        if SAYS_WRONG.lower() not in _last_user(ctx).lower():
            push /= 2.0
        return wrong_near(gold, rng, tried) if rng.random() < push else gold
    failures = sum(not same(a, gold) for a in tried)
    if rng.random() < skill.refine_gain * skill.accuracy / max(failures, 1):
        return gold
    return wrong_near(gold, rng, tried)


def try_again(ctx: SimContext, rng: random.Random) -> str:
    """Another attempt after feedback: fixed, kept, or another answer (see the module doc)."""
    gold = gold_number(ctx)
    if gold is None:  # nothing to ground a correction in: it solves the problem afresh
        return solve(ctx, rng)
    final = _next_answer(ctx, gold, rng)
    tried = _tried(ctx)
    kept = bool(tried) and same(final, tried[-1])
    lines = [
        "Step 1: I went through the problem again from the start.",
        "Step 2: My earlier result still holds."
        if kept
        else "Step 2: I found where my earlier working went astray and redid it.",
    ]
    if not ctx.malformed(ctx.profile.actor.malformed_rate, rng):
        lines.append(answer_line(fmt_num(final), ctx.instructions))
    return "\n".join(lines)


def _asks_again(ctx: SimContext) -> bool:
    if not ctx.is_follow_up:
        return False
    last = _last_user(ctx).lower()
    return SAYS_WRONG.lower() in last or ASKS_CHECK.lower() in last


register_behaviour("actor.try_again", try_again, detect=_asks_again, priority=5)
