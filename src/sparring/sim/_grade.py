"""Ground truth: how good a response really is, and which of its steps are right.

Judges, critics and meta-judges in the simulator start from these true values and then add
their noise and biases; tests compare what they say with these values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sparring.sim._arith import ArithmeticTask, Operand, apply_op
from sparring.sim._open import OpenTask
from sparring.sim._reading import Equation, final_answer, read_steps

__all__ = ["StepTruth", "Task", "check_steps", "quality", "word_count"]

Task = ArithmeticTask | OpenTask
ErrorType = Literal["calculation", "misread", "wrong_operation", "extra", "unreadable"]


@dataclass(frozen=True, slots=True)
class StepTruth:
    """Whether one written step is right, and if not, how it is wrong.

    ``subtle`` marks errors whose arithmetic is self-consistent (harder to spot).
    """

    correct: bool
    error: ErrorType | None = None

    @property
    def subtle(self) -> bool:
        """Whether the step's own arithmetic checks out although the step is wrong."""
        return self.error in ("misread", "wrong_operation")


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-6 * max(1.0, abs(y))


def _resolve(operand: Operand, values: list[float]) -> float | None:
    if operand.kind == "const":
        return float(operand.value)
    return values[operand.value] if operand.value < len(values) else None


def _judge_step(eq: Equation, task: ArithmeticTask, i: int, values: list[float]) -> StepTruth:
    gold = task.steps[i]
    exp_a, exp_b = _resolve(gold.a, values), _resolve(gold.b, values)
    arith_ok = _close(apply_op(eq.op, eq.a, eq.b), eq.c)
    same = exp_a is not None and exp_b is not None and _close(eq.a, exp_a) and _close(eq.b, exp_b)
    swapped = (
        gold.op in "+*"
        and exp_a is not None
        and exp_b is not None
        and _close(eq.a, exp_b)
        and _close(eq.b, exp_a)
    )
    operands_ok = same or swapped
    op_ok = eq.op == gold.op
    if arith_ok and operands_ok and op_ok:
        return StepTruth(True)
    if not arith_ok:
        return StepTruth(False, "calculation")
    return StepTruth(False, "wrong_operation" if not op_ok else "misread")


def check_steps(task: ArithmeticTask, text: str) -> list[StepTruth]:
    """The truth of every step of a written solution, later steps judged on its own values."""
    out: list[StepTruth] = []
    values: list[float] = []
    for i, eq in enumerate(read_steps(text)):
        if eq is None:
            out.append(StepTruth(False, "unreadable"))
            values.append(float("nan"))
        elif i >= len(task.steps):
            out.append(StepTruth(False, "extra"))
            values.append(eq.c)
        else:
            out.append(_judge_step(eq, task, i, values))
            values.append(eq.c)
    return out


def word_count(text: str) -> int:
    """Words in ``text`` (a cheap length measure)."""
    return len(text.split())


def _arith_quality(task: ArithmeticTask, text: str) -> float:
    answer = final_answer(text)
    if answer is None:
        return 0.0
    steps = check_steps(task, text)
    share = sum(s.correct for s in steps) / max(len(task.steps), len(steps), 1)
    if _close(answer, task.answer):
        return 1.0 if share == 1.0 else 0.8
    return 0.45 * share


def _open_quality(task: OpenTask, text: str) -> float:
    hits = wrong = 0
    for point in task.key_points:
        status = point.status(text)
        hits += status == "hit"
        wrong += status == "wrong"
    return max(0.0, (hits - wrong) / len(task.key_points))


def quality(task: Task | None, text: str, gold: str | None = None) -> float:
    """True quality of ``text`` as an answer to ``task``, in [0, 1].

    With no known task, a hidden gold answer decides (right 0.9, wrong 0.2); with neither,
    every non-empty answer is a middling 0.5.
    """
    if isinstance(task, ArithmeticTask):
        return _arith_quality(task, text)
    if isinstance(task, OpenTask):
        return _open_quality(task, text)
    if gold is not None:
        answer, want = final_answer(text), final_answer(f"#### {gold}")
        if answer is None or want is None:
            return 0.0 if answer is None else 0.2
        return 0.9 if _close(answer, want) else 0.2
    return 0.5 if text.strip() else 0.0
