"""Every graph runs with ``invoke``/``stream`` as well as ``ainvoke``; factories are named."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

import sparring.graphs
from sparring import Roles
from sparring.graphs import REGISTRY, GraphSpec
from sparring.sim import SimWorld


def _item(spec: GraphSpec) -> dict[str, Any]:
    problem = SimWorld(seed=4).problem(2)
    item: dict[str, Any] = {"prompt": problem.question, "answer": problem.answer_text}
    for field in spec.inputs:
        item[field] = f"Step 1: {problem.answer_text} + 0 = {problem.answer_text}.\n#### 1"
    return item


@pytest.mark.parametrize("name", list(REGISTRY))
def test_sync_invoke_and_stream_match_async(name: str) -> None:
    spec = REGISTRY[name]
    graph = spec.load()(Roles.sim(seed=3))
    config = {"recursion_limit": spec.recursion_limit}
    item = _item(spec)
    sync_out = graph.invoke(item, config)
    async_out = asyncio.run(graph.ainvoke(item, config))
    assert sync_out.keys() == async_out.keys()
    updates = list(graph.stream(item, config, stream_mode="updates"))
    assert updates and all(isinstance(u, dict) for u in updates)


def test_sync_invoke_works_inside_a_running_event_loop() -> None:
    graph = REGISTRY["irpo"].load()(Roles.sim(seed=1))

    async def main() -> dict[str, Any]:
        return graph.invoke(_item(REGISTRY["irpo"]))  # e.g. from a notebook cell

    out = asyncio.run(main())
    assert len(out["samples"]) == 8


@pytest.mark.parametrize("name", list(REGISTRY))
def test_json_schemas(name: str) -> None:
    graph = REGISTRY[name].load()(Roles.sim())
    schema = graph.get_input_jsonschema()
    assert "prompt" in schema["properties"]
    assert graph.get_output_jsonschema()["properties"]


def test_factories_are_exported_names() -> None:
    factories = {spec.factory for spec in REGISTRY.planned() if spec.available}
    assert factories <= set(sparring.graphs.__all__)
    assert factories <= set(dir(sparring.graphs))
    for name in factories:
        factory = getattr(sparring.graphs, name)
        assert inspect.signature(factory).parameters["roles"].annotation in ("Roles", Roles)


def test_sync_calls_keep_the_callers_trace_context() -> None:
    from sparring.models import Gateway
    from sparring.trace import MemorySink, ModelCallEvent, trace_context

    sink = MemorySink()
    roles = Roles.sim(seed=2, gateway=Gateway(sink=sink))
    graph = REGISTRY["irpo"].load()(roles, n_samples=2)
    with trace_context(item_id="ticket-7"):
        graph.invoke(_item(REGISTRY["irpo"]))
    calls = [e for e in sink.events if isinstance(e, ModelCallEvent)]
    assert calls and all(e.item_id == "ticket-7" and e.node == "sample" for e in calls)
