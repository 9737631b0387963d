"""Progress while a run executes: a live dashboard on a terminal, plain lines off one.

Both are event sinks fed by the run's gateway, plus an ``item_done`` callback. On a terminal
the dashboard (progress with rate and ETA; calls, tokens, cost and failures per role; retries
and 429s; the last finished items) redraws four times a second and stays on screen at the end.
Off a terminal (a pipe, nohup, a cluster log) one plain line is printed about every 10 s and
one at the end, without escape codes.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from sparring.trace import Event, ModelCallEvent, NoticeEvent, RetryEvent

__all__ = ["LiveDisplay", "Progress", "live_display"]

_PLAIN_EVERY_S = 10.0
_LAST_ITEMS = 5


@dataclass
class _RoleRow:
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    failed: int = 0


@dataclass
class Progress:
    """What the displays count: items, calls per role, retries, 429s, notices."""

    total: int
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)
    start_done: int = 0
    retries: int = 0
    rate_limited: int = 0
    roles: dict[str, _RoleRow] = field(default_factory=dict)
    last: deque[str] = field(default_factory=lambda: deque(maxlen=_LAST_ITEMS))

    def emit(self, event: Event) -> None:
        """Count one event."""
        if isinstance(event, ModelCallEvent):
            row = self.roles.setdefault(event.role or "?", _RoleRow())
            row.calls += 1
            row.tokens_in += event.prompt_tokens
            row.tokens_out += event.completion_tokens
            row.cost += event.cost_usd or 0.0
            row.failed += event.error is not None
        elif isinstance(event, RetryEvent):
            self.retries += 1
            self.rate_limited += event.error.kind == "rate_limit"

    def item_done(self, item_id: str, status: str) -> None:
        """Count a finished (or failed) item."""
        self.done += status == "done"
        self.failed += status == "failed"
        self.last.appendleft(f"{item_id}: {status}")

    def rate_eta(self) -> tuple[float, float | None]:
        """Items per second this session, and seconds left at that rate."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        finished = self.done + self.failed - self.start_done
        rate = finished / elapsed
        left = self.total - self.done - self.failed
        return rate, (left / rate if rate > 0 else None)

    def line(self) -> str:
        """One plain status line."""
        rate, eta = self.rate_eta()
        calls = sum(r.calls for r in self.roles.values())
        cost = sum(r.cost for r in self.roles.values())
        eta_text = f"{eta:.0f}s" if eta is not None else "?"
        return (
            f"items {self.done + self.failed}/{self.total} ({self.failed} failed) | "
            f"{rate:.2f} items/s | eta {eta_text} | calls {calls} | retries {self.retries} "
            f"(429: {self.rate_limited}) | ${cost:.4f}"
        )


def _roles_table(progress: Progress) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    for name in ("role", "calls", "tok in", "tok out", "cost", "failed"):
        table.add_column(name, justify="left" if name == "role" else "right", overflow="fold")
    for role, row in sorted(progress.roles.items()):
        table.add_row(
            role,
            str(row.calls),
            str(row.tokens_in),
            str(row.tokens_out),
            f"${row.cost:.4f}",
            str(row.failed),
        )
    return table


class LiveDisplay:
    """The display of a run in progress (a context manager and an event sink).

    Args:
        console: Where to draw (stderr, so stdout stays the summary's).
        total: Items in the run.
        finished: Items already done or failed when this session starts.
    """

    def __init__(self, console: Console, total: int, finished: int = 0) -> None:
        self.console = console
        self.progress = Progress(total=total, done=finished, start_done=finished)
        self.live = console.is_terminal and not console.is_dumb_terminal
        self._live: Live | None = None
        self._next_plain = time.monotonic() + _PLAIN_EVERY_S

    def emit(self, event: Event) -> None:
        """Count the event; print a notice at once."""
        self.progress.emit(event)
        if isinstance(event, NoticeEvent):
            self.console.print(f"note: {event.message}", markup=False, highlight=False)

    def item_done(self, item_id: str, status: str) -> None:
        """Count a finished item; off a terminal, print a line every 10 s or so."""
        self.progress.item_done(item_id, status)
        if self._live is None and not self.live and time.monotonic() >= self._next_plain:
            self._plain()

    def renderable(self) -> RenderableType:
        """The dashboard as it is now."""
        p = self.progress
        bar = Text(p.line(), style="bold")
        parts: list[RenderableType] = [bar, _roles_table(p)]
        if p.last:
            parts.append(Text("last: " + "; ".join(p.last), style="dim"))
        return Group(*parts)

    def _plain(self) -> None:
        self._next_plain = time.monotonic() + _PLAIN_EVERY_S
        self.console.print(self.progress.line(), markup=False, highlight=False, soft_wrap=True)

    def __enter__(self) -> LiveDisplay:
        if self.live:
            # Drawn from the counts at each refresh (4/s), never per event or per item.
            self._live = Live(
                console=self.console,
                refresh_per_second=4,
                transient=False,
                get_renderable=self.renderable,
            )
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.refresh()
            self._live.__exit__(exc_type, exc, tb)
            self._live = None
        else:
            self._plain()


def live_display(console: Console, counts: dict[Any, int]) -> LiveDisplay:
    """The display for a run whose items are ``counts`` (by status)."""
    total = sum(counts.values())
    return LiveDisplay(console, total, counts.get("done", 0) + counts.get("failed", 0))
