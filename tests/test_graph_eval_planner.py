"""The eval-planner graph on the simulator: synthetic pairs, planner judgments, judge records."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sparring import Roles
from sparring.agents import Verdict, parse_verdict, swap_choice
from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.graphs.eval_planner import create_eval_planner_graph, parse_new_instruction
from sparring.models import BackendRequest, BackendResult, Gateway, Model, RetryPolicy
from sparring.models import backend_for as real_backend
from sparring.prompts import load_prompt
from sparring.sim import SimWorld, parse_instruction, parse_problem, quality
from sparring.sim._grade import Task
from tests._snapshots import assert_topology

SEED = 23
NOISY = {"planner": {"sharpness": 3.0, "pairwise_noise": 3.0}}


class DownBackend:
    async def generate(self, request: BackendRequest) -> BackendResult:
        raise RuntimeError("planner backend is down")


def _rows(count: int, start: int = 0) -> list[tuple[Task, dict[str, Any]]]:
    world = SimWorld(SEED)
    out = []
    for i in range(start, start + count):
        task = world.task(i)
        answer = getattr(task, "answer_text", None)
        out.append((task, {"prompt": task.question, "answer": answer, "item_id": f"ep-{i}"}))
    return out


async def _run(graph: Any, items: list[dict[str, Any]]) -> list[Any]:
    return list(await asyncio.gather(*(graph.ainvoke(it) for it in items)))


def _truth(task: Task, a: str, b: str) -> str:
    qa, qb = quality(task, a), quality(task, b)
    return "A" if qa > qb else "B" if qb > qa else "tie"


def test_topology() -> None:
    assert_topology(create_eval_planner_graph(Roles.sim(SEED)), "eval-planner")
    assert REGISTRY["eval-planner"].load() is create_eval_planner_graph


def test_synthetic_pairs_and_judge_records() -> None:
    rows = _rows(16)
    graph = create_eval_planner_graph(Roles.sim(SEED, profile=NOISY))
    outs = asyncio.run(_run(graph, [item for _, item in rows]))
    label_right = raw_right = raw_total = target_right = target_total = 0
    labels = {"A": 0, "B": 0}
    for (task, item), out in zip(rows, outs, strict=True):
        pair = out["synthetic"]
        new = pair["similar_instruction"]
        assert new != item["prompt"]
        assert (parse_problem(new) or parse_instruction(new)) is not None
        truth = _truth(task, pair["chosen"], pair["rejected"])
        label_right += truth == "A"
        readable = {p["index"]: p["plan"] for p in out["plans"] if p["plan"] is not None}
        assert out["judged"] == {"planner": 2 * 2 * len(readable)}  # executions x orders
        for sample in out["samples"]:
            for key, flip in (("first", False), ("swapped", True)):
                verdict = Verdict.model_validate(sample["judgment"][key])
                if verdict.is_scored:
                    raw_total += 1
                    raw_right += verdict.choice == (swap_choice(truth) if flip else truth)
        for record in out["sft"]:
            assert record["messages"][-1]["role"] == "assistant"
            meta = record["meta"]
            assert (meta["technique"], meta["kind"], meta["item_id"]) == (
                "eval-planner",
                "judgment",
                item["item_id"],
            )
            assert meta["models"] == {"planner": "sim/planner", "actor": "sim/actor"}
            cot = record["messages"][-1]["content"]
            assert cot.startswith(f"Plan:\n{readable[meta['plan_index']]}\n\nExecution:\n")
            said = parse_verdict(cot, "pairwise").choice
            assert said == meta["label"]
            labels[meta["label"]] += 1
            target_total += 1
            target_right += said == (truth if meta["order"] == "AB" else swap_choice(truth))
        for judge_pair in out["pairs"]:
            meta = judge_pair["meta"]
            assert meta["kind"] == "judgment"
            assert parse_verdict(judge_pair["chosen"], "pairwise").choice == meta["extra"]["label"]
            assert (
                parse_verdict(judge_pair["rejected"], "pairwise").choice != meta["extra"]["label"]
            )
            assert "[BEGIN RESPONSE A" in judge_pair["prompt"]
            plan = readable[meta["extra"]["plan_index"]]  # both sides carry out the same plan
            for side in (judge_pair["chosen"], judge_pair["rejected"]):
                assert side.startswith(f"Plan:\n{plan}\n\nExecution:\n")
    raw, target = raw_right / raw_total, target_right / target_total
    print(
        f"\nsynthetic labels right by ground truth: {label_right}/{len(rows)}; noisy planner "
        f"verdicts right: {raw:.2f} of {raw_total}; SFT targets right: {target:.2f} of "
        f"{target_total}; SFT labels {labels}; judge DPO pairs "
        f"{sum(len(o['pairs']) for o in outs)}"
    )
    assert label_right >= 0.85 * len(rows)
    assert target > raw + 0.1  # rejection sampling against the synthetic label pays off
    assert abs(labels["A"] - labels["B"]) <= 0.2 * target_total
    assert sum(len(o["pairs"]) for o in outs) > 0


def test_default_planner_is_accurate_and_position_consistent() -> None:
    rows = _rows(8, start=100)
    outs = asyncio.run(_run(create_eval_planner_graph(Roles.sim(SEED)), [i for _, i in rows]))
    correct = sum(o["agreement"]["correct"] for o in outs)
    scored = sum(o["agreement"]["scored"] for o in outs)
    consistent = sum(o["agreement"]["consistent"] for o in outs)
    samples = sum(o["agreement"]["samples"] for o in outs)
    print(
        f"\ndefault planner: {correct}/{scored} verdicts and {consistent}/{samples} samples "
        "position-consistently right"
    )
    assert correct >= 0.8 * scored
    assert consistent >= 0.7 * samples
    assert all(o["choice"] in ("A", "tie") for o in outs)


def test_labelled_pair_is_judged_as_given() -> None:
    task = SimWorld(SEED).problem(3)
    good, bad = f"Step 1: done.\n#### {task.answer_text}", "Step 1: done.\n#### 0"
    graph = create_eval_planner_graph(Roles.sim(SEED), n_plans=1, n_executions=2)
    item = {"prompt": task.question, "response_a": bad, "response_b": good, "label": "B"}
    out = asyncio.run(graph.ainvoke(item))
    assert "synthetic" not in out
    assert out["choice"] == "B"
    assert {r["meta"]["order"]: r["meta"]["label"] for r in out["sft"]} == {"AB": "B", "BA": "A"}
    unlabelled = asyncio.run(graph.ainvoke({**item, "label": None}))
    assert unlabelled["choice"] == "B"
    assert unlabelled["sft"] == unlabelled["pairs"] == []
    assert "agreement" not in unlabelled


def test_unreadable_contrast_instruction_stops_the_item() -> None:
    roles = Roles.sim(SEED, profile={"actor": {"malformed_rate": 1.0}})
    out = asyncio.run(create_eval_planner_graph(roles).ainvoke({"prompt": "Explain tides."}))
    assert out["similar_instruction"] is None
    assert out["refused"] == {"no contrast instruction": 1}
    assert "judged" not in out or out["judged"] == {}


def test_failing_planner_leaves_unscored_counts_and_no_records() -> None:
    def factory(model: Model) -> Any:
        return DownBackend() if model.name == "sim/planner" else real_backend(model)

    gateway = Gateway(retry=RetryPolicy(max_attempts=1), backend_factory=factory)
    graph = create_eval_planner_graph(Roles.sim(SEED, gateway=gateway))
    _, item = _rows(1)[0]
    out = asyncio.run(graph.ainvoke(item))
    assert [p["plan"] for p in out["plans"]] == [None, None]
    assert all("planner backend is down" in (p["error"] or "") for p in out["plans"])
    assert "judged" not in out or out["judged"] == {}
    assert out["sft"] == out["pairs"] == []
    assert out["refused"] == {"no plan": 2, "no correct judgment": 2}
    assert out["choice"] is None


def test_parse_new_instruction() -> None:
    assert parse_new_instruction("<new_instruction>\nDo Y.\n</new_instruction>", "Do X.") == "Do Y."
    assert parse_new_instruction("<new_instruction>do x.</new_instruction>", "Do  X.") is None
    assert parse_new_instruction("Do Y.", "Do X.") is None


@pytest.mark.parametrize(
    "options",
    [{"n_plans": 0}, {"n_executions": 65}, {"temperature": 5.0}, {"max_pairs_per_order": -1}],
)
def test_options_are_checked(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=next(iter(options))):
        create_eval_planner_graph(Roles.sim(SEED), **options)


def _accuracy(plan_quality: float, rows: list[tuple[Task, dict[str, Any]]]) -> float:
    profile = {"planner": {**NOISY["planner"], "plan_quality": plan_quality}}
    graph = create_eval_planner_graph(Roles.sim(SEED, profile=profile), n_executions=3)
    outs = asyncio.run(_run(graph, [item for _, item in rows]))
    agreements = [o["agreement"] for o in outs if "agreement" in o]
    return sum(a["correct"] for a in agreements) / sum(a["scored"] for a in agreements)


def test_better_plans_make_better_executions() -> None:
    rows = _rows(24, start=200)
    good, poor = _accuracy(0.95, rows), _accuracy(0.05, rows)
    print(f"\nexecution accuracy with good plans {good:.2f}, with poor plans {poor:.2f}")
    assert good > poor + 0.08


def test_plan_is_written_from_the_question_alone_in_free_form() -> None:
    seen: list[list[Any]] = []

    def factory(model: Model) -> Any:
        inner = real_backend(model)

        class Spy:
            async def generate(self, request: BackendRequest) -> BackendResult:
                seen.append(list(request.messages))
                result: BackendResult = await inner.generate(request)
                return result

        return Spy()

    gateway = Gateway(backend_factory=factory)
    task = SimWorld(SEED).problem(5)
    item = {"prompt": task.question, "response_a": "#### 1", "response_b": "#### 2"}
    graph = create_eval_planner_graph(Roles.sim(SEED, gateway=gateway), n_plans=2)
    out = asyncio.run(graph.ainvoke(item))
    texts = ["\n".join(m["content"] for m in messages) for messages in seen]
    plan_calls = [t for t in texts if "<plan>" in t]
    assert len(plan_calls) == 1  # the plans come from one sampled call
    assert "RESPONSE A" not in plan_calls[0] and "#### 1" not in plan_calls[0]
    assert "numbered" not in plan_calls[0].lower()
    executions = [t for t in texts if "[BEGIN PLAN" in t]
    assert len(executions) == 2 * 2 * 2
    plans = [p["plan"] for p in out["plans"] if p["plan"]]
    assert plans and all(any(plan in t for t in executions) for plan in plans)
    assert "numbered" not in load_prompt("planner/compare").sections[-1][1].lower()
