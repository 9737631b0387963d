"""Reflexion: topology, lessons kept and read across items of a family, bounds, records."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from langgraph.store.memory import InMemoryStore
from langgraph.store.sqlite import SqliteStore

from sparring import Roles
from sparring.agents import Actor
from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.graphs.reflexion import create_reflexion_graph, parse_reflection
from sparring.memory.lessons import (
    aput_lesson,
    arecent_lessons,
    family_namespace,
    put_lesson,
    recent_lessons,
)
from sparring.models import BackendRequest, BackendResult, Gateway, Model, RetryPolicy, backend_for
from sparring.prompts import Untrusted, load_prompt
from sparring.sim import SimWorld
from sparring.sim.behaviours._reflexion import LESSON_TEXT
from sparring.verify import extract_answer, is_equiv
from tests._snapshots import assert_topology

CONFIG = {"recursion_limit": REGISTRY["reflexion"].recursion_limit}
FAST = RetryPolicy(max_attempts=2, initial_delay_s=0.001, jitter=0.0)


def items(seed: int, count: int, start: int = 0) -> list[dict[str, Any]]:
    world = SimWorld(seed)
    return [
        {"prompt": world.problem(i).question, "answer": world.problem(i).answer_text,
         "item_id": f"w{i}"}
        for i in range(start, start + count)
    ]  # fmt: skip


def weak_actor(seed: int, accuracy: float) -> Roles:
    return Roles.sim(seed=seed, profile={"actor": {"accuracy": accuracy, "malformed_rate": 0.0}})


def test_topology() -> None:
    assert_topology(create_reflexion_graph(Roles.sim(seed=0)), "reflexion")


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="max_attempts"):
        create_reflexion_graph(Roles.sim(), max_attempts=0)
    with pytest.raises(ConfigError, match="family"):
        create_reflexion_graph(Roles.sim(), family=" ")


def test_reflection_parsing() -> None:
    text = "Diagnosis: step 2 adds instead of multiplying.\nLesson: Check each operation."
    assert parse_reflection(text) == (
        "step 2 adds instead of multiplying.",
        "Check each operation.",
    )
    assert parse_reflection("I am not sure.") == (None, None)


def test_lessons_store_pages_past_the_search_limit_and_keeps_families_apart() -> None:
    store = InMemoryStore()
    for i in range(25):  # more than store.search's default limit of 10
        put_lesson(store, "arithmetic", f"lesson {i}", key=f"k{i}", item_id=f"q{i}", attempt=0)
    put_lesson(store, "arithmetic", "lesson 24", key="dup")  # same text: returned once
    put_lesson(store, "dyck", "close brackets in reverse order", key="d0")
    newest = recent_lessons(store, "arithmetic", limit=3)
    assert [lesson.text for lesson in newest] == ["lesson 24", "lesson 23", "lesson 22"]
    assert newest[1].item_id == "q23" and newest[1].attempt == 0
    assert len(recent_lessons(store, "arithmetic", limit=100)) == 25
    assert [lesson.text for lesson in recent_lessons(store, "dyck")] == [
        "close brackets in reverse order"
    ]
    assert recent_lessons(store, "unknown family") == []
    assert family_namespace("gsm8k.v2") == ("sparring", "lessons", "gsm8k_v2")


def test_async_lessons_work_on_a_sync_only_sqlite_store(tmp_path: Path) -> None:
    with SqliteStore.from_conn_string(str(tmp_path / "lessons.sqlite")) as store:
        store.setup()

        async def go() -> list[str]:
            await aput_lesson(store, "arithmetic", "Recompute each product.", key="a")
            return [lesson.text for lesson in await arecent_lessons(store, "arithmetic")]

        assert asyncio.run(go()) == ["Recompute each product."]


async def test_lessons_are_kept_and_read_across_items_of_a_family() -> None:
    store = InMemoryStore()
    graph = create_reflexion_graph(weak_actor(1, 0.2), family="arithmetic", store=store)
    first = await graph.ainvoke(items(1, 1)[0], CONFIG)
    assert first["attempts"][0]["correct"] is False and first["attempts"][0]["lessons_used"] == []
    lesson = first["reflections"][0]["lesson"]
    assert lesson in LESSON_TEXT.values()
    # the same item's next attempt read the lesson its first failure left
    assert lesson in first["attempts"][1]["lessons_used"]
    stored = {item.text for item in recent_lessons(store, "arithmetic", limit=10)}
    assert lesson in stored
    # a later item of the same family starts with the lessons in view ...
    later = await graph.ainvoke(items(1, 1, start=5)[0], CONFIG)
    assert later["attempts"][0]["lessons_used"]
    assert set(later["attempts"][0]["lessons_used"]) <= stored
    # ... an item of another family does not
    other = await graph.ainvoke({**items(1, 1, start=6)[0], "family": "geometry"}, CONFIG)
    assert other["attempts"][0]["lessons_used"] == []


async def test_stops_when_solved_or_after_max_attempts() -> None:
    graph = create_reflexion_graph(weak_actor(2, 0.0), max_attempts=3)
    state = await graph.ainvoke(items(2, 1)[0], CONFIG)
    assert state["trial"] == 3 and state["stop_reason"] == "max_attempts"
    assert len(state["reflections"]) == 2 and state["sft"] == [] and state["pairs"] == []
    graph = create_reflexion_graph(weak_actor(2, 1.0), max_attempts=3)
    state = await graph.ainvoke(items(2, 1)[0], CONFIG)
    assert state["trial"] == 1 and state["stop_reason"] == "solved"
    assert state.get("reflections", []) == []


async def test_success_after_failure_gives_sft_and_a_pair() -> None:
    graph = create_reflexion_graph(weak_actor(3, 0.4), max_attempts=4, family="arithmetic")
    found = 0
    for item in items(3, 12):
        state = await graph.ainvoke(item, CONFIG)
        assert isinstance(state["success"], bool)
        if state["success"] and state["trial"] > 1:
            found += 1
            (pair,) = state["pairs"]
            assert pair["chosen"] == state["solution"]
            assert pair["rejected"] == state["attempts"][-2]["solution"]
            (record,) = state["sft"]
            assert record["messages"][-1]["content"] == state["solution"]
            assert "LESSONS" not in record["messages"][-2]["content"]  # the plain prompt
    assert found >= 2


async def test_no_gold_means_one_attempt() -> None:
    state = await create_reflexion_graph(Roles.sim(seed=4)).ainvoke({"prompt": "Hi?"}, CONFIG)
    assert state["trial"] == 1 and state["stop_reason"] == "no_gold" and state["success"] is None


class Failing:
    async def generate(self, request: BackendRequest) -> BackendResult:
        raise RuntimeError("reflector is down")


async def test_a_failing_reflector_stores_nothing_and_does_not_raise() -> None:
    failing = Failing()
    gateway = Gateway(
        retry=FAST,
        seed=0,
        backend_factory=lambda m: failing if m.name == "test/x" else backend_for(m),
    )
    roles = weak_actor(5, 0.0).with_gateway(gateway).bind(reflector=Model("test/x"))
    store = InMemoryStore()
    graph = create_reflexion_graph(roles, reflect_role="reflector", store=store, max_attempts=2)
    state = await graph.ainvoke(items(5, 1)[0], CONFIG)
    assert state["reflections"][0]["lesson"] is None
    assert recent_lessons(store, "general") == []


async def test_lessons_in_the_prompt_lower_the_simulated_error_rate() -> None:
    # The simulator's documented mechanism: lessons naming error types avoid a share
    # LESSON_WEIGHT * refine_gain of those errors (here 0.5 * 1.0 of all three types).
    roles = Roles.sim(seed=6, profile={"actor": {"accuracy": 0.4, "refine_gain": 1.0}})
    lessons = "\n".join(f"- {LESSON_TEXT[k]}" for k in ("calculation", "misread",
                                                         "wrong_operation"))  # fmt: skip
    actor = Actor(roles)
    world = SimWorld(6)
    plain = taught = 0
    n = 300
    for i in range(n):
        task = world.problem(i)
        without = await actor.answer(task.question)
        messages = load_prompt("actor/solve_lessons").render(
            question=Untrusted(task.question, "QUESTION"),
            lessons=Untrusted(lessons, "LESSONS"),
            answer_format="End with a last line of the form '#### <number>'.",
        )
        with_lessons = await roles.complete("actor", messages)
        plain += is_equiv(extract_answer(without.text), task.answer_text)
        taught += is_equiv(extract_answer(with_lessons.text), task.answer_text)
    # expected about 0.40 -> 0.62 on 300 problems; ask for a gain of at least 0.1
    assert taught / n - plain / n >= 0.1
