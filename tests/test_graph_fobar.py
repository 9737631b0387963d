"""FOBAR: topology, masking, backward hits, combination, the skip rule, failures."""

from __future__ import annotations

from typing import Any

import pytest

from sparring import Roles
from sparring.errors import ConfigError, ModelCallError
from sparring.graphs._reasoning_common import VoteBucket
from sparring.graphs._reasoning_fobar import (
    BackwardResult,
    combine_scores,
    mask_numbers,
    parse_backward,
)
from sparring.graphs.fobar import BACKWARD, create_fobar_graph
from sparring.models import (
    Backend,
    BackendRequest,
    BackendResult,
    Gateway,
    Model,
    RetryPolicy,
    backend_for,
)
from sparring.sim import SimWorld
from sparring.trace import MemorySink, ModelCallEvent
from tests._snapshots import assert_topology


class FailBackward:
    """Wraps the real backend; every backward (masked-question) request fails."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner

    async def generate(self, request: BackendRequest) -> BackendResult:
        if any("[BEGIN MASKED QUESTION #" in m["content"] for m in request.messages):
            raise RuntimeError("backend is down")
        return await self.inner.generate(request)


def failing_gateway(wrap: Any) -> Gateway:
    def factory(model: Model) -> Any:
        return wrap(backend_for(model))

    return Gateway(retry=RetryPolicy(max_attempts=1), backend_factory=factory)


def item(world: SimWorld, i: int) -> dict[str, Any]:
    task = world.problem(i)
    return {"prompt": task.question, "answer": task.answer_text, "item_id": f"p{i}"}


def bucket(answer: str, count: int, first: int) -> VoteBucket:
    indices = list(range(first, first + count))
    return {"answer": answer, "count": count, "indices": indices, "weight": count, "correct": None}


def hits(candidate: int, n: int) -> BackwardResult:
    return {
        "candidate": candidate,
        "answer": "",
        "mask": 0,
        "predictions": [],
        "hits": n,
        "total": 8,
        "failed": False,
    }


def test_topology() -> None:
    assert_topology(create_fobar_graph(Roles.sim(seed=0)), "fobar")


@pytest.mark.parametrize(("option", "value"), [("alpha", 1.5), ("n_backward", 0), ("threshold", 0)])
def test_options_are_checked(option: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=option):
        create_fobar_graph(Roles.sim(seed=0), **{option: value})


def test_masking_and_parsing() -> None:
    masks = mask_numbers("Ana has 12 pens, 1,000 clips and 3.5 kg of x. She buys 4 more.")
    assert [m["value"] for m in masks] == ["12", "3.5", "4"]
    assert masks[0]["symbol"] == "y" and masks[0]["question"].startswith("Ana has y pens")
    assert mask_numbers("Ana has 12 pens and 3 cups.", limit=1)[0]["value"] == "12"
    assert parse_backward("Step 1: ...\nThe value of x is 1,200.", "x") == "1200"
    assert parse_backward("The value of x is 4.5.", "x") == "4.5"
    assert parse_backward("no value here", "x") is None


def test_combination_follows_the_weighting() -> None:
    cands = [bucket("10", 6, 0), bucket("12", 4, 6)]
    forward_only = combine_scores(cands, [hits(0, 0), hits(1, 0)], alpha=0.5)
    assert forward_only[0]["score"] > forward_only[1]["score"]  # no hits: forward decides
    flipped = combine_scores(cands, [hits(0, 0), hits(1, 5)], alpha=0.5)
    assert flipped[1]["score"] > flipped[0]["score"]
    assert flipped[1]["backward"] == pytest.approx(1.0) and flipped[1]["forward"] == 0.4
    pure = combine_scores(cands, [hits(0, 0), hits(1, 5)], alpha=1.0)
    assert [s["score"] for s in pure] == pytest.approx([0.6, 0.4])


async def test_outputs_and_backward_hits_follow_correctness() -> None:
    """Correct candidates lead back to the masked number far more often than wrong ones."""
    profile = {"actor": {"accuracy": 0.45}}
    graph = create_fobar_graph(Roles.sim(seed=41, profile=profile), n_forward=6, n_backward=4)
    world = SimWorld(41)
    right = [0, 0]
    wrong = [0, 0]
    sc = fb = used = 0
    items = 24
    for i in range(items):
        out = await graph.ainvoke(item(world, i))
        sc += bool(out["sc_correct"])
        fb += bool(out["correct"])
        if not out["used_backward"]:
            assert out["selected_answer"] == out["sc_answer"] and out["scores"] == []
            continue
        used += 1
        cands, masks = out["candidates"], out["masks"]
        assert len(masks) == len(mask_numbers(out["prompt"]))
        assert len(out["backward"]) == len(cands) * len(masks)
        assert out["judged"] == {"actor": 4 * len(cands) * len(masks)}
        assert [s["answer"] for s in out["scores"]] == [c["answer"] for c in cands]
        best = max(out["scores"], key=lambda s: s["score"])
        assert out["selected_answer"] == best["answer"]
        for result in out["backward"]:
            tally = right if cands[result["candidate"]]["correct"] else wrong
            tally[0] += result["hits"]
            tally[1] += result["total"]
        for pair in out.get("pairs", []):
            assert pair["meta"]["extra"]["verified_by"] == "fobar"
            assert pair["meta"]["chosen_score"] > pair["meta"]["rejected_score"]
    assert used >= items // 2
    assert right[0] / right[1] >= 0.5 and wrong[0] / wrong[1] <= 0.05, (right, wrong)
    assert fb >= sc  # backward checks do not lose to the plain vote here


async def test_backward_is_skipped_when_the_forward_samples_agree() -> None:
    profile = {"actor": {"accuracy": 1.0, "malformed_rate": 0.0}}
    sink = MemorySink()
    roles = Roles.sim(seed=42, profile=profile, gateway=Gateway(sink=sink))
    out = await create_fobar_graph(roles, n_forward=4).ainvoke(item(SimWorld(42), 0))
    assert out["used_backward"] is False and len(out["candidates"]) == 1
    assert out["correct"] is True and out.get("pairs", []) == []
    assert not [e for e in sink.of_kind(ModelCallEvent) if e.node == BACKWARD]


async def test_failed_backward_calls_are_counted_and_the_vote_decides() -> None:
    profile = {"actor": {"accuracy": 0.3}}
    roles = Roles.sim(seed=43, profile=profile, gateway=failing_gateway(FailBackward))
    graph = create_fobar_graph(roles, n_forward=6, n_backward=3, max_masks=2)
    out = await graph.ainvoke(item(SimWorld(43), 1))
    assert out["used_backward"] and all(r["failed"] for r in out["backward"])
    assert out["unscored"] == out["judged"] == {"actor": 3 * len(out["backward"])}
    assert out["selected_answer"] == out["sc_answer"]


class Failing:
    async def generate(self, request: BackendRequest) -> BackendResult:
        raise RuntimeError("backend is down")


async def test_forward_failure_raises_model_call_error() -> None:
    roles = Roles.sim(seed=44, gateway=failing_gateway(lambda inner: Failing()))
    with pytest.raises(ModelCallError):
        await create_fobar_graph(roles).ainvoke(item(SimWorld(44), 0))
