"""Execute a run with live progress, then print its summary (shared by ``run`` and ``resume``).

Before the first item the preflight checks every role's model; Ctrl-C and SIGTERM stop the
run cleanly (resumable); the return value is the process exit code, explained in one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from typing import Any

from sparring.cli._console import console, err_console
from sparring.cli._exit import ExitCode, run_exit
from sparring.graphs import REGISTRY
from sparring.memory._store import ItemRow
from sparring.models import Roles
from sparring.run import Run, preflight
from sparring.run._config import roles_from_config
from sparring.view import live_display, render_summary

__all__ = ["execute_run"]


async def execute_run(
    handle: Run, *, roles: Roles | None = None, show_output: bool = False, check: bool = True
) -> ExitCode:
    """Preflight, run the pending items with a progress bar, print the summary.

    Returns:
        The exit code for the run's outcome (the line explaining it is printed).

    Raises:
        PreflightError: A role's model cannot be used (nothing was run).
        RunBusyError: Another process is running this directory.
    """
    roles = roles or roles_from_config(handle.config)
    with handle.lock:
        if check:
            await preflight(roles, REGISTRY[handle.config.graph].roles_bound(roles.names))
        await _execute(handle, roles)
    summary = handle.summary()
    render_summary(summary, console)
    if show_output:
        _print_outputs(handle)
    code, why = run_exit(summary, str(handle.dir))
    style = "green" if code == ExitCode.OK else "yellow"
    console.print(f"[{style}]exit {int(code)}[/]: {why}", soft_wrap=True)  # commands stay whole
    return code


async def _execute(handle: Run, roles: Roles) -> None:
    with live_display(err_console, handle.store.counts()) as display:

        def on_item(row: ItemRow, status: str) -> None:
            display.item_done(row["item_id"], status)

        task = asyncio.ensure_future(handle.execute(roles=roles, sinks=(display,), on_item=on_item))
        with _stop_on(signal.SIGTERM, task):
            try:
                await task
            except (KeyboardInterrupt, asyncio.CancelledError):
                handle.store.set_status("stopped", "interrupted")


@contextlib.contextmanager
def _stop_on(signum: int, task: asyncio.Future[Any]) -> Any:
    """Cancel ``task`` on ``signum`` (a scheduler's SIGTERM), so the run stops resumable."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signum, task.cancel)
    except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signum)


def _print_outputs(handle: Run) -> None:
    for _, output in handle.outputs():
        shown: dict[str, Any] = {k: v for k, v in output.items() if not k.startswith("_")}
        console.print_json(json.dumps(shown, default=str)[:20000])
