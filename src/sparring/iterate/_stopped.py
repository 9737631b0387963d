"""``GameStopped``: a game's run stopped before its last game; playing the folder again resumes.

A game of several runs (SPC iterations, deceptive-feedback defences, prover-verifier rounds)
stops when one of its runs does; the exit code says why, as ``sparring run`` would.
"""

from __future__ import annotations

from sparring.errors import SparringError
from sparring.run import stop_kind

__all__ = ["GameStopped", "game_stopped"]


class GameStopped(SparringError):
    """A game's run stopped before its last game (resumable).

    Attributes:
        exit_code: 5 for a model that cannot be used, 4 for the budget, 3 when every game
            failed, 130 when interrupted.
    """

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def game_stopped(what: str, detail: str | None, resume: str) -> GameStopped:
    """The error for a run that stopped, its exit code chosen by the run's stop detail.

    Args:
        what: What stopped (``iteration 2``, ``round-1``).
        detail: The run's stop detail (None: interrupted).
        resume: How to resume it (the end of the message).
    """
    code = {"model error": 5, "budget": 4}.get(stop_kind(detail) or "", 130)
    return GameStopped(f"{what} stopped ({detail or 'interrupted'}); {resume}", code)
