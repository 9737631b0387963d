"""Exit codes: what a script or a scheduler can tell from ``sparring run/resume/export``.

=====  ==========================================================================
code   meaning
=====  ==========================================================================
0      every item is done (or the export wrote rows)
1      the command could not do its job: bad file, busy run directory, internal error
2      usage: a bad argument or graph option (nothing was written)
3      the run finished, but some items failed (``sparring resume RUN --retry-errors``)
4      the run stopped on its budget (``sparring resume RUN --max-cost-usd ...``)
5      a model cannot be used: the preflight failed, or a call failed in a way no retry
       fixes (key, unknown model); the items not run stay pending for a resume
6      nothing to export: every record was refused, or the run has none of that kind
130    interrupted (Ctrl-C or SIGTERM); resumable
=====  ==========================================================================
"""

from __future__ import annotations

from enum import IntEnum

from sparring.run import RunSummary, stop_kind

__all__ = ["EXIT_CODES_HELP", "ExitCode", "run_exit"]


class ExitCode(IntEnum):
    """The process exit codes of the CLI (see the module docstring)."""

    OK = 0
    ERROR = 1
    USAGE = 2
    ITEMS_FAILED = 3
    BUDGET = 4
    MODEL_ERROR = 5
    NOTHING_EXPORTED = 6
    INTERRUPTED = 130


# For --help epilogs ("\b" keeps click from re-wrapping the lines).
EXIT_CODES_HELP = (
    "\b\nExit codes: 0 every item done; 1 error; 2 bad usage or option; 3 some items failed;\n"
    "4 stopped on the budget; 5 a model cannot be used (preflight, key, unknown model);\n"
    "130 interrupted. After 3, 4, 5 or 130: sparring resume RUN_DIR (see its --help)."
)


def run_exit(summary: RunSummary, run_dir: str) -> tuple[ExitCode, str]:
    """The exit code of a run that ended with ``summary``, and the line that explains it."""
    kind = stop_kind(summary.detail) if summary.status == "stopped" else None
    failed = summary.items.get("failed", 0)
    if kind == "model error":
        return ExitCode.MODEL_ERROR, f"stopped: fix the model, then: sparring resume {run_dir}"
    if kind == "budget":
        return ExitCode.BUDGET, (
            f"stopped on the budget; raise it: sparring resume {run_dir} --max-cost-usd USD"
        )
    if summary.status == "stopped":
        return ExitCode.INTERRUPTED, f"interrupted; resume with: sparring resume {run_dir}"
    if failed:
        items = "1 item" if failed == 1 else f"{failed} items"
        return ExitCode.ITEMS_FAILED, (
            f"{items} failed (causes: sparring view {run_dir} --failed); "
            f"retry: sparring resume {run_dir} --retry-errors"
        )
    return ExitCode.OK, "every item done"
