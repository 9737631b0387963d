"""Event sinks a run uses: the store writer, the budget watch, the failed-call watch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sparring.memory._store import RunStore
from sparring.run._config import Budget
from sparring.run._outcome import stop_detail
from sparring.trace import Event, ModelCallEvent

__all__ = ["BudgetWatch", "FailureWatch", "StoreSink", "describe_failures"]

# The failed calls of the item whose task (and its LangGraph child tasks) is running.
_ITEM_FAILURES: ContextVar[list[ModelCallEvent] | None] = ContextVar(
    "sparring_item_failures", default=None
)


class StoreSink:
    """Buffers events and writes them to the run store in batches."""

    def __init__(self, store: RunStore, *, batch: int = 500) -> None:
        self.store = store
        self.batch = batch
        self._buffer: list[Event] = []

    def emit(self, event: Event) -> None:
        """Buffer the event; write the buffer when full."""
        self._buffer.append(event)
        if len(self._buffer) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """Write buffered events."""
        if self._buffer:
            events, self._buffer = self._buffer, []
            self.store.add_events(events)


class BudgetWatch:
    """Totals calls and cost (this session plus earlier ones) and says when to stop."""

    def __init__(self, budget: Budget, *, spent: dict[str, float] | None = None) -> None:
        self.budget = budget
        earlier = spent or {}
        self.calls = int(earlier.get("calls", 0))
        self.cost_usd = float(earlier.get("cost_usd", 0.0))
        self.reason: str | None = None

    @property
    def stopped(self) -> bool:
        """Whether a limit was reached."""
        return self.reason is not None

    def emit(self, event: Event) -> None:
        """Count one model call; set the stop reason when a limit is reached."""
        if not isinstance(event, ModelCallEvent):
            return
        self.calls += 1
        if event.cost_usd is not None and not event.cache_hits:
            self.cost_usd += event.cost_usd
        limit_cost, limit_calls = self.budget.max_cost_usd, self.budget.max_calls
        if limit_cost is not None and self.cost_usd >= limit_cost and self.reason is None:
            self.reason = stop_detail("budget", f"spent ${self.cost_usd:.4f} of ${limit_cost:g}")
        if limit_calls is not None and self.calls >= limit_calls and self.reason is None:
            self.reason = stop_detail("budget", f"{self.calls} calls of {limit_calls}")

    def spent_now(self) -> dict[str, float]:
        """Calls and cost so far, for the next session."""
        return {"calls": float(self.calls), "cost_usd": self.cost_usd}


class FailureWatch:
    """Collects each item's model calls that failed for good; stops the run on a fatal one.

    Graphs keep going past a failed call (a judge that cannot answer leaves a verdict
    unscored), so the runner cannot tell from an item's result whether its calls failed. This
    sink files every failed call under the item whose context made it (``collect``). A fatal
    failure (missing or rejected key, unknown model) also sets ``reason``: retrying or going
    on to other items cannot help, so the run stops and the items stay pending.
    """

    def __init__(self) -> None:
        self.reason: str | None = None

    @property
    def stopped(self) -> bool:
        """Whether a fatal failure was seen."""
        return self.reason is not None

    def emit(self, event: Event) -> None:
        """File a failed call under the current item; note the first fatal one."""
        if not isinstance(event, ModelCallEvent) or event.error is None:
            return
        bucket = _ITEM_FAILURES.get()
        if bucket is not None:
            bucket.append(event)
        if event.error.fatal and self.reason is None:
            self.reason = stop_detail("model error", _cause(event))

    @staticmethod
    @contextmanager
    def collect() -> Iterator[list[ModelCallEvent]]:
        """File the failed calls made inside this block (and its child tasks) in a list."""
        bucket: list[ModelCallEvent] = []
        token = _ITEM_FAILURES.set(bucket)
        try:
            yield bucket
        finally:
            _ITEM_FAILURES.reset(token)


def _cause(event: ModelCallEvent) -> str:
    """``judge model 'x' after 6 attempts: server (HTTP 500): ...`` for a failed call."""
    error = event.error
    assert error is not None
    who = f"{event.role} model" if event.role else "model"
    status = f" (HTTP {error.status_code})" if error.status_code else ""
    tries = "1 attempt" if event.attempts == 1 else f"{event.attempts} attempts"
    return f"{who} {event.model!r} after {tries}: {error.kind}{status}: {error.message[:300]}"


def describe_failures(failed: list[ModelCallEvent]) -> str:
    """One line for an item whose calls failed: how many, and the first one's cause."""
    calls = "1 model call" if len(failed) == 1 else f"{len(failed)} model calls"
    return f"{calls} failed after retries; first: {_cause(failed[0])}"
