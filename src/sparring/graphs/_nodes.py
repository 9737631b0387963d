"""Node helpers: every node runs inside a trace context and emits start/end events."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from langgraph._internal._runnable import RunnableCallable

from sparring._secrets import redact
from sparring.graphs._sync import dual_node
from sparring.models import Roles
from sparring.sim._external import remember_item
from sparring.trace import NodeEvent, trace_context

__all__ = ["add_route", "add_traced", "inline_router", "traced"]

S = TypeVar("S")
U = TypeVar("U")
R = TypeVar("R")


def traced(name: str, fn: Callable[[S], Awaitable[U]], roles: Roles) -> Callable[[S], Awaitable[U]]:
    """Wrap an async node so its model calls carry ``node=name`` and it emits ``NodeEvent``s."""

    async def run(state: S) -> U:
        _remember(state)
        with trace_context(node=name):
            started = time.perf_counter()
            roles.gateway.emit(NodeEvent(phase="start"))
            try:
                out = await fn(state)
            except Exception as exc:
                roles.gateway.emit(
                    NodeEvent(
                        phase="error",
                        detail=redact(str(exc))[:500],
                        duration_s=time.perf_counter() - started,
                    )
                )
                raise
            roles.gateway.emit(NodeEvent(phase="end", duration_s=time.perf_counter() - started))
            return out

    run.__name__ = name.replace("-", "_")
    run.__qualname__ = run.__name__
    return run


def _remember(state: object) -> None:
    # The in-process simulator has no other way to know a user's item's ground truth: it is
    # never in a prompt. Only the simulator reads this book; real models never see it.
    if isinstance(state, dict) and isinstance(state.get("prompt"), str):
        answer, reference = state.get("answer"), state.get("reference")
        remember_item(
            state["prompt"],
            answer if isinstance(answer, str) else None,
            reference if isinstance(reference, str) else None,
        )


def add_traced(
    builder: Any, name: str, fn: Callable[[S], Awaitable[U]], roles: Roles, **options: Any
) -> None:
    """Add ``fn`` to ``builder`` as node ``name``, wrapped with ``traced``.

    The node supports both ``ainvoke``/``astream`` and ``invoke``/``stream`` (see ``_sync``).
    LangGraph's ``add_node`` overloads expect a callable protocol with a parameter named
    ``state``, which mypy does not match with the plain callable ``traced`` returns; the node is
    handed over as ``Any`` here, in one place. ``options`` go to ``add_node`` (e.g. ``defer``).
    """
    node: Any = dual_node(name, traced(name, fn, roles))
    builder.add_node(name, node, **options)


def inline_router(fn: Callable[[S], R]) -> Any:
    """Wrap a conditional-edge function so that ``ainvoke`` runs it on the event loop.

    Given a plain function, LangGraph's async API runs each routing decision in a worker
    thread (``run_in_executor``): a thread hand-off per item and step, for a function that
    only reads the state. Pass ``inline_router(fn)`` to ``add_conditional_edges`` instead of
    ``fn``; the sync API still calls ``fn`` itself, and the edge is traced as before.
    """

    async def afunc(state: S) -> R:
        return fn(state)

    return RunnableCallable(fn, afunc, name=None, trace=True)


def add_route(
    builder: Any, source: str, route: Callable[[Any], Any], destinations: list[str]
) -> None:
    """Add a conditional edge from ``source`` whose ``route`` runs on the event loop.

    Every graph routes through here, so no routing decision pays a worker-thread hand-off
    under ``ainvoke`` (see ``inline_router``). ``route`` must be a plain function: it reads
    the state and returns the next node(s) or ``Send``s.
    """
    if inspect.iscoroutinefunction(route):
        raise TypeError(f"route from {source!r} must be a plain function, not a coroutine")
    builder.add_conditional_edges(source, inline_router(route), destinations)
