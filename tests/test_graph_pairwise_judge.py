"""The pairwise-judge graph on the simulator: outputs, records, refusals and failures."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sparring import Roles
from sparring.agents import PairOutcome, Verdict
from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.graphs.pairwise_judge import create_pairwise_judge_graph
from sparring.models import BackendRequest, BackendResult, Completion, Gateway, Model, RetryPolicy
from sparring.models import backend_for as real_backend
from sparring.sim import ArithmeticTask, SimWorld, quality
from sparring.trace import MemorySink, ModelCallEvent
from tests._snapshots import assert_topology

SEED = 5


class DownBackend:
    """A backend that always fails (not retryable)."""

    async def generate(self, request: BackendRequest) -> BackendResult:
        raise RuntimeError("judge backend is down")


class ConstantBackend:
    """A judge that always answers the same text, whatever it is shown."""

    def __init__(self, text: str) -> None:
        self.text = text

    async def generate(self, request: BackendRequest) -> BackendResult:
        return BackendResult([Completion(text=self.text, index=i) for i in range(request.n)])


def _roles(judge: Any, sink: MemorySink | None = None) -> Roles:
    def factory(model: Model) -> Any:
        return judge if model.name == "sim/judge" else real_backend(model)

    gateway = Gateway(sink=sink, retry=RetryPolicy(max_attempts=1), backend_factory=factory)
    return Roles.sim(SEED, gateway=gateway)


def _solution(task: ArithmeticTask, answer: str) -> str:
    return f"Step 1: I follow the events in order.\n#### {answer}"


def _item(i: int, task: ArithmeticTask, *, good_first: bool) -> dict[str, Any]:
    good = _solution(task, task.answer_text)
    bad = _solution(task, str(int(task.answer) + 7))
    a, b = (good, bad) if good_first else (bad, good)
    return {"prompt": task.question, "response_a": a, "response_b": b, "item_id": f"it-{i}"}


async def _run_all(graph: Any, items: list[dict[str, Any]]) -> list[Any]:
    return list(await asyncio.gather(*(graph.ainvoke(it) for it in items)))


def test_topology() -> None:
    assert_topology(create_pairwise_judge_graph(Roles.sim(SEED)), "pairwise-judge")
    assert REGISTRY["pairwise-judge"].load() is create_pairwise_judge_graph


def test_typed_outputs_and_pairs_with_provenance() -> None:
    world = SimWorld(SEED)
    items = [_item(i, world.problem(i), good_first=i % 2 == 0) for i in range(12)]
    graph = create_pairwise_judge_graph(Roles.sim(SEED))
    outs = asyncio.run(_run_all(graph, items))
    right = 0
    for item, out in zip(items, outs, strict=True):
        first = Verdict.model_validate(out["judgment"]["first"])
        swapped = Verdict.model_validate(out["judgment"]["swapped"])
        outcome = PairOutcome.model_validate(out["judgment"]["outcome"])
        assert first.kind == swapped.kind == "pairwise"
        assert out["choice"] == outcome.choice
        assert out["judged"] == {"judge": 2}
        assert out["swaps"] == int(outcome.swap_agreement is not None)
        if outcome.choice in ("A", "B"):
            (pair,) = out["pairs"]
            winner = item["response_a"] if outcome.choice == "A" else item["response_b"]
            assert pair["chosen"] == winner
            assert pair["prompt"] == item["prompt"]
            meta = pair["meta"]
            assert meta["technique"] == "pairwise-judge"
            assert meta["models"] == {"judge": "sim/judge"}
            assert meta["seed"] == SEED
            assert meta["item_id"] == item["item_id"]
            assert meta["swap_agreement"] is True
            task = world.problem(int(item["item_id"].split("-")[1]))
            right += quality(task, pair["chosen"]) > quality(task, pair["rejected"])
        else:
            assert out["pairs"] == []
            assert sum(out["refused"].values()) == 1
    assert right >= 10  # the sim judge (sharpness 6) finds a right-vs-wrong answer nearly always


def test_reference_is_shown_to_the_judge() -> None:
    sink = MemorySink()
    graph = create_pairwise_judge_graph(_roles(ConstantBackend("B looks better.\n[[B]]"), sink))
    out = asyncio.run(
        graph.ainvoke(
            {"prompt": "What is 6 x 7?", "response_a": "42", "response_b": "43", "reference": "42"}
        )
    )
    calls = sink.of_kind(ModelCallEvent)
    assert len(calls) == 2
    assert all("[BEGIN REFERENCE" in str(c.messages) for c in calls)
    assert out["choice"] == "tie"  # "[[B]]" in both orders is a flip


def test_position_only_judge_yields_ties_and_no_pairs() -> None:
    graph = create_pairwise_judge_graph(_roles(ConstantBackend("The first one.\n[[A]]")))
    out = asyncio.run(graph.ainvoke({"prompt": "Q?", "response_a": "yes", "response_b": "no"}))
    assert out["choice"] == "tie"
    assert out["judgment"]["outcome"]["flipped"] is True
    assert (out["swaps"], out["swap_agreed"]) == (1, 0)
    assert out["pairs"] == []
    assert out["refused"] == {"tie": 1}


def test_single_order_and_partial_ties() -> None:
    roles = _roles(ConstantBackend("Response A.\n[[A]]"))
    single = create_pairwise_judge_graph(roles, both_orders=False)
    out = asyncio.run(single.ainvoke({"prompt": "Q?", "response_a": "yes", "response_b": "no"}))
    assert out["judgment"]["swapped"] is None
    assert out["choice"] == "A"
    assert out["judged"] == {"judge": 1}
    assert "swaps" not in out or out["swaps"] == 0
    assert out["pairs"][0]["meta"]["swap_agreement"] is None


def test_missing_response_is_a_config_error() -> None:
    graph = create_pairwise_judge_graph(Roles.sim(SEED))
    with pytest.raises(ConfigError, match="response_b"):
        asyncio.run(graph.ainvoke({"prompt": "Q?", "response_a": "yes"}))


def test_failing_judge_leaves_unscored_counts_and_no_pairs() -> None:
    sink = MemorySink()
    graph = create_pairwise_judge_graph(_roles(DownBackend(), sink))
    out = asyncio.run(graph.ainvoke({"prompt": "Q?", "response_a": "yes", "response_b": "no"}))
    assert out["choice"] is None
    assert out["judged"] == {"judge": 2}
    assert out["unscored"] == {"judge": 2}
    assert out["pairs"] == []
    assert out["refused"] == {"unscored": 1}
    assert out.get("swaps", 0) == 0
    assert Verdict.model_validate(out["judgment"]["first"]).reason == "backend_error"
    assert all(c.error is not None for c in sink.of_kind(ModelCallEvent))
