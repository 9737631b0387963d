"""A seeded world of tasks: arithmetic word problems and open-ended instructions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from sparring.sim._arith import ArithmeticTask, make_problem
from sparring.sim._grade import Task
from sparring.sim._open import OpenTask, make_instruction
from sparring.sim._rng import rng_for

__all__ = ["SimWorld", "TaskKind"]

TaskKind = Literal["arithmetic", "open", "mixed"]


class SimWorld:
    """Task ``i`` of a world with seed ``s`` is always the same task.

    Example:
        >>> world = SimWorld(seed=3)
        >>> world.problem(0).question == SimWorld(seed=3).problem(0).question
        True
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def problem(self, index: int) -> ArithmeticTask:
        """Arithmetic problem number ``index``."""
        return make_problem(rng_for(self.seed, "problem", index))

    def instruction(self, index: int) -> OpenTask:
        """Open-ended instruction number ``index``."""
        return make_instruction(rng_for(self.seed, "instruction", index))

    def task(self, index: int, kind: TaskKind = "mixed") -> Task:
        """Task number ``index`` of a kind (``mixed`` alternates the two kinds)."""
        if kind == "arithmetic" or (kind == "mixed" and index % 2 == 0):
            return self.problem(index)
        return self.instruction(index)

    def tasks(self, count: int, kind: TaskKind = "mixed", start: int = 0) -> Iterator[Task]:
        """Tasks ``start`` ... ``start + count - 1``."""
        for i in range(start, start + count):
            yield self.task(i, kind)

    def rows(self, count: int, kind: TaskKind = "mixed") -> Iterator[dict[str, str]]:
        """Dataset rows: ``id``, ``prompt`` and, for arithmetic, ``answer``."""
        for i, task in enumerate(self.tasks(count, kind)):
            row = {"id": f"sim-{self.seed}-{i}", "prompt": task.question}
            if isinstance(task, ArithmeticTask):
                row["answer"] = task.answer_text
            yield row
