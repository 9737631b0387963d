"""Execute a run with live progress, then print its summary (shared by ``run`` and ``resume``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sparring.cli._console import console, err_console
from sparring.cli._summary_view import render_summary
from sparring.memory._store import ItemRow
from sparring.models import Roles
from sparring.run import Run
from sparring.trace import Event, ModelCallEvent, RetryEvent

__all__ = ["LiveCounts", "execute_run"]


class LiveCounts:
    """An event sink counting calls, retries, 429s and cost for the progress line."""

    def __init__(self) -> None:
        self.calls = self.retries = self.rate_limited = 0
        self.cost = 0.0

    def emit(self, event: Event) -> None:
        """Count the event."""
        if isinstance(event, ModelCallEvent):
            self.calls += 1
            self.cost += event.cost_usd or 0.0
        elif isinstance(event, RetryEvent):
            self.retries += 1
            self.rate_limited += event.error.kind == "rate_limit"

    def line(self) -> str:
        """A short status line."""
        return (
            f"calls {self.calls} | retries {self.retries} (429: {self.rate_limited}) | "
            f"${self.cost:.4f}"
        )


async def execute_run(handle: Run, *, roles: Roles | None = None, show_output: bool = False) -> str:
    """Run the pending items with a progress bar; print the summary; return the status."""
    counts = handle.store.counts()
    total = sum(counts.values())
    live = LiveCounts()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[stats]}"),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        bar = progress.add_task(
            "items",
            total=total,
            completed=counts.get("done", 0) + counts.get("failed", 0),
            stats="",
        )

        def on_item(row: ItemRow, status: str) -> None:
            progress.update(bar, advance=1, stats=live.line())

        try:
            status = await handle.execute(roles=roles, sinks=(live,), on_item=on_item)
        except (KeyboardInterrupt, asyncio.CancelledError):
            handle.store.set_status("stopped", "interrupted")
            status = "stopped"
    render_summary(handle.summary())
    if show_output:
        _print_outputs(handle)
    if status == "stopped":
        console.print(f"resume with: [bold]sparring resume {handle.dir}[/]")
    return status


def _print_outputs(handle: Run) -> None:
    for _, output in handle.outputs():
        shown: dict[str, Any] = {k: v for k, v in output.items() if not k.startswith("_")}
        console.print_json(json.dumps(shown, default=str)[:20000])
