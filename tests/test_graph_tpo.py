"""The TPO graph on the simulator: the judge sees replies only; pairs carry the whole thought."""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

import pytest

from sparring import Roles
from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.graphs.tpo import DEFAULT_SEPARATOR, create_tpo_graph, split_thought
from sparring.models import BackendRequest, BackendResult, Gateway, Model, RetryPolicy
from sparring.models import backend_for as real_backend
from sparring.prompts import find_blocks
from sparring.sim import SimWorld, quality
from sparring.sim._grade import Task
from sparring.trace import MemorySink, ModelCallEvent
from tests._snapshots import assert_topology

SEED = 31
SEP = DEFAULT_SEPARATOR


class DownBackend:
    async def generate(self, request: BackendRequest) -> BackendResult:
        raise RuntimeError("judge backend is down")


def _rows(count: int, start: int = 0) -> list[tuple[Task, dict[str, Any]]]:
    world = SimWorld(SEED)
    out = []
    for i in range(start, start + count):
        task = world.task(i)
        answer = getattr(task, "answer_text", None)
        out.append((task, {"prompt": task.question, "answer": answer, "item_id": f"tpo-{i}"}))
    return out


async def _run(graph: Any, items: list[dict[str, Any]]) -> list[Any]:
    return list(await asyncio.gather(*(graph.ainvoke(it) for it in items)))


def _reply(text: str) -> str:
    split = split_thought(text, SEP)
    assert split is not None
    return split[1]


def test_topology() -> None:
    assert_topology(create_tpo_graph(Roles.sim(SEED)), "tpo")
    assert REGISTRY["tpo"].load() is create_tpo_graph


def test_split_thought() -> None:
    assert split_thought(f"notes\n{SEP}\nHello.", SEP) == ("notes", "Hello.")
    assert split_thought(f"{SEP}\nHello.", SEP) == ("", "Hello.")
    assert split_thought("Hello.", SEP) is None
    assert split_thought(f"a\n{SEP}\nb\n{SEP}\nc", SEP) is None
    assert split_thought(f"notes\n{SEP}\n  ", SEP) is None


def test_judge_sees_only_replies_and_pairs_keep_the_thought() -> None:
    sink = MemorySink()
    roles = Roles.sim(SEED, profile={"actor": {"malformed_rate": 0.25}}, gateway=Gateway(sink=sink))
    rows = _rows(10)
    outs = asyncio.run(_run(create_tpo_graph(roles), [item for _, item in rows]))
    replies = {c["response"] for o in outs for c in o["candidates"] if c["response"]}
    judge_calls = [c for c in sink.of_kind(ModelCallEvent) if c.role == "judge"]
    assert judge_calls
    for call in judge_calls:
        prompt = "\n".join(m["content"] for m in call.messages)
        assert SEP not in prompt
        assert "Asked:" not in prompt and "Draft:" not in prompt
        (shown,) = [b.body for b in find_blocks(prompt) if b.label == "RESPONSE"]
        assert shown in replies
    forced = 0
    for (_, item), out in zip(rows, outs, strict=True):
        assert len(out["candidates"]) == 4
        if not out["pairs"]:
            assert sum(out["refused"].values()) == 1
            continue
        (pair,) = out["pairs"]
        meta = pair["meta"]
        assert (meta["technique"], meta["item_id"], meta["seed"]) == ("tpo", item["item_id"], SEED)
        assert meta["models"] == {"actor": "sim/actor", "judge": "sim/judge"}
        assert item["prompt"] in pair["prompt"] and "private working notes" in pair["prompt"]
        assert pair["chosen"].count(SEP) == 1 and "Asked:" in pair["chosen"]
        if meta["extra"]["forced_rejected"]:
            forced += 1
            assert split_thought(pair["rejected"], SEP) is None
            assert meta["rejected_score"] is None
        else:
            assert pair["rejected"].count(SEP) == 1
            assert meta["chosen_score"] > meta["rejected_score"]
    assert forced >= 1


