"""Synchronous entry points for async nodes: ``graph.invoke`` and ``graph.stream`` work too.

Every node body is a coroutine (model calls are async). LangGraph's sync API needs a sync
function per node, so each node also gets one that runs its coroutine on a single background
event loop shared by all sync calls in the process. One shared loop, rather than a fresh
``asyncio.run`` per node, keeps the gateway's loop-bound pieces (limiter futures, HTTP client
pools) on one loop across calls; the caller's context variables (trace context, LangGraph's
config) travel with each call.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from langgraph._internal._runnable import RunnableCallable

__all__ = ["dual_node", "run_coroutine"]

S = TypeVar("S")
U = TypeVar("U")

_LOOP: asyncio.AbstractEventLoop | None = None
_THREAD: threading.Thread | None = None
_LOCK = threading.Lock()


def _portal() -> asyncio.AbstractEventLoop:
    global _LOOP, _THREAD
    with _LOCK:
        if _LOOP is None or _LOOP.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="sparring-sync-loop", daemon=True
            )
            thread.start()
            if _LOOP is None:
                atexit.register(_shutdown)
            _LOOP, _THREAD = loop, thread
        return _LOOP


async def _cancel_others() -> None:
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


def _shutdown() -> None:
    # Background tasks libraries start on the loop (LiteLLM's logging worker) are cancelled
    # and the loop closed at exit, so Python does not warn about destroyed pending tasks.
    loop, thread = _LOOP, _THREAD
    if loop is None or loop.is_closed() or thread is None:
        return
    with contextlib.suppress(Exception):
        asyncio.run_coroutine_threadsafe(_cancel_others(), loop).result(timeout=5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    if not thread.is_alive():
        loop.close()


def run_coroutine(make: Callable[[], Awaitable[U]]) -> U:
    """Run the coroutine ``make()`` to completion from sync code, in the caller's context.

    Raises:
        RuntimeError: Called from the background loop itself (a sync call nested in an
            async node), which would deadlock.
    """
    loop = _portal()
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:  # the usual case: plain sync code
        running = None
    if running is loop:
        raise RuntimeError("a sync sparring graph call cannot run inside an async node")
    ctx = contextvars.copy_context()

    async def in_context() -> U:
        return await loop.create_task(_await(make), context=ctx)

    return asyncio.run_coroutine_threadsafe(in_context(), loop).result()


async def _await(make: Callable[[], Awaitable[U]]) -> U:
    return await make()


def dual_node(name: str, afunc: Callable[[S], Awaitable[U]]) -> Any:
    """A LangGraph node with ``afunc`` for ``ainvoke``/``astream`` and a sync twin for the rest."""

    def func(state: S) -> U:
        return run_coroutine(lambda: afunc(state))

    func.__name__ = afunc.__name__
    return RunnableCallable(func, afunc, name=name, trace=False)
