"""FOBAR backward reasoning: recover a masked number of a problem from a candidate answer.

The mechanism, stated so tests can check it and readers can judge it: the masked question is
a world problem with one number replaced by an unknown. The actor takes the candidate answer
as the final quantity and undoes the problem's events from the last one back to the masked
number (subtract what was found, add back what was given away, halve what was doubled, and
so on), then solves the masked event for the unknown. Every inverse step slips with the
actor's per-step error for that problem (the same rate as its forward solving), so a correct
candidate leads back to the true number with probability about ``(1 - p) ** k`` for ``k``
inverse steps, while a wrong candidate leads to the true number only by coincidence. For
texts that are not world problems the actor can only guess a small number.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from sparring.sim._arith import ArithmeticTask, GoldStep, Operand, fmt_num, parse_problem
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._reading import parse_number
from sparring.sim.behaviours._actor import per_step_error
from sparring.sim.behaviours._reasoning import start_value

__all__ = ["SENTINEL", "solve_backward", "unmask"]

SENTINEL = 987_654_321
"""Stands in for the unknown while the masked problem is read (never a real quantity)."""

_SYMBOL_RE = re.compile(r"replaced by the unknown (\w+)", re.IGNORECASE)
_UNDO = {"+": "-", "-": "+", "*": "/", "/": "*"}


@dataclass(frozen=True, slots=True)
class _Masked:
    task: ArithmeticTask
    step: int  # index of the gold step holding the unknown; -1 when it is the start value


def unmask(question: str, symbol: str) -> tuple[ArithmeticTask, int] | None:
    """Read a masked world problem: the task (unknown = ``SENTINEL``) and the masked step.

    Returns:
        The task and the index of the gold step whose constant is the unknown (-1 for the
        start value), or None when the text is not a masked world problem.
    """
    text, found = re.subn(rf"\b{re.escape(symbol)}\b", str(SENTINEL), question, count=1)
    task = parse_problem(text) if found else None
    if task is None:
        return None
    if start_value(task) == SENTINEL:
        return task, -1
    for i, step in enumerate(task.steps):
        if SENTINEL in (_const(step.a), _const(step.b)):
            return task, i
    return None


def _show(x: float) -> str:
    return fmt_num(x) if math.isfinite(x) else "undefined"


def _const(operand: Operand) -> int | None:
    return operand.value if operand.kind == "const" else None


def _value(task: ArithmeticTask, operand: Operand) -> float:
    return float(operand.value) if operand.kind == "const" else task.steps[operand.value].result


def _slip(value: float, rng: random.Random, p: float) -> float:
    if rng.random() >= p or not math.isfinite(value):
        return value
    return round(value + rng.choice((-10, -2, -1, 1, 2, 10)), 2)


def _undo(step: GoldStep, task: ArithmeticTask, value: float) -> tuple[float, str]:
    """The running value before ``step``, given the value after it."""
    other = _value(task, step.b)
    op = _UNDO[step.op]
    before = {"-": value - other, "+": value + other, "/": value / other, "*": value * other}[op]
    return before, f"{_show(value)} {op} {_show(other)} = {_show(before)}"


def _solve_masked(task: ArithmeticTask, at: int, value: float) -> tuple[float, str]:
    """The unknown, given the running value right after the masked step ``at``."""
    step = task.steps[at]
    known = step.a if _const(step.b) == SENTINEL else step.b
    other = _value(task, known)
    if step.op == "+":
        x = value - other
        return x, f"{_show(value)} - {_show(other)} = {_show(x)}"
    if step.op == "-":
        x = other - value
        return x, f"{_show(other)} - {_show(value)} = {_show(x)}"
    if step.op == "/":
        x = other / value if value else float("nan")
        return x, f"{_show(other)} / {_show(value)} = {_show(x)}"
    x = value / other if other else float("nan")
    return x, f"{_show(value)} / {_show(other)} = {_show(x)}"


def _work_back(
    masked: _Masked, answer: float, rng: random.Random, p: float
) -> tuple[float, list[str]]:
    task, at = masked.task, masked.step
    value, lines = answer, []
    boxes_hold_x = at >= 0 and task.steps[at].kind == "group_mul"
    stop = at + 1 if boxes_hold_x else at
    for i in range(len(task.steps) - 1, stop, -1):
        step = task.steps[i]
        if step.kind == "group_mul":
            continue
        value, shown = _undo(step, task, value)
        value = _slip(value, rng, p)
        lines.append(f"Undoing step {i + 1}: {shown}.")
    if at < 0:
        return value, lines
    if boxes_hold_x:
        before = _value(task, task.steps[at + 1].a)
        boxes = value - before
        lines.append(f"The boxes hold {_show(value)} - {_show(before)} = {_show(boxes)}.")
        value = _slip(boxes, rng, p)
    x, shown = _solve_masked(task, at, value)
    lines.append(f"Solving the masked step: {shown}.")
    return _slip(x, rng, p), lines


def solve_backward(ctx: SimContext, rng: random.Random) -> str:
    """Work back from the candidate answer to the masked number; end with its value."""
    symbol_match = _SYMBOL_RE.search(ctx.instructions)
    symbol = symbol_match.group(1) if symbol_match else "x"
    read = unmask(ctx.blocks.get("MASKED QUESTION", ""), symbol)
    answer = parse_number(ctx.blocks.get("CANDIDATE ANSWER", "").strip().rstrip("."))
    if read is None or answer is None:
        guess = rng.randint(1, 20)
        return (
            "I cannot work back from this answer with confidence.\n"
            f"The value of {symbol} is {guess}."
        )
    task, at = read
    p = per_step_error(ctx.profile.actor.accuracy, len(task.steps), ctx.temperature)
    x, lines = _work_back(_Masked(task, at), answer, rng, p)
    steps = [f"Step {k + 1}: {line}" for k, line in enumerate(lines)]
    return "\n".join([*steps, f"The value of {symbol} is {_show(x)}."])


register_behaviour(
    "actor.fobar_backward",
    solve_backward,
    detect=lambda c: "MASKED QUESTION" in c.blocks,
    priority=28,
)
