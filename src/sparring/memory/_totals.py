"""Running totals of a run's events: calls per role and model, visits per node.

A summary of a 100k-item run cannot re-read a million events; a store keeps these totals up
to date as events arrive (``fold``), and any store can rebuild them from its events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sparring.trace import Event, ModelCallEvent, NodeEvent, RetryEvent

__all__ = ["CallTotals", "NodeTotals", "fold_calls", "fold_nodes"]


@dataclass(slots=True)
class CallTotals:
    """Calls, tokens, cost, failures and retries of one (role, model) pair."""

    role: str
    model: str
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    unpriced: int = 0
    failed: int = 0
    cache_hits: int = 0
    retries: int = 0


@dataclass(slots=True)
class NodeTotals:
    """Visits of one graph node and the time spent in them."""

    node: str
    visits: int = 0
    seconds: float = 0.0


def fold_calls(events: Iterable[Event], into: dict[tuple[str, str], CallTotals]) -> None:
    """Add the model calls and retries among ``events`` to ``into`` (keyed (role, model))."""
    for event in events:
        if isinstance(event, ModelCallEvent):
            key = (event.role or "(no role)", event.model)
            row = into.get(key) or into.setdefault(key, CallTotals(*key))
            row.calls += 1
            row.prompt_tokens += event.prompt_tokens
            row.completion_tokens += event.completion_tokens
            row.cache_hits += int(event.cache_hits > 0)
            row.failed += int(event.error is not None)
            if event.cost_usd is not None:
                row.cost_usd += event.cost_usd
            elif not event.cache_hits and event.error is None:
                row.unpriced += 1
        elif isinstance(event, RetryEvent):
            key = (event.role or "(no role)", event.model)
            (into.get(key) or into.setdefault(key, CallTotals(*key))).retries += 1


def fold_nodes(events: Iterable[Event], into: dict[str, NodeTotals]) -> None:
    """Add the finished node visits among ``events`` to ``into`` (keyed by node)."""
    for event in events:
        if isinstance(event, NodeEvent) and event.phase != "start" and event.node is not None:
            row = into.get(event.node) or into.setdefault(event.node, NodeTotals(event.node))
            row.visits += 1
            row.seconds += event.duration_s or 0.0
