"""Self-Rewarding graph: topology, typed outputs and pairs on the simulator, refusals, failures."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sparring import Roles
from sparring.agents import Verdict
from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.graphs.self_rewarding import create_self_rewarding_graph
from sparring.models import (
    BackendRequest,
    BackendResult,
    Completion,
    Gateway,
    Model,
    RetryPolicy,
    backend_for,
)
from sparring.sim import SimWorld
from tests._snapshots import assert_topology

FAST = RetryPolicy(max_attempts=2, initial_delay_s=0.001, jitter=0.0)
PROVENANCE = ("technique", "kind", "models", "chosen_score", "rejected_score", "chosen_len",
              "rejected_len", "unscored", "seed", "item_id")  # fmt: skip


class Failing:
    """A backend that always raises."""

    def __init__(self) -> None:
        self.calls = 0

    async def generate(self, request: BackendRequest) -> BackendResult:
        self.calls += 1
        raise RuntimeError("backend is down")


class Constant:
    """A backend whose sample ``i`` is ``texts[i % len(texts)]``."""

    def __init__(self, *texts: str) -> None:
        self.texts = texts

    async def generate(self, request: BackendRequest) -> BackendResult:
        indices = range(request.sample_index, request.sample_index + request.n)
        return BackendResult(
            [Completion(text=self.texts[i % len(self.texts)], index=i) for i in indices]
        )


def roles_with(seed: int, **backends: Any) -> Roles:
    """Simulated roles, except those given a backend (bound to ``test/<role>``)."""
    by_name = {f"test/{role}": backend for role, backend in backends.items()}

    def factory(model: Model) -> Any:
        return by_name.get(model.name) or backend_for(model)

    gateway = Gateway(retry=FAST, backend_factory=factory, seed=0)
    bound = {role: Model(f"test/{role}") for role in backends}
    return Roles.sim(seed=seed, gateway=gateway).bind(**bound)


class NoRepair:
    """The simulator, except that it never fixes an unreadable output when asked again."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def generate(self, request: BackendRequest) -> BackendResult:
        if any(m["role"] == "assistant" for m in request.messages):
            indices = range(request.sample_index, request.sample_index + request.n)
            return BackendResult([Completion(text="Still thinking.", index=i) for i in indices])
        result: BackendResult = await self.inner.generate(request)
        return result


def sim_without_repair(seed: int, profile: dict[str, Any]) -> Roles:
    """Simulated roles whose judge never recovers from a malformed output."""

    def factory(model: Model) -> Any:
        inner = backend_for(model)
        return NoRepair(inner) if model.name == "sim/judge" else inner

    gateway = Gateway(retry=FAST, backend_factory=factory, seed=0)
    return Roles.sim(seed=seed, profile=profile, gateway=gateway)


def questions(seed: int, count: int) -> list[str]:
    world = SimWorld(seed)
    return [world.task(i).question for i in range(count)]


async def run_all(graph: Any, prompts: Sequence[str]) -> list[dict[str, Any]]:
    return [
        await graph.ainvoke({"prompt": p, "item_id": f"item-{i}"}) for i, p in enumerate(prompts)
    ]


def test_topology() -> None:
    graph = create_self_rewarding_graph(Roles.sim(seed=0))
    assert_topology(graph, "self-rewarding")
    assert REGISTRY["self-rewarding"].load() is create_self_rewarding_graph
    assert create_self_rewarding_graph(Roles.sim(seed=0), name="mine").name == "mine"


@pytest.mark.parametrize(
    "options",
    [
        {"n_responses": 1},
        {"n_responses": True},
        {"n_judgments": 0},
        {"temperature": -0.1},
        {"top_p": 0.0},
        {"judge_temperature": float("nan")},
        {"rho": 1.5},
        {"max_chosen_chars": 0},
        {"dedupe": "yes"},
        {"seed": -1},
    ],
)
def test_options_are_validated(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=next(iter(options))):
        create_self_rewarding_graph(Roles.sim(seed=0), **options)


def check_scores(out: dict[str, Any], n_judgments: int) -> None:
    """Per-response scores are the mean of the scored judgments only."""
    responses, scores = out["responses"], out["scores"]
    assert [s["index"] for s in scores] == list(range(len(responses)))
    by_index = {j["index"]: j["verdicts"] for j in out["judgments"]}
    assert sorted(by_index) == list(range(len(responses)))
    for s in scores:
        verdicts = [Verdict.model_validate(v) for v in by_index[s["index"]]]
        assert len(verdicts) == n_judgments
        scored = [v.require_score() for v in verdicts if v.is_scored]
        assert s["scores"] == scored
        assert s["unscored"] == n_judgments - len(scored)
        assert s["mean"] == (statistics.fmean(scored) if scored else None)
        assert s["length"] == len(responses[s["index"]])


