"""How a run ended, in one vocabulary for the runner, the summary and the CLI's exit codes.

A stopped run's status detail starts with its stop kind (``budget: ...``, ``model error: ...``,
``interrupted ...``); ``stop_kind`` reads it back, so ``sparring view`` and a later process
agree with the process that stopped.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["StopKind", "stop_detail", "stop_kind"]

StopKind = Literal["budget", "model error", "interrupted"]
_KINDS: tuple[StopKind, ...] = get_args(StopKind)


def stop_detail(kind: StopKind, why: str) -> str:
    """The status detail of a run stopped for ``kind``."""
    return f"{kind}: {why}"


def stop_kind(detail: str | None) -> StopKind | None:
    """The stop kind a status detail starts with, or None."""
    if not detail:
        return None
    for kind in _KINDS:
        if detail.startswith(kind):
            return kind
    return None
