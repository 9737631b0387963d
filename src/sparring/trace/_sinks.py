"""Event sinks: where events go. Any object with ``emit(event)`` is a sink."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from sparring._secrets import redact
from sparring.trace._events import Event, EventBase

__all__ = ["CallbackSink", "EventSink", "FanoutSink", "JsonlSink", "MemorySink", "NullSink"]

E = TypeVar("E", bound=EventBase)


@runtime_checkable
class EventSink(Protocol):
    """Receives every event; must be cheap and must not raise."""

    def emit(self, event: Event) -> None:
        """Take one event."""


class NullSink:
    """Drops every event."""

    def emit(self, event: Event) -> None:
        """Ignore the event."""


class MemorySink:
    """Keeps events in a list, for tests and small runs."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        """Append the event."""
        self.events.append(event)

    def of_kind(self, cls: type[E]) -> list[E]:
        """The events of one class, in order."""
        return [e for e in self.events if isinstance(e, cls)]

    def clear(self) -> None:
        """Forget every event."""
        self.events.clear()


class JsonlSink:
    """Appends each event as one redacted JSON line to a file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._fh = self.path.open("a", encoding="utf-8")

    def emit(self, event: Event) -> None:
        """Write the event and flush, so a killed process loses at most one line."""
        line = redact(event.model_dump_json()) + "\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._fh.close()


class CallbackSink:
    """Calls a function with each event."""

    def __init__(self, fn: Callable[[Event], None]) -> None:
        self._fn = fn

    def emit(self, event: Event) -> None:
        """Pass the event to the function."""
        self._fn(event)


class FanoutSink:
    """Sends each event to several sinks."""

    def __init__(self, sinks: Iterable[EventSink]) -> None:
        self.sinks = list(sinks)

    def emit(self, event: Event) -> None:
        """Pass the event to every sink."""
        for sink in self.sinks:
            sink.emit(event)
