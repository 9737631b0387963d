"""Self-Taught Evaluator contrast step: write an instruction like the given one, but different.

The simulated actor keeps the form of the world's task and changes what it asks: an arithmetic
problem keeps its person, items and events but gets other quantities (and so another answer);
an open instruction keeps its shape and audience but names another invented topic (and so
another hidden rubric). An answer to the new instruction is therefore a poor answer to the
original one, which is what makes (answer to x, answer to x') a pair with a known winner.

Skills used: ``actor.malformed_rate`` is the chance of leaving out the ``<new_instruction>``
tags (the graph then cannot read the instruction).
"""

from __future__ import annotations

import random
import re

from sparring.sim._arith import ArithmeticTask, make_problem, parse_problem
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._open import OpenTask, parse_instruction

__all__ = ["vary_instruction", "vary_open", "vary_problem", "write_contrast"]

_SYLLABLES = ("ar", "bel", "cor", "dun", "fen", "gal", "hes", "ith", "jor", "kem", "lun", "nor")
# A number of the question, except the group count of a split (changing it breaks divisibility).
_NUMBER_RE = re.compile(r"\b\d+\b(?! equal groups)")


def _whole(task: ArithmeticTask) -> bool:
    return all(s.result >= 0 and abs(s.result - round(s.result)) < 1e-9 for s in task.steps)


def _nudge(value: int, rng: random.Random) -> str:
    return str(max(2, value + rng.choice((-3, -2, 2, 3))))


def vary_problem(task: ArithmeticTask, rng: random.Random) -> str:
    """The same problem with other quantities and another (whole, non-negative) answer."""
    for _ in range(12):
        text = _NUMBER_RE.sub(lambda m: _nudge(int(m.group()), rng), task.question)
        new = parse_problem(text)
        if new is not None and _whole(new) and abs(new.answer - task.answer) > 1e-9:
            return new.question
    return make_problem(rng).question  # no valid variant: another problem of the same kind


def vary_open(task: OpenTask, rng: random.Random) -> str:
    """The same instruction about another invented topic of the same kind."""
    old = task.topic.split(" ", 1)[0]
    for _ in range(12):
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        text = task.question.replace(old, word, 1)
        if word != old and parse_instruction(text) is not None:
            return text
    return task.question.replace(old, old + "ar", 1)


def vary_instruction(ctx: SimContext, rng: random.Random) -> str:
    """A similar but different instruction for the task in the prompt."""
    task = ctx.task
    if isinstance(task, ArithmeticTask):
        return vary_problem(task, rng)
    if isinstance(task, OpenTask):
        return vary_open(task, rng)
    question = ctx.blocks.get("QUESTION", "").strip() or "Describe a familiar routine."
    return f"{question.rstrip('.?!')}, but for the opposite situation."


def write_contrast(ctx: SimContext, rng: random.Random) -> str:
    """The new instruction between ``<new_instruction>`` tags (or, when malformed, without)."""
    text = vary_instruction(ctx, rng)
    if rng.random() < ctx.profile.actor.malformed_rate:
        return f"Here is a related instruction: {text}"
    return f"<new_instruction>\n{text}\n</new_instruction>"


register_behaviour(
    "actor.contrast_instruction",
    write_contrast,
    detect=lambda c: "QUESTION" in c.blocks and c.asks("<new_instruction>"),
    priority=12,
)
