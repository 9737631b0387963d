"""System 2 Attention: topology, the rewrite-only answer, the measured gain, fallbacks, failures."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from sparring import Roles
from sparring.agents import Actor
from sparring.errors import ModelCallError
from sparring.graphs.s2a import ANSWER, create_s2a_graph, parse_rewrite
from sparring.models import BackendRequest, BackendResult, Gateway, Model, RetryPolicy, backend_for
from sparring.sim import SimWorld
from sparring.sim.behaviours._s2a import DistractorKind, distract, find_distracted
from sparring.trace import MemorySink, ModelCallEvent
from sparring.verify import extract_answer, is_equiv
from tests._snapshots import assert_topology


class Failing:
    async def generate(self, request: BackendRequest) -> BackendResult:
        raise RuntimeError("backend is down")


def distracted(world: SimWorld, i: int) -> tuple[dict[str, Any], str]:
    """A distracted item (opinion for odd ``i``, irrelevant quantity for even) and its extra."""
    task = world.problem(i)
    kind: DistractorKind = "opinion" if i % 2 else "irrelevant"
    prompt = distract(task, random.Random(i), kind)
    found = find_distracted(prompt)
    assert found is not None and found.task.answer_text == task.answer_text
    state = {"prompt": prompt, "answer": task.answer_text, "item_id": f"p{i}"}
    return state, found.distractors[0].sentence


def test_topology() -> None:
    assert_topology(create_s2a_graph(Roles.sim(seed=0)), "s2a")


def test_parse_rewrite() -> None:
    assert parse_rewrite("Context: A has 3.\nQuestion: How many?") == ("A has 3.", "How many?")
    echoed = "Context: <the context>\nQuestion: <the question>\n\nContext: B.\nQuestion: Why?"
    assert parse_rewrite(echoed) == ("B.", "Why?")
    assert parse_rewrite("Just an answer: 42") is None


async def test_answer_step_sees_the_rewrite_only() -> None:
    sink = MemorySink()
    graph = create_s2a_graph(Roles.sim(seed=31, gateway=Gateway(sink=sink)))
    world, dropped = SimWorld(31), 0
    for i in range(12):
        sink.clear()
        state, extra = distracted(world, i)
        out = await graph.ainvoke(state)
        assert out["rewrite_ok"] and out["question"].startswith("How many")
        assert out["judged"] == {"actor": 1} and out["unscored"] == {"actor": 0}
        (call,) = [e for e in sink.of_kind(ModelCallEvent) if e.node == ANSWER]
        sent = "\n".join(m["content"] for m in call.messages)
        assert out["context"] in sent and state["prompt"] not in sent
        if extra not in out["context"]:
            dropped += 1
            assert extra not in sent
        if out["correct"]:
            (record,) = out["sft"]
            assert record["messages"][0]["content"] == state["prompt"]
            assert record["messages"][-1]["content"] == out["response"]
            assert record["meta"]["purpose"] == "s2a_distillation"
    assert dropped >= 6  # each distractor is dropped with probability ~0.87


async def test_s2a_beats_the_naive_reading_on_distracted_problems() -> None:
    """The S2A claim on the simulator, with the sim's own expectation.

    The naive actor is swayed with probability 1 - accuracy, so it is right about
    0.6 * 0.6 = 0.36 of the time; the rewrite drops a distractor unless it slips (about 13%),
    so S2A is right about 0.87 * 0.6 + 0.13 * 0.36 = 0.57. Over 200 items the gap must be at
    least the expected 0.21 minus three standard errors of the difference (about 0.06), and
    each rate within 0.15 (over four standard errors) of its expectation. (The rewrite prompt
    fences the text with a fresh nonce, so draws differ from run to run: hence the margins.)
    """
    roles = Roles.sim(seed=32)
    graph, actor, world = create_s2a_graph(roles), Actor(roles), SimWorld(32)
    naive = s2a = 0
    n = 200
    for i in range(n):
        state, _ = distracted(world, i)
        out = await graph.ainvoke(state)
        s2a += bool(out["correct"])
        plain = await actor.answer(state["prompt"])
        naive += is_equiv(extract_answer(plain.text), state["answer"])
    naive_rate, s2a_rate = naive / n, s2a / n
    se = math.sqrt((0.36 * 0.64 + 0.57 * 0.43) / n)
    assert s2a_rate - naive_rate >= 0.21 - 3 * se, (naive_rate, s2a_rate)
    assert abs(naive_rate - 0.36) <= 0.15 and abs(s2a_rate - 0.57) <= 0.15


async def test_plain_problem_keeps_its_facts() -> None:
    task = SimWorld(33).problem(0)
    out = await create_s2a_graph(Roles.sim(seed=33)).ainvoke(
        {"prompt": task.question, "answer": task.answer_text}
    )
    assert out["rewrite_ok"]
    assert f"{out['context']} {out['question']}".strip() == task.question


async def test_unreadable_rewrite_falls_back_to_the_original_prompt() -> None:
    profile = {"actor": {"malformed_rate": 1.0}}
    sink = MemorySink()
    graph = create_s2a_graph(Roles.sim(seed=34, profile=profile, gateway=Gateway(sink=sink)))
    state, _ = distracted(SimWorld(34), 1)
    out = await graph.ainvoke(state)
    assert out["rewrite_ok"] is False and out["context"] is None and out["question"] is None
    assert out["judged"] == out["unscored"] == {"actor": 1}
    (call,) = [e for e in sink.of_kind(ModelCallEvent) if e.node == ANSWER]
    assert state["prompt"] in call.messages[-1]["content"]
    assert out.get("sft", []) == []


async def test_actor_failure_raises_model_call_error() -> None:
    def factory(model: Model) -> Any:
        return Failing() if model.name == "sim/actor" else backend_for(model)

    gateway = Gateway(retry=RetryPolicy(max_attempts=1), backend_factory=factory)
    with pytest.raises(ModelCallError):
        await create_s2a_graph(Roles.sim(seed=1, gateway=gateway)).ainvoke({"prompt": "Hi?"})
