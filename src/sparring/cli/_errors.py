"""Failures of the CLI itself: one clear line on stderr, the traceback in ``errors.log``.

A ``SparringError`` is a known failure: its message is the line. Anything else is a bug: the
line names it and where the (redacted) traceback went. Nothing here ever prints a key.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

import click

from sparring._secrets import redact
from sparring.errors import OptionError, PreflightError, SparringError

__all__ = ["as_click_error", "log_traceback", "set_log_dir"]

_LOG_DIR: Path | None = None


def set_log_dir(path: Path) -> None:
    """Write tracebacks into ``path/errors.log`` (a command calls this once it knows its run)."""
    global _LOG_DIR
    _LOG_DIR = path


def log_traceback(err: BaseException) -> Path:
    """Append ``err``'s redacted traceback to ``errors.log``; return the file's path."""
    folder = _LOG_DIR if _LOG_DIR is not None and _LOG_DIR.is_dir() else Path.cwd()
    path = folder / "errors.log"
    text = "".join(traceback.format_exception(err))
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"--- sparring at {time.ctime()}\n{redact(text)}\n")
    return path


class _ModelUnusable(click.ClickException):
    """A role's model cannot be used (the preflight failed): exit code 5."""

    exit_code = 5


def as_click_error(err: Exception) -> click.ClickException:
    """The click error to exit with for an exception a command did not handle."""
    if isinstance(err, OptionError):
        return click.UsageError(str(err))
    if isinstance(err, PreflightError):
        lines = "\n  ".join(err.problems)
        return _ModelUnusable(f"preflight failed, nothing was run:\n  {lines}")
    if isinstance(err, SparringError):
        return click.ClickException(redact(str(err)))
    try:
        where = log_traceback(err)
    except OSError:
        where = None
    said = redact(" ".join(str(err).split()))[:300]
    tail = f" (traceback in {where})" if where else ""
    return click.ClickException(f"internal error: {type(err).__name__}: {said}{tail}")
