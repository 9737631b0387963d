"""Game conditions as runs: each condition of a game is an ordinary run directory.

A game folder holds one run directory per condition (a defence of the deceptive-feedback
game, a round of the prover-verifier game). Every game is a checkpointed LangGraph thread, so
``sparring view GAME/<condition> --item '#1'`` shows its moves, and playing the same folder
again resumes it: finished games are not replayed, a stopped condition goes on where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparring.errors import ConfigError
from sparring.iterate._stopped import GameStopped, game_stopped
from sparring.models import Roles
from sparring.run import Run
from sparring.run._config import roles_from_config

__all__ = ["ConditionResult", "ItemDone", "as_items", "play_condition"]

ItemDone = Callable[[Any, str], None]
"""``(item row, status)``: called as each game of a condition finishes."""


@dataclass(slots=True)
class ConditionResult:
    """A played condition.

    Attributes:
        run_dir: Its run directory.
        roles: The players' models it was played with (the saved ones when resumed).
        outputs: The final state of every finished game, in item order.
        failed: Games lost to model errors.
        records: Its RL records (each with ``meta.role``).
    """

    run_dir: Path
    roles: Roles
    outputs: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def outcomes(self) -> list[Any]:
        """The ``outcome`` of every finished game, in item order."""
        return [out["outcome"] for out in self.outputs if "outcome" in out]


def as_items(items: list[dict[str, Any]]) -> list[tuple[int, str, dict[str, Any]]]:
    """``(index, item_id, input)`` rows for a run store from game items with an ``item_id``."""
    return [
        (i, str(it["item_id"]), {k: v for k, v in it.items() if k != "item_id"})
        for i, it in enumerate(items)
    ]


def _open(path: Path, graph: str, roles: Roles, options: dict[str, Any], **kw: Any) -> Run:
    if not (path / "run.sqlite").exists():
        return Run.create(path, graph=graph, roles=roles, options=options, **kw)
    run = Run.open(path)
    if run.config.graph != graph or run.config.options != options:
        saved = f"{run.config.graph} {run.config.options}"
        run.close()
        raise ConfigError(
            f"{path} holds a game played with other settings ({saved}); "
            "play it with those settings or use another --out"
        )
    return run


async def play_condition(
    path: Path,
    *,
    graph: str,
    roles: Roles,
    options: dict[str, Any],
    items: list[dict[str, Any]],
    seed: int = 0,
    concurrency: int = 8,
    on_item: ItemDone | None = None,
) -> ConditionResult:
    """Play (or resume) one condition of a game as the run directory ``path``.

    Args:
        path: The run directory (created on the first play, resumed after).
        graph: The registered graph (``deceptive-feedback``, ``prover-verifier``).
        roles: The players' models for a new run (a resumed run keeps its saved ones).
        options: The graph's options (a resumed run must have been made with the same).
        items: The games: ``prompt``, gold ``answer`` and ``item_id`` (idempotent by position).
        seed: The run's seed.
        concurrency: Games in flight at once.
        on_item: Called as each game finishes (not for games finished before).

    Raises:
        ConfigError: ``path`` holds a run of another graph or with other options.
        OptionError: An option is bad.
        GameStopped: The run stopped (model error, budget, interrupt), or every game failed.
    """
    created = not (path / "run.sqlite").exists()
    run = _open(path, graph, roles, options, seed=seed, concurrency=concurrency)
    try:
        used = roles if created else roles_from_config(run.config)
        run.store.add_items(as_items(items))
        with run.lock:  # reentrant: the retry and the run under one lock
            run.retry(errors=True)  # games that failed last time are played again
            status = await run.execute(roles=used, on_item=on_item)
        if status != "finished":
            resume = "play the same --out again to resume it"
            raise game_stopped(path.name, run.store.status()[1], resume)
        counts = run.store.counts()
        failed = counts.get("failed", 0)
        if failed and not counts.get("done", 0):
            first = run.store.items(("failed",), limit=1)
            cause = first[0]["error"] if first else "unknown"
            raise GameStopped(f"every game of {path.name} failed (first: {cause})", 3)
        outputs = [out for _, out in run.outputs()]
        records = list(run.store.records("rl"))
        return ConditionResult(path, used, outputs, failed, records)
    finally:
        run.close()
