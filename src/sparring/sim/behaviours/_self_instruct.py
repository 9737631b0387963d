"""Self-instruction (Self-Rewarding): the actor writes new tasks, the judge filters them.

The actor reads the example tasks and writes a new one of the same kind, with its own ground
truth: an arithmetic problem in the world's sentence shapes (its gold steps are read back from
its text), or an instruction about a new invented topic (its hidden rubric follows from the
topic). With chance ``accuracy`` the task is well posed; otherwise it copies an example, or is
ill posed (a problem that gives away more than there is, an instruction with no topic). The
judge tells them apart with its pointwise noise: a well-posed task scores high, others low.
"""

from __future__ import annotations

import random
import re

from sparring.sim._arith import ArithmeticTask, make_problem, parse_problem
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._open import make_instruction, parse_instruction

__all__ = ["examples_of", "filter_task", "is_well_posed", "write_task"]

_EXAMPLE_RE = re.compile(r"^Task \d+:\s*", re.MULTILINE)


def examples_of(block: str) -> list[str]:
    """The example tasks of an ``EXAMPLES`` block (``Task N:`` paragraphs)."""
    return [part.strip() for part in _EXAMPLE_RE.split(block) if part.strip()]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def is_well_posed(task: str, examples: list[str]) -> bool:
    """The ground truth of the filter: a readable, consistent task that copies no example."""
    if _norm(task) in {_norm(e) for e in examples}:
        return False
    problem = parse_problem(task)
    if problem is not None:
        return all(s.result >= 0 and s.result == int(s.result) for s in problem.steps)
    return parse_instruction(task) is not None


def _ill_posed_problem(rng: random.Random) -> str:
    task: ArithmeticTask = make_problem(rng)
    first, rest = task.question.split(". ", 1)
    start = int(first.rsplit(" ", 2)[1])
    taken = start + rng.randint(5, 40)  # more than there ever is: a negative count
    return f"{first}. {task.name} gives {taken} {task.items} to a neighbour. {rest}"


def write_task(ctx: SimContext, rng: random.Random) -> str:
    """A new task in the style of the examples, well posed with the actor's ``accuracy``."""
    examples = examples_of(ctx.blocks.get("EXAMPLES", ""))
    arithmetic = any(parse_problem(e) for e in examples)
    draw = rng.random()
    if draw < ctx.profile.actor.accuracy:
        task = make_problem(rng).question if arithmetic else make_instruction(rng).question
    elif draw < ctx.profile.actor.accuracy + (1 - ctx.profile.actor.accuracy) / 2 and examples:
        task = rng.choice(examples)
    elif arithmetic:
        task = _ill_posed_problem(rng)
    else:
        task = f"Explain how it works to {rng.choice(('a new volunteer', 'a busy manager'))}."
    if ctx.malformed(ctx.profile.actor.malformed_rate, rng):
        return task
    return f"<new_task>\n{task}\n</new_task>"


def filter_task(ctx: SimContext, rng: random.Random) -> str:
    """Score the TASK block: high when well posed, low otherwise, with the judge's noise."""
    skill = ctx.profile.judge
    good = is_well_posed(ctx.blocks.get("TASK", ""), examples_of(ctx.blocks.get("EXAMPLES", "")))
    score = (4.6 if good else 2.0) + rng.gauss(0.0, skill.noise * 1.5)
    shown = min(5, max(1, round(score)))
    reason = (
        "The task is complete and answerable as stated."
        if shown >= 4
        else "The task has a problem: it is unclear, impossible as stated, or a copy."
    )
    if ctx.malformed(skill.malformed_rate, rng):
        return reason
    return f"{reason}\nScore: {shown}"


register_behaviour(
    "actor.self_instruct",
    write_task,
    detect=lambda c: "EXAMPLES" in c.blocks and c.asks("<new_task>"),
    priority=9,
)
register_behaviour(
    "judge.instruction_filter",
    filter_task,
    detect=lambda c: "EXAMPLES" in c.blocks and "TASK" in c.blocks,
    priority=10,
)
