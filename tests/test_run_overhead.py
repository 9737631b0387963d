"""The run's cheap paths: loop-thread checkpoints, the frozen heap, spent totals, inline routers."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from sparring import Roles
from sparring.graphs import REGISTRY, GraphSpec
from sparring.graphs._nodes import add_route, inline_router
from sparring.run import Budget, FieldMap, Run
from sparring.run._checkpoints import LoopSqliteSaver, open_checkpoints
from sparring.run._heap import frozen_heap
from sparring.verify import is_equiv
from tests._toy_graph import SPEC_ARGS
from tests.test_runner import _data


@pytest.fixture(autouse=True)
def _toy_graph() -> Iterator[None]:
    REGISTRY.register(GraphSpec(*SPEC_ARGS), replace=True)
    yield
    REGISTRY.unregister("toy-loop")


class _Count(TypedDict, total=False):
    n: int
    threads: list[str]


def _counting_graph(checkpointer: Any) -> Any:
    """Counts to 3 through a router; records the thread each routing decision ran on."""

    def step(state: _Count) -> dict[str, Any]:
        return {"n": state.get("n", 0) + 1}

    def route(state: _Count) -> str:
        state.setdefault("threads", []).append(threading.current_thread().name)
        return "step" if state.get("n", 0) < 3 else END

    builder: StateGraph[Any, Any, Any, Any] = StateGraph(_Count)
    builder.add_node("step", step)
    builder.add_edge(START, "step")
    builder.add_conditional_edges("step", inline_router(route), ["step", END])
    return builder.compile(checkpointer=checkpointer)


def test_loop_saver_and_aiosqlite_saver_read_each_others_threads(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.sqlite"
    config: RunnableConfig = {"configurable": {"thread_id": "item-0"}}

    async def main() -> None:
        with open_checkpoints(path) as saver:
            assert isinstance(saver, LoopSqliteSaver)
            out = await _counting_graph(saver).ainvoke({"n": 0}, config, durability="sync")
            assert out["n"] == 3
            history = [c async for c in saver.alist(config)]
            assert len(history) >= 4  # input, then one per step
        async with AsyncSqliteSaver.from_conn_string(str(path)) as other:
            snapshot = await _counting_graph(other).aget_state(config)
            assert snapshot.values["n"] == 3 and not snapshot.next
            await other.adelete_thread("item-0")
        with open_checkpoints(path) as saver:
            assert await saver.aget_tuple(config) is None

    asyncio.run(main())


def test_inline_router_runs_on_the_loop_thread_and_sync_invoke_still_works() -> None:
    graph = _counting_graph(None)
    threads: list[str] = []

    async def main() -> None:
        await graph.ainvoke({"n": 0, "threads": threads})

    asyncio.run(main())
    assert threads and set(threads) == {threading.current_thread().name}
    assert graph.invoke({"n": 1})["n"] == 3


def test_every_catalogued_graph_routes_on_the_loop_thread() -> None:
    # add_route is the one way graphs add conditional edges: none is left to a worker thread.
    src = Path(__file__).parents[1] / "src/sparring/graphs"
    direct = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if p.name != "_nodes.py" and ".add_conditional_edges(" in p.read_text(encoding="utf-8")
    ]
    assert direct == []

    async def not_a_plain_function(state: Any) -> str:
        return END

    builder: StateGraph[Any, Any, Any, Any] = StateGraph(_Count)
    builder.add_node("step", lambda s: {"n": 1})
    with pytest.raises(TypeError, match="plain function"):
        add_route(builder, "step", not_a_plain_function, [END])


def test_frozen_heap_freezes_for_the_block_and_nests() -> None:
    assert gc.get_freeze_count() == 0
    with frozen_heap():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with frozen_heap():  # a second run in the same process shares the freeze
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == 0


def test_frozen_heap_leaves_an_applications_own_freeze_alone() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with frozen_heap():
            pass
        assert gc.get_freeze_count() == before  # not unfrozen by the run
    finally:
        gc.unfreeze()


def test_budget_carries_over_a_session_that_never_wrote_spent_json(tmp_path: Path) -> None:
    run = Run.create(
        tmp_path / "run",
        graph="toy-loop",
        roles=Roles.sim(seed=1),
        budget=Budget(max_calls=20),
        concurrency=2,
    )
    run.ingest(_data(tmp_path / "data.jsonl", 8), FieldMap())
    assert asyncio.run(run.execute()) == "stopped"
    done = run.store.counts()["done"]
    assert done < 8
    calls = sum(t.calls for t in run.store.call_totals())
    run.close()
    # A killed session writes no spent.json; its calls are in the store's totals.
    (tmp_path / "run" / "spent.json").unlink()
    again = Run.open(tmp_path / "run")
    assert asyncio.run(again.execute()) == "stopped"  # the budget was spent already
    # It stopped at its first call (plus what was under way), instead of making 20 more.
    assert sum(t.calls for t in again.store.call_totals()) - calls < 20


def test_identical_answers_are_equivalent_without_normalising() -> None:
    assert is_equiv("42", "42") and is_equiv(r"\frac{1}{2}", r"\frac{1}{2}")
    # A whole GSM8K solution as gold still means its final line, even against itself.
    solution = "3 + 4 = 7\n#### 7"
    assert is_equiv("7", solution) and not is_equiv("8", solution)
    for _ in range(3):  # memoised steps give the same verdicts every time
        assert is_equiv("1,000", "1000") and not is_equiv("25", "0.25")
