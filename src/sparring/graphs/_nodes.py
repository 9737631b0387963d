"""Node helpers: every node runs inside a trace context and emits start/end events."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sparring._secrets import redact
from sparring.models import Roles
from sparring.trace import NodeEvent, trace_context

__all__ = ["traced"]

S = TypeVar("S")
U = TypeVar("U")


def traced(name: str, fn: Callable[[S], Awaitable[U]], roles: Roles) -> Callable[[S], Awaitable[U]]:
    """Wrap an async node so its model calls carry ``node=name`` and it emits ``NodeEvent``s."""

    async def run(state: S) -> U:
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
