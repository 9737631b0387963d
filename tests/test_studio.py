"""langgraph.json and ``sparring.studio``: what ``langgraph dev`` loads, loaded here by hand."""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sparring.graphs import REGISTRY
from sparring.sim import SimWorld

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> dict[str, str]:
    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))
    assert config["dependencies"] == ["."]
    graphs: dict[str, str] = config["graphs"]
    return graphs


def _load(ref: str) -> Any:
    path, attr = ref.split(":")
    assert (ROOT / path).resolve() == ROOT / "src/sparring/studio.py"
    return getattr(importlib.import_module("sparring.studio"), attr)


def test_every_catalogued_graph_is_declared() -> None:
    assert set(_declared()) == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_declared_graph_loads_with_its_schemas(name: str) -> None:
    graph = _load(_declared()[name])
    assert graph.name == name
    inputs = graph.get_input_jsonschema()
    assert {"prompt", *REGISTRY[name].inputs} <= set(inputs["required"])
    assert "samples" not in inputs["properties"]  # the item only, not intermediate state
    assert graph.get_output_jsonschema()["properties"]


def test_a_declared_graph_runs_sync_async_and_streams_its_nodes() -> None:
    graph = _load(_declared()["irpo"])
    problem = SimWorld(seed=8).problem(0)
    item = {"prompt": problem.question, "answer": problem.answer_text}
    out = graph.invoke(item)
    assert len(out["samples"]) == 8 and out["n_correct"] == sum(
        s["correct"] for s in out["samples"]
    )
    config = {"configurable": {"seed": 4, "options": {"n_samples": 3}}}
    out = asyncio.run(graph.ainvoke(item, config))
    assert len(out["samples"]) == 3
    out = graph.invoke(item, context={"options": {"n_samples": 2}})  # runtime context works too
    assert len(out["samples"]) == 2
    namespaces = [ns for ns, _ in graph.stream(item, stream_mode="updates", subgraphs=True)]
    assert any(ns for ns in namespaces)  # the technique's own nodes show, nested


def test_configuration_rebinds_roles() -> None:
    from sparring.studio import roles_from_config

    roles = roles_from_config(
        {"judge": "openai/gpt-4o-mini", "api_base": "http://localhost:9/v1", "thread_id": "t"}
    )
    assert roles.resolve("judge").name == "openai/gpt-4o-mini"
    assert roles.resolve("judge").api_base == "http://localhost:9/v1"
    assert roles.resolve("actor").is_simulated
    everything = roles_from_config({"default_model": "hosted_vllm/qwen", "actor": "sim/actor"})
    assert everything.resolve("critic").name == "hosted_vllm/qwen"
    assert everything.resolve("actor").is_simulated


def test_litellm_is_imported_with_the_module() -> None:
    code = "import sys, sparring.studio; print('litellm' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "True"


def test_no_blocking_call_in_the_event_loop() -> None:
    """What ``langgraph dev`` checks: every declared graph runs with BlockBuster active."""
    blockbuster = pytest.importorskip("blockbuster", reason="blockbuster (langgraph-cli) absent")
    studio = importlib.import_module("sparring.studio")
    problem = SimWorld(seed=5).problem(3)

    async def run_all() -> None:
        buster = blockbuster.BlockBuster()
        buster.activate()
        try:
            for name, graph in studio.GRAPHS.items():
                item = {"prompt": problem.question, "answer": problem.answer_text}
                item.update(dict.fromkeys(REGISTRY[name].inputs, "Step 1: 2 + 2 = 4.\n#### 4"))
                await graph.ainvoke(item)
        finally:
            buster.deactivate()

    asyncio.run(run_all())