def test_chosen_replies_are_better_than_rejected_ones() -> None:
    rows = _rows(24, start=100)
    outs = asyncio.run(_run(create_tpo_graph(Roles.sim(SEED)), [i for _, i in rows]))
    gaps = []
    for (task, _), out in zip(rows, outs, strict=True):
        for pair in out["pairs"]:
            if not pair["meta"]["extra"]["forced_rejected"]:
                gaps.append(
                    quality(task, _reply(pair["chosen"])) - quality(task, _reply(pair["rejected"]))
                )
    mean = statistics.fmean(gaps)
    print(
        f"\nTPO pointwise: {len(gaps)} pairs, chosen minus rejected true quality {mean:.3f}, "
        f"chosen better in {sum(g > 0 for g in gaps)}, worse in {sum(g < 0 for g in gaps)}"
    )
    assert len(gaps) >= 15
    assert mean > 0.2
    assert sum(g > 0 for g in gaps) >= 3 * sum(g < 0 for g in gaps)


def test_pairwise_mode_rates_replies_with_bradley_terry() -> None:
    rows = _rows(6, start=200)
    graph = create_tpo_graph(Roles.sim(SEED), judge_mode="pairwise")
    outs = asyncio.run(_run(graph, [item for _, item in rows]))
    gaps = []
    for (task, _), out in zip(rows, outs, strict=True):
        splittable = sum(c["response"] is not None for c in out["candidates"])
        assert out["judged"]["judge"] == splittable * (splittable - 1)
        assert len(out["battles"]) <= out["judged"]["judge"]
        assert out["swaps"] <= splittable * (splittable - 1) // 2
        assert set(out["selection"]["scores"]) <= {str(i) for i in range(4)}
        for pair in out["pairs"]:
            assert pair["meta"]["extra"]["judge_mode"] == "pairwise"
            if not pair["meta"]["extra"]["forced_rejected"]:
                gaps.append(
                    quality(task, _reply(pair["chosen"])) - quality(task, _reply(pair["rejected"]))
                )
    assert gaps and statistics.fmean(gaps) > 0


def test_length_penalty_enters_the_selection_values() -> None:
    _, item = _rows(1, start=1)[0]
    out = asyncio.run(create_tpo_graph(Roles.sim(SEED), length_penalty=0.5).ainvoke(item))
    sel = out["selection"]
    scores = {int(k): v for k, v in sel["scores"].items()}
    lengths = {i: len(out["candidates"][i]["response"]) for i in scores}

    def z(values: dict[int, float]) -> dict[int, float]:
        mean, sd = statistics.fmean(values.values()), statistics.pstdev(values.values())
        return {k: (v - mean) / sd if sd else 0.0 for k, v in values.items()}

    zs, zl = z(scores), z({k: float(v) for k, v in lengths.items()})
    for k, value in sel["values"].items():
        assert value == pytest.approx(zs[int(k)] - 0.5 * zl[int(k)])


def test_failing_judge_leaves_unscored_counts_and_no_pairs() -> None:
    def factory(model: Model) -> Any:
        return DownBackend() if model.name == "sim/judge" else real_backend(model)

    gateway = Gateway(retry=RetryPolicy(max_attempts=1), backend_factory=factory)
    roles = Roles.sim(SEED, profile={"actor": {"malformed_rate": 0.0}}, gateway=gateway)
    _, item = _rows(1)[0]
    out = asyncio.run(create_tpo_graph(roles).ainvoke(item))
    assert out["judged"] == {"judge": 4}
    assert out["unscored"] == {"judge": 4}
    assert out["pairs"] == []
    assert out["refused"] == {"no scored reply": 1}
    assert out["selection"]["chosen"] is None


@pytest.mark.parametrize(
    "options",
    [
        {"n_responses": 1},
        {"n_judgments": 0},
        {"length_penalty": 2.0},
        {"judge_mode": "listwise"},
        {"separator": "  "},
        {"top_p": 1.5},
    ],
)
def test_options_are_checked(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=next(iter(options))):
        create_tpo_graph(Roles.sim(SEED), **options)
