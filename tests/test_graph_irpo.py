"""Iterative RPO data: topology, verified correct-vs-incorrect pairs, NLL targets, failures."""

from __future__ import annotations

from typing import Any

import pytest

from sparring import Roles
from sparring.errors import ConfigError, ModelCallError
from sparring.graphs import REGISTRY
from sparring.graphs._reasoning_common import MissingGoldError
from sparring.graphs.irpo import balanced_pairs, create_irpo_graph
from sparring.models import BackendRequest, BackendResult, Gateway, Model, RetryPolicy, backend_for
from sparring.sim import SimWorld
from sparring.trace import MemorySink, ModelCallEvent
from sparring.verify import extract_answer, is_equiv
from tests._snapshots import assert_topology


class Failing:
    async def generate(self, request: BackendRequest) -> BackendResult:
        raise RuntimeError("backend is down")


def item(world: SimWorld, i: int) -> dict[str, Any]:
    task = world.problem(i)
    return {"prompt": task.question, "answer": task.answer_text, "item_id": f"p{i}"}


def test_topology_and_catalogue() -> None:
    assert_topology(create_irpo_graph(Roles.sim(seed=0)), "irpo")
    assert REGISTRY["irpo"].needs_answer


@pytest.mark.parametrize(("option", "value"), [("n_samples", 1), ("max_pairs", 0), ("beta", -1)])
def test_options_are_checked(option: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=option):
        create_irpo_graph(Roles.sim(seed=0), **{option: value})


async def test_pairs_are_correct_vs_incorrect_by_the_verifier() -> None:
    world = SimWorld(21)
    graph = create_irpo_graph(Roles.sim(seed=21), n_samples=8, max_pairs=5, iteration=2)
    total_pairs = 0
    for i in range(8):
        state = item(world, i)
        out = await graph.ainvoke(state)
        gold = state["answer"]
        assert out["n_correct"] == sum(bool(s["correct"]) for s in out["samples"])
        assert len(out["pairs"]) <= 5
        for pair in out["pairs"]:
            assert is_equiv(extract_answer(pair["chosen"]), gold)
            assert not is_equiv(extract_answer(pair["rejected"]), gold)
            meta = pair["meta"]
            assert meta["technique"] == "irpo" and meta["round"] == 2
            assert meta["item_id"] == f"p{i}" and meta["models"] == {"actor": "sim/actor"}
            extra = meta["extra"]
            assert extra["loss"] == "dpo+nll" and extra["rpo_alpha"] == 1.0
            assert extra["beta"] == 0.1 and extra["nll_target"] == "chosen"
            assert extra["gold"] == gold and extra["n_samples"] == 8
        keys = {(p["chosen"], p["rejected"]) for p in out["pairs"]}
        assert len(keys) == len(out["pairs"])
        chosen = {p["chosen"] for p in out["pairs"]}
        assert {r["messages"][-1]["content"] for r in out["sft"]} == chosen
        assert all(r["meta"]["purpose"] == "nll_target" for r in out["sft"])
        assert all(r["messages"][0]["content"] == state["prompt"] for r in out["sft"])
        if out["pairs"]:
            assert out["dropped"] is None
        total_pairs += len(out["pairs"])
    assert total_pairs >= 10


@pytest.mark.parametrize(("accuracy", "reason"), [(1.0, "all correct"), (0.0, "all incorrect")])
async def test_no_pair_when_all_samples_agree(accuracy: float, reason: str) -> None:
    profile = {"actor": {"accuracy": accuracy, "malformed_rate": 0.0}}
    graph = create_irpo_graph(Roles.sim(seed=4, profile=profile), n_samples=6)
    out = await graph.ainvoke(item(SimWorld(4), 3))
    assert out.get("pairs", []) == [] and out.get("sft", []) == []
    assert out["dropped"] == reason and out["refused"] == {f"no pair: {reason}": 1}


async def test_items_without_gold_fail_before_any_call() -> None:
    sink = MemorySink()
    graph = create_irpo_graph(Roles.sim(seed=1, gateway=Gateway(sink=sink)))
    with pytest.raises(MissingGoldError, match="gold 'answer'"):
        await graph.ainvoke({"prompt": SimWorld(1).problem(0).question, "item_id": "q7"})
    assert sink.of_kind(ModelCallEvent) == []


async def test_actor_failure_raises_model_call_error() -> None:
    def factory(model: Model) -> Any:
        return Failing() if model.name == "sim/actor" else backend_for(model)

    gateway = Gateway(retry=RetryPolicy(max_attempts=1), backend_factory=factory)
    graph = create_irpo_graph(Roles.sim(seed=1, gateway=gateway))
    with pytest.raises(ModelCallError):
        await graph.ainvoke(item(SimWorld(1), 0))


def test_balanced_pairs_cover_each_pair_once() -> None:
    assert balanced_pairs(2, 3, 4) == [(0, 0), (1, 1), (0, 1), (1, 2)]
    every = balanced_pairs(3, 4, 100)
    assert len(every) == 12 and len(set(every)) == 12
    first_round = balanced_pairs(3, 4, 3)
    assert sorted(w for w, _ in first_round) == [0, 1, 2]