async def test_pairs_on_the_simulator() -> None:
    graph = create_self_rewarding_graph(Roles.sim(seed=11))
    outs = await run_all(graph, questions(11, 8))
    n_pairs = 0
    for i, out in enumerate(outs):
        check_scores(out, 3)
        assert out["judged"] == {"judge": 3 * len(out["responses"])}
        # every item ends in exactly one pair or one counted refusal
        assert len(out["pairs"]) + sum(out["refused"].values()) == 1
        for pair in out["pairs"]:
            n_pairs += 1
            meta = pair["meta"]
            assert set(PROVENANCE) <= set(meta)
            assert meta["technique"] == "self-rewarding" and meta["kind"] == "response"
            assert meta["models"] == {"actor": "sim/actor", "judge": "sim/judge"}
            assert meta["seed"] == 11 and meta["item_id"] == f"item-{i}"
            means = [s["mean"] for s in out["scores"] if s["mean"] is not None]
            assert meta["chosen_score"] == max(means) > meta["rejected_score"] == min(means)
            assert pair["chosen"] == out["responses"][meta["extra"]["chosen_index"]]
            assert pair["rejected"] == out["responses"][meta["extra"]["rejected_index"]]
            assert pair["prompt"] == out["prompt"]
            assert meta["chosen_len"] == len(pair["chosen"])
    assert n_pairs >= 5


async def test_unscored_judgments_never_enter_a_mean() -> None:
    roles = sim_without_repair(5, {"judge": {"malformed_rate": 0.4}})
    graph = create_self_rewarding_graph(roles, n_judgments=4, temperature=1.0)
    outs = await run_all(graph, questions(5, 6))
    unscored = sum(out["unscored"]["judge"] for out in outs)
    assert 0.2 < unscored / sum(out["judged"]["judge"] for out in outs) < 0.6
    assert any(0 < s["unscored"] < 4 for out in outs for s in out["scores"])
    for out in outs:
        check_scores(out, 4)
        for pair in out["pairs"]:
            assert pair["meta"]["unscored"] == out["unscored"]["judge"]


async def test_all_unscored_gives_no_pair() -> None:
    roles = roles_with(2, judge=Constant("It reads well overall, I would say."))
    out = await create_self_rewarding_graph(roles).ainvoke({"prompt": questions(2, 2)[1]})
    assert out["pairs"] == []
    assert out["unscored"]["judge"] == out["judged"]["judge"] == 3 * len(out["responses"])
    assert out["refused"] == {"too few scored responses": 1}
    assert all(s["mean"] is None and s["unscored"] == 3 for s in out["scores"])


async def test_equal_means_are_a_counted_tie() -> None:
    roles = roles_with(1, judge=Constant("Fine.\nScore: 3"))
    out = await create_self_rewarding_graph(roles).ainvoke({"prompt": questions(1, 2)[1]})
    assert out["pairs"] == []
    assert out["refused"] == {"tie": 1}
    assert {s["mean"] for s in out["scores"]} == {3.0}


async def test_identical_responses_are_refused() -> None:
    text = "Here is an overview. The answer covers the main points in order."
    # the same answer up to whitespace: judged as different texts, identical once trimmed
    roles = roles_with(4, actor=Constant(text, text + " ", text + "\n", " " + text))
    kept = await create_self_rewarding_graph(roles, dedupe=False).ainvoke({"prompt": "Explain."})
    assert len(kept["responses"]) == 4
    assert len({s["mean"] for s in kept["scores"]}) > 1
    assert kept["pairs"] == []
    assert kept["refused"] == {"identical sides": 1}
    deduped = await create_self_rewarding_graph(roles).ainvoke({"prompt": "Explain."})
    assert deduped["responses"] == [text] and deduped["duplicates"] == 3
    assert deduped["refused"] == {"too few distinct responses": 1}
    assert deduped["judgments"] == [] and "judge" not in deduped["judged"]  # nothing to judge


async def test_failing_judge_backend_finishes_without_pairs() -> None:
    failing = Failing()
    roles = roles_with(3, judge=failing)
    graph = create_self_rewarding_graph(roles, n_responses=3, n_judgments=2)
    out = await graph.ainvoke({"prompt": questions(3, 1)[0]})
    assert out["pairs"] == []
    assert out["judged"] == out["unscored"] == {"judge": 2 * len(out["responses"])}
    assert out["refused"] == {"too few scored responses": 1}
    reasons = {v["reason"] for j in out["judgments"] for v in j["verdicts"]}
    assert reasons == {"backend_error"}
    assert failing.calls > 0


async def test_failing_actor_backend_is_counted() -> None:
    out = await create_self_rewarding_graph(roles_with(3, actor=Failing())).ainvoke(
        {"prompt": "Explain tides."}
    )
    assert out["pairs"] == [] and out["responses"] == []
    assert out["refused"] == {"actor error": 1}
    assert out["actor_error"]


async def test_length_control_option() -> None:
    graph = create_self_rewarding_graph(Roles.sim(seed=8), rho=0.3, max_chosen_chars=100_000)
    outs = await run_all(graph, questions(8, 6))
    for out in outs:
        for pair in out["pairs"]:
            assert pair["meta"]["extra"]["rho"] == 0.3
            assert pair["meta"]["chosen_score"] > pair["meta"]["rejected_score"]


async def test_sqlite_checkpointer_round_trip(tmp_path: Path) -> None:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "ckpt.sqlite")) as saver:
        graph = create_self_rewarding_graph(Roles.sim(seed=6), checkpointer=saver)
        config: Any = {"configurable": {"thread_id": "item-0"}}
        out = await graph.ainvoke({"prompt": questions(6, 2)[1], "item_id": "item-0"}, config)
        snapshot = await graph.aget_state(config)
    assert snapshot.next == ()
    assert json.loads(json.dumps(snapshot.values)) == snapshot.values
    assert snapshot.values["pairs"] == out["pairs"]
    assert snapshot.values["scores"] == out["scores"]
