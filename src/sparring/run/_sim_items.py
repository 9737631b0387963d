"""Items from the simulator's world, for runs with no data file (``--sim-tasks N``).

Arithmetic problems carry their gold answer (as hidden metadata: the graph's ``answer`` input,
never shown to a model); graphs that compare two responses get two simulated actor answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sparring.graphs import GraphSpec
from sparring.sim import ArithmeticTask, SimEngine, SimRequest, SimWorld

__all__ = ["sim_items"]


def _responses(engine: SimEngine, question: str, seed: int) -> tuple[str, str]:
    request = SimRequest(
        model="actor",
        messages=[{"role": "user", "content": question}],
        n=2,
        temperature=1.0,
        seed=seed,
    )
    a, b = (c.text for c in engine.respond(request).choices)
    return a, b


def sim_items(
    spec: GraphSpec, count: int, *, seed: int = 0
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """``(index, item_id, input)`` for ``count`` world tasks suited to the graph."""
    world = SimWorld(seed=seed)
    arithmetic_only = spec.needs_answer or spec.family in ("reasoning", "game", "search")
    engine = SimEngine(seed=seed)
    for i in range(count):
        task = world.problem(i) if arithmetic_only else world.task(i)
        item: dict[str, Any] = {"prompt": task.question}
        if isinstance(task, ArithmeticTask):
            item["answer"] = task.answer_text
        if {"response_a", "response_b"} <= set(spec.inputs):
            item["response_a"], item["response_b"] = _responses(engine, task.question, seed + i)
        yield i, f"sim-{seed}-{i}", item
