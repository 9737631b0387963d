"""Multi-agent debate: a debater reads the other solutions and keeps or changes its answer.

The mechanism (``actor.debate``), grounded in the task's gold answer and the actor's skill:

- **Checking**: when the right answer is among the solutions it sees (its own or another's),
  the debater recognises it with ``accuracy + (1 - accuracy) / 2`` (checking a worked
  solution is easier than solving, as in the deceptive-feedback game) and gives it.
- **Conformity**: otherwise it is swayed to the others' most common answer, when that differs
  from its own, with ``(1 - accuracy) * share``, where ``share`` is the part of the other
  debaters giving it: a less able debater defers more, and more so to a bigger crowd. This is
  how a right answer is lost (right->wrong) when the debater fails to recognise it.
- Otherwise it keeps its own answer; a debater with no readable answer takes the crowd's.

With three debaters at accuracy 0.6, the plurality after two rounds is right clearly more often
than the plurality of the independent answers, as Du et al. report for arithmetic; with a weak
crowd that shares a wrong answer, conformity turns right debaters wrong.
"""

from __future__ import annotations

import random
import re
from collections import Counter

from sparring.sim._arith import fmt_num
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._reading import final_answer
from sparring.sim.behaviours._numeric import gold_number, same
from sparring.sim.behaviours._solutions import answer_line

__all__ = ["debate", "other_answers"]

_SOLVER_RE = re.compile(r"^Solver \d+:\s*$", re.MULTILINE)


def other_answers(block: str) -> list[float | None]:
    """The final answer of each ``Solver k:`` solution in the OTHER ANSWERS block."""
    return [final_answer(part) for part in _SOLVER_RE.split(block)[1:]]


def _crowd(others: list[float | None]) -> tuple[float | None, float]:
    """The others' most common answer and the share of the others giving it."""
    counts = Counter(fmt_num(a) for a in others if a is not None)
    if not counts or not others:
        return None, 0.0
    top, n = counts.most_common(1)[0]
    return float(top), n / len(others)


def _decide(
    ctx: SimContext, own: float | None, others: list[float | None], rng: random.Random
) -> float | None:
    accuracy = ctx.profile.actor.accuracy
    gold = gold_number(ctx)
    seen = [own, *others]
    checking = accuracy + (1.0 - accuracy) / 2.0
    if any(same(a, gold) for a in seen) and rng.random() < checking:
        return gold
    top, share = _crowd(others)
    if own is None:
        return top
    if top is not None and not same(top, own) and rng.random() < (1.0 - accuracy) * share:
        return top
    return own


def debate(ctx: SimContext, rng: random.Random) -> str:
    """The debater's updated solution: its answer kept, recognised, or taken from the crowd."""
    own = final_answer(ctx.blocks.get("YOUR ANSWER", ""))
    others = other_answers(ctx.blocks.get("OTHER ANSWERS", ""))
    final = _decide(ctx, own, others, rng)
    lines = ["Step 1: I checked each of the other solutions against my own working."]
    lines.append(
        "Step 2: My result holds up, so I keep it."
        if same(final, own)
        else "Step 2: Another solution is better supported, so I change my result."
    )
    if final is not None and not ctx.malformed(ctx.profile.actor.malformed_rate, rng):
        lines.append(answer_line(fmt_num(final), ctx.instructions))
    return "\n".join(lines)


register_behaviour(
    "actor.debate",
    debate,
    detect=lambda c: "OTHER ANSWERS" in c.blocks and "YOUR ANSWER" in c.blocks,
    priority=6,
)
