"""An item's path through its graph, rebuilt from its events: rounds, node visits, calls.

Events carry no round number, so rounds are read from the order of node visits: a round ends
when a node of the current round is visited again after other nodes (a loop went around). A
node visited several times in a row is one fan-out visit (``judge ×4``), not several rounds.
Each model call belongs to the latest visit of the node it was made in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sparring.trace import Event, ModelCallEvent, NodeEvent, RetryEvent

__all__ = ["Call", "Round", "Timeline", "Visit", "build_timeline"]


@dataclass
class Call:
    """One model call of the item."""

    event: ModelCallEvent
    retries: int = 0


@dataclass
class Visit:
    """One visit of a node (or a run of back-to-back visits: a fan-out)."""

    node: str
    count: int = 1
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)


@dataclass
class Round:
    """Node visits until the loop comes round again."""

    number: int
    visits: list[Visit] = field(default_factory=list)

    def nodes(self) -> set[str]:
        """Names of the nodes visited in this round."""
        return {v.node for v in self.visits}


@dataclass
class Timeline:
    """The rounds of one item, plus calls made outside any node."""

    rounds: list[Round] = field(default_factory=list)
    loose_calls: list[Call] = field(default_factory=list)

    @property
    def calls(self) -> list[Call]:
        """Every call, in order."""
        out = [c for r in self.rounds for v in r.visits for c in v.calls]
        return out + self.loose_calls


def _visit_for(timeline: Timeline, node: str) -> Visit:
    """The visit that a new start of ``node`` belongs to (opening a round when needed)."""
    if not timeline.rounds:
        timeline.rounds.append(Round(1))
    current = timeline.rounds[-1]
    last = current.visits[-1] if current.visits else None
    if last is not None and last.node == node:
        last.count += 1  # back to back: a fan-out (or a retry of the same step)
        return last
    if node in current.nodes():
        current = Round(current.number + 1)
        timeline.rounds.append(current)
    visit = Visit(node, count=1)
    current.visits.append(visit)
    return visit


def _open_visit(timeline: Timeline, node: str | None) -> Visit | None:
    if node is None:
        return None
    for round_ in reversed(timeline.rounds):
        for visit in reversed(round_.visits):
            if visit.node == node:
                return visit
    return None


def build_timeline(events: list[Event]) -> Timeline:
    """Rebuild an item's rounds, visits and calls from its events (in order)."""
    timeline = Timeline()
    retries: dict[str, int] = {}
    for event in events:
        if isinstance(event, RetryEvent):
            retries[event.call_id] = retries.get(event.call_id, 0) + 1
        elif isinstance(event, NodeEvent) and event.node is not None:
            if event.phase == "start":
                _visit_for(timeline, event.node)
                continue
            visit = _open_visit(timeline, event.node)
            if visit is not None:
                visit.seconds += event.duration_s or 0.0
                if event.phase == "error" and event.detail:
                    visit.errors.append(event.detail)
        elif isinstance(event, ModelCallEvent):
            call = Call(event, retries=retries.pop(event.call_id, event.retries))
            visit = _open_visit(timeline, event.node)
            (visit.calls if visit is not None else timeline.loose_calls).append(call)
    return timeline
