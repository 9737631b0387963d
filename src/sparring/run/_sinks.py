"""Event sinks a run uses: a buffered writer into the run store, and the budget watch."""

from __future__ import annotations

from sparring.memory._store import RunStore
from sparring.run._config import Budget
from sparring.trace import Event, ModelCallEvent

__all__ = ["BudgetWatch", "StoreSink"]


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
            self.reason = f"budget: spent ${self.cost_usd:.4f} of ${limit_cost:g}"
        if limit_calls is not None and self.calls >= limit_calls and self.reason is None:
            self.reason = f"budget: {self.calls} calls of {limit_calls}"

    def spent_now(self) -> dict[str, float]:
        """Calls and cost so far, for the next session."""
        return {"calls": float(self.calls), "cost_usd": self.cost_usd}
