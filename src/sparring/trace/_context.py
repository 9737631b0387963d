"""Where an event happened: run, item and graph node, carried by context variables."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, replace

__all__ = ["TraceContext", "current_context", "trace_context"]


@dataclass(frozen=True, slots=True)
class TraceContext:
    """The location every event is stamped with."""

    run_id: str | None = None
    item_id: str | None = None
    node: str | None = None


_EMPTY = TraceContext()  # frozen, so sharing it as the default is safe
_CURRENT: contextvars.ContextVar[TraceContext] = contextvars.ContextVar(
    "sparring_trace_context",
    default=_EMPTY,
)


def current_context() -> TraceContext:
    """The context in force for the running task."""
    return _CURRENT.get()


@contextlib.contextmanager
def trace_context(
    *, run_id: str | None = None, item_id: str | None = None, node: str | None = None
) -> Iterator[TraceContext]:
    """Set run, item or node for events emitted inside the block (others are inherited)."""
    base = _CURRENT.get()
    ctx = replace(
        base,
        run_id=run_id if run_id is not None else base.run_id,
        item_id=item_id if item_id is not None else base.item_id,
        node=node if node is not None else base.node,
    )
    token = _CURRENT.set(ctx)
    try:
        yield ctx
    finally:
        _CURRENT.reset(token)
