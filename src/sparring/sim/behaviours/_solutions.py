"""Writing arithmetic solutions step by step, with a per-step error model."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sparring.sim._arith import ArithmeticTask, GoldStep, Operand, apply_op, fmt_num

__all__ = ["ERROR_TYPES", "WrittenStep", "answer_line", "corrupt", "describe", "write_steps"]

ERROR_TYPES = ("calculation", "misread", "wrong_operation")
_FLIP = {"+": "-", "-": "+", "*": "+", "/": "*"}


@dataclass(frozen=True, slots=True)
class WrittenStep:
    """A step as written: operands, operator and (possibly wrong) result."""

    kind: str
    op: str
    a: float
    b: float
    c: float
    error: str | None = None


_CALC_LEADS = ("", "Working it out, ", "Next, ", "Then ", "Computing this part, ")


def describe(
    task: ArithmeticTask, step: WrittenStep, number: int, rng: random.Random | None = None
) -> str:
    """The step as one line of text (``rng`` varies the wording of data-set steps)."""
    a, b, c = fmt_num(step.a), fmt_num(step.b), fmt_num(step.c)
    eq = f"{a} {step.op} {b} = {c}"
    if step.kind == "calc":  # a step read from a data set's solution: no world sentence
        lead = rng.choice(_CALC_LEADS) if rng is not None else ""
        return f"Step {number}: {lead}{eq}."
    items, name = task.items, task.name
    text = {
        "add": f"{name} finds {b} more {items}, so {eq}.",
        "sub": f"{name} gives away {b} {items}, so {eq}.",
        "group_mul": f"The boxes hold {eq} {items}.",
        "group_add": f"Adding the boxes to what {name} had: {eq}.",
        "mul": f"Multiplying the {items} by {b}: {eq}.",
        "div": f"Keeping one of {b} equal groups: {eq}.",
    }.get(step.kind, f"{eq}.")
    return f"Step {number}: {text}"


def _value(operand: Operand, values: list[float]) -> float:
    return float(operand.value) if operand.kind == "const" else values[operand.value]


def corrupt(step: WrittenStep, kind: str, rng: random.Random) -> WrittenStep:
    """The same step with one error of type ``kind`` (falls back to a calculation slip)."""
    if kind == "misread":
        b = step.b + rng.choice((-3, -2, -1, 1, 2, 3))
        c = apply_op(step.op, step.a, b)
        if b > 0 and c >= 0 and c == c and c != step.c:
            return WrittenStep(step.kind, step.op, step.a, b, c, "misread")
    if kind == "wrong_operation":
        op = _FLIP[step.op]
        c = apply_op(op, step.a, step.b)
        if c >= 0 and abs(c - round(c)) < 1e-9 and c != step.c:
            return WrittenStep(step.kind, op, step.a, step.b, c, "wrong_operation")
    delta = rng.choice((-10, -2, -1, 1, 2, 10)) if rng.random() < 0.8 else step.c * 9
    c = step.c + delta
    if c < 0 or c == step.c:
        c = step.c + abs(delta) + 1
    return WrittenStep(step.kind, step.op, step.a, step.b, round(c, 2), "calculation")


def _pick_error(rng: random.Random) -> str:
    r = rng.random()
    return "calculation" if r < 0.5 else ("misread" if r < 0.75 else "wrong_operation")


def write_steps(
    task: ArithmeticTask, rng: random.Random, p_err: float, *, values: list[float] | None = None
) -> list[WrittenStep]:
    """Steps from ``len(values)`` on; ``values`` are results already written (a prefix).

    Each step is wrong with probability ``p_err``; later steps compute on the written (possibly
    wrong) values, as a real solver would.
    """
    vals = list(values or [])
    out: list[WrittenStep] = []
    for gold in task.steps[len(vals) :]:
        out.append(_one_step(gold, vals, rng, p_err))
        vals.append(out[-1].c)
    return out


def _one_step(gold: GoldStep, vals: list[float], rng: random.Random, p_err: float) -> WrittenStep:
    a, b = _value(gold.a, vals), _value(gold.b, vals)
    c = apply_op(gold.op, a, b)
    step = WrittenStep(gold.kind, gold.op, a, b, round(c, 2) if c == c else 0.0)
    if rng.random() < p_err:
        step = corrupt(step, _pick_error(rng), rng)
    return step


def answer_line(answer: str, instructions: str) -> str:
    """The final-answer line in the format the prompt asked for."""
    if "####" in instructions:
        return f"#### {answer}"
    if "\\boxed" in instructions or "boxed{" in instructions:
        return f"The answer is $\\boxed{{{answer}}}$."
    return f"The answer is {answer}."
