"""The run loop: every item is a LangGraph thread checkpointed in SQLite.

A killed run resumes in the middle of an item's loop (the thread's last checkpoint), never
redoes a completed item (its status is ``done``), and never loses or duplicates a record (an
item's records are written with its ``done`` status in one transaction).
"""

from __future__ import annotations

import asyncio
import json
import time
import traceback
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from sparring._secrets import redact
from sparring.errors import ConfigError, ModelCallError
from sparring.graphs import REGISTRY, GraphSpec
from sparring.memory._store import ItemRow, RunStore
from sparring.models import Gateway, ResponseCache, Roles
from sparring.prompts import set_nonce_key
from sparring.run._checkpoints import open_checkpoints
from sparring.run._config import RunConfig
from sparring.run._heap import frozen_heap
from sparring.run._results import item_result
from sparring.run._sinks import BudgetWatch, FailureWatch, StoreSink, describe_failures
from sparring.trace import EventSink, FanoutSink, ModelCallEvent, trace_context

__all__ = ["ItemDone", "Runner"]

ItemDone = Callable[[ItemRow, str], None]
_PAGE = 256


class Runner:
    """Runs one graph over the pending items of a run directory.

    Args:
        run_dir: The run's directory (holds ``run.sqlite``, ``checkpoints.sqlite``, ...).
        store: The run store.
        config: The run's config.
        roles: The role bindings (their gateway is replaced by the run's).
        sinks: More event sinks (a live view, a JSONL file).
        on_item: Called after each item with its row and its new status.
    """

    def __init__(
        self,
        run_dir: Path,
        store: RunStore,
        config: RunConfig,
        roles: Roles,
        *,
        sinks: tuple[EventSink, ...] = (),
        on_item: ItemDone | None = None,
    ) -> None:
        self.run_dir, self.store, self.config = run_dir, store, config
        self.spec: GraphSpec = REGISTRY[config.graph]
        self.watch = BudgetWatch(config.budget, spent=_load_spent(run_dir, store))
        self.failures = FailureWatch()
        self.store_sink = StoreSink(store)
        cache = ResponseCache(run_dir / "cache.sqlite") if config.cache else None
        fanout = FanoutSink([self.store_sink, self.watch, self.failures, *sinks])
        self.gateway = Gateway(sink=fanout, cache=cache)
        self.roles = roles.with_gateway(self.gateway)
        self.on_item = on_item
        self._run_id = run_dir.name

    async def run(self) -> str:
        """Run every pending (or interrupted) item; returns the run's final status."""
        set_nonce_key(bytes.fromhex(self.config.nonce_key))
        self.store.set_status("running")
        async with AsyncExitStack() as stack:
            graph = await self._build(stack)
            stack.enter_context(frozen_heap())
            status = await self._loop(graph)
        self.store_sink.flush()
        self._save_spent()
        self.store.set_status(*status)
        return status[0]

    async def _build(self, stack: AsyncExitStack) -> Any:
        from langgraph.store.sqlite.aio import AsyncSqliteStore

        saver = stack.enter_context(open_checkpoints(self.run_dir / "checkpoints.sqlite"))
        lessons = await stack.enter_async_context(
            AsyncSqliteStore.from_conn_string(str(self.run_dir / "memory.sqlite"))
        )
        await lessons.setup()
        factory = self.spec.load()
        try:
            return factory(self.roles, **self.config.options, checkpointer=saver, store=lessons)
        except TypeError as err:
            raise ConfigError(f"graph {self.spec.name!r}: bad option: {err}") from None

    async def _loop(self, graph: Any) -> tuple[str, str | None]:
        slots = asyncio.Semaphore(self.config.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        after = -1
        while not self._stopping():
            page = self.store.items(("pending", "running"), after=after, limit=_PAGE)
            if not page:
                break
            for row in page:
                await slots.acquire()
                if self._stopping():
                    slots.release()
                    break
                task = asyncio.create_task(self._item(graph, row))
                tasks.add(task)

                def done(t: asyncio.Task[None]) -> None:
                    tasks.discard(t)
                    slots.release()

                task.add_done_callback(done)
            after = page[-1]["index"]
        while tasks and not self._stopping():
            await asyncio.wait(tasks, timeout=0.2)
        if self._stopping():
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            return "stopped", self.watch.reason or self.failures.reason
        return "finished", None

    def _stopping(self) -> bool:
        """A budget ran out, or a model failed in a way no other item can get past."""
        return self.watch.stopped or self.failures.stopped

    async def _item(self, graph: Any, row: ItemRow) -> None:
        index = row["index"]
        self.store.mark_running(index)
        config = {
            "configurable": {"thread_id": f"item-{index}"},
            "recursion_limit": self.spec.recursion_limit,
        }
        graph_input = {**row["input"], "item_id": row["item_id"]}
        try:
            with (
                trace_context(run_id=self._run_id, item_id=row["item_id"]),
                FailureWatch.collect() as failed,
            ):
                state = await _invoke(graph, graph_input, config)
        except asyncio.CancelledError:
            raise
        except ModelCallError as err:
            if not err.fatal:  # a fatal one stops the run; the item stays pending
                self._fail(row, str(err))
            return
        except Exception as err:  # one broken item never stops the run
            self._log_crash(row, err)
            self._fail(row, f"internal error: {type(err).__name__}: {err}")
            return
        if failed:
            await self._failed_calls(graph, config, row, failed)
            return
        self.store_sink.flush()
        self.store.complete_item(index, item_result(state))
        await _forget_thread(graph, config)
        if self.on_item is not None:
            self.on_item(row, "done")

    async def _failed_calls(
        self, graph: Any, config: dict[str, Any], row: ItemRow, failed: list[ModelCallEvent]
    ) -> None:
        """The graph went on past failed calls: the item is failed, or pending after a fatal one.

        Its thread is forgotten so a retry starts the item afresh (the calls that succeeded
        come back from the response cache).
        """
        await _forget_thread(graph, config)
        if any(e.error is not None and e.error.fatal for e in failed):
            return
        self._fail(row, describe_failures(failed))

    def _fail(self, row: ItemRow, error: str) -> None:
        self.store_sink.flush()
        self.store.fail_item(row["index"], redact(error)[:2000])
        if self.on_item is not None:
            self.on_item(row, "failed")

    def _log_crash(self, row: ItemRow, err: Exception) -> None:
        text = "".join(traceback.format_exception(err))
        with (self.run_dir / "errors.log").open("a", encoding="utf-8") as fh:
            fh.write(f"--- item {row['index']} ({row['item_id']}) at {time.ctime()}\n")
            fh.write(redact(text) + "\n")

    def _save_spent(self) -> None:
        path = self.run_dir / "spent.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.watch.spent_now()), encoding="utf-8")
        tmp.replace(path)


async def _invoke(
    graph: Any, graph_input: dict[str, Any], config: dict[str, Any]
) -> dict[str, Any]:
    """Start the item, or resume it from its last checkpoint, or take its finished state.

    Checkpoints are written synchronously (``durability="sync"``): a step's checkpoint is on
    disk before the next step starts, so a SIGKILL never leaves half of a step behind.
    """
    snapshot = await graph.aget_state(config)
    metadata = snapshot.metadata or {}
    if snapshot.next or snapshot.tasks:
        # Mid-loop. ``next`` omits tasks whose writes were saved before the kill; ``tasks``
        # still lists them, and resuming applies those writes instead of re-running the node.
        result = await graph.ainvoke(None, config, durability="sync")
    elif snapshot.values and metadata.get("source") == "loop" and metadata.get("step", -1) >= 0:
        result = snapshot.values  # finished before a crash, not yet recorded
    else:
        if snapshot.values:  # a checkpoint with nothing to resume: start the item afresh
            await _forget_thread(graph, config)
        result = await graph.ainvoke(graph_input, config, durability="sync")
    return dict(result)


async def _forget_thread(graph: Any, config: dict[str, Any]) -> None:
    saver = getattr(graph, "checkpointer", None)
    if saver is not None and hasattr(saver, "adelete_thread"):
        await saver.adelete_thread(config["configurable"]["thread_id"])


def _load_spent(run_dir: Path, store: RunStore) -> dict[str, float]:
    """Calls and cost of the earlier sessions, for the budget.

    ``spent.json`` is written when a session ends. A killed session never wrote it, but its
    model-call events reached the store with each finished item (before the item's ``done``),
    so the store's call totals are never less than what a file written then would hold: the
    larger of the two counts.
    """
    path = run_dir / "spent.json"
    saved: dict[str, float] = {}
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
    totals = store.call_totals()
    calls = sum(t.calls for t in totals)
    cost = sum(t.cost_usd for t in totals)
    return {
        "calls": max(float(saved.get("calls", 0)), float(calls)),
        "cost_usd": max(float(saved.get("cost_usd", 0.0)), cost),
    }
