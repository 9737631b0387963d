"""The deceptive-feedback and prover-verifier games played through the run store.

``play_deceptive_runs`` plays each defence as the run directory ``GAME/<defence>``;
``play_prover_verifier_runs`` plays each round as ``GAME/round-R``, the learner alternating
between rounds as in ``play_prover_verifier``. Playing the same folder again resumes the game:
finished games are not replayed. A round's learned (or hook-trained) models are saved in the
next round's run config, so a resumed round plays with the models it started with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from sparring.graphs.games.deceptive import Defence
from sparring.graphs.games.prover_verifier import PvScoreboard
from sparring.iterate._conditions import ConditionResult, ItemDone, play_condition
from sparring.iterate._hooks import TrainingHook
from sparring.iterate._pinned import pin_settings
from sparring.iterate._pv_rounds import (
    PvRound,
    hooked_roles,
    learned_roles,
    skills_of,
    write_records,
)
from sparring.models import Roles

__all__ = ["DECEPTIVE_GRAPH", "PV_GRAPH", "play_deceptive_runs", "play_prover_verifier_runs"]

DECEPTIVE_GRAPH = "deceptive-feedback"
PV_GRAPH = "prover-verifier"


async def play_deceptive_runs(
    game_dir: Path,
    roles: Roles,
    items: list[dict[str, Any]],
    *,
    defences: Sequence[Defence],
    settings: dict[str, Any],
    seed: int = 0,
    concurrency: int = 8,
    on_item: Callable[[str, Any, str], None] | None = None,
    on_defence: Callable[[str, ConditionResult], None] | None = None,
    pinned: Mapping[str, Any] | None = None,
) -> dict[str, ConditionResult]:
    """Play (or resume) the deceptive-feedback game once per defence, each as a run.

    Args:
        game_dir: The game folder (``<defence>/`` run directories under it).
        roles: ``actor``, ``critic``, ``judge``.
        items: The games (``prompt``, gold ``answer``, ``item_id``), the same for each defence.
        defences: The defences to measure.
        settings: The graph's ``rounds``, ``intent`` and ``knowledge``.
        seed: The runs' seed.
        concurrency: Games in flight at once.
        on_item: ``(defence, item row, status)`` as each game finishes.
        on_defence: ``(defence, result)`` as each defence's run is played.
        pinned: Further settings that a resume must repeat (e.g. the data file).

    Raises:
        ConfigError: The folder was played with other settings (games, seed, ``pinned``).
        GameStopped: A run stopped (resumable).
    """
    pin_settings(game_dir, {**(pinned or {}), "games": len(items), "seed": seed})
    out: dict[str, ConditionResult] = {}
    for defence in defences:
        done: ItemDone | None = None if on_item is None else _bound(on_item, defence)
        out[defence] = await play_condition(
            game_dir / defence,
            graph=DECEPTIVE_GRAPH,
            roles=roles,
            options={**settings, "defence": defence},
            items=items,
            seed=seed,
            concurrency=concurrency,
            on_item=done,
        )
        if on_defence is not None:
            on_defence(defence, out[defence])
    return out


def _bound(on_item: Callable[[str, Any, str], None], name: str) -> ItemDone:
    return lambda row, status: on_item(name, row, status)


def _pv_round(r: int, result: ConditionResult) -> PvRound:
    board = PvScoreboard.of(result.outcomes)
    learner: Literal["verifier", "sneaky"] = "verifier" if r % 2 == 0 else "sneaky"
    folder = write_records(result.run_dir / "records", result.records)  # type: ignore[arg-type]
    return PvRound(
        round=r,
        learner=learner,
        scoreboard=board.as_dict(),
        verifier_sneaky_accuracy=board.verifier_sneaky_accuracy,
        sneaky_success=board.sneaky_success,
        skills=skills_of(result.roles),
        records=str(folder),
    )


async def play_prover_verifier_runs(
    game_dir: Path,
    roles: Roles,
    items: Callable[[int], list[dict[str, Any]]],
    *,
    rounds: int = 4,
    learning_rate: float = 1.5,
    seed: int = 0,
    concurrency: int = 8,
    hook: TrainingHook | None = None,
    on_round: Callable[[PvRound], None] | None = None,
    on_item: Callable[[str, Any, str], None] | None = None,
    pinned: Mapping[str, Any] | None = None,
) -> list[PvRound]:
    """Play (or resume) the prover-verifier game, each round as the run ``round-R``.

    Args:
        game_dir: The game folder.
        roles: ``actor`` (helpful prover), ``sneaky`` (sneaky prover), ``critic`` (verifier)
            for round 0 (a resumed round keeps its saved models).
        items: The problems of round ``r`` (``prompt``, gold ``answer``, ``item_id``).
        rounds: Rounds to play.
        learning_rate: The simulated learning rate of the round's learner.
        seed: The runs' seed.
        concurrency: Games in flight at once.
        hook: Trains real players between rounds on ``round-R/records``; None: simulated
            players learn by the simulated learning rule.
        on_round: Called with each round's result.
        on_item: ``(round-R, item row, status)`` as each game finishes.
        pinned: Further settings that a resume must repeat (e.g. the hook's command).

    Raises:
        ConfigError: The folder was played with other settings (games per round, learning
            rate, seed, ``pinned``).
        GameStopped: A round's run stopped (resumable).
        HookFailed: The hook failed (the rounds played are kept; playing again retries it).
    """
    settings = {"games": len(items(0)), "learning_rate": learning_rate, "seed": seed}
    pin_settings(game_dir, {**(pinned or {}), **settings})
    out: list[PvRound] = []
    for r in range(rounds):
        name = f"round-{r}"
        result = await play_condition(
            game_dir / name, graph=PV_GRAPH, roles=roles, options={}, items=items(r),
            seed=seed, concurrency=concurrency,
            on_item=None if on_item is None else _bound(on_item, name),
        )  # fmt: skip
        played = _pv_round(r, result)
        out.append(played)
        if on_round is not None:
            on_round(played)
        if r == rounds - 1 or (game_dir / f"round-{r + 1}" / "run.sqlite").exists():
            continue  # the next round's run holds its models
        if hook is not None:
            roles = hooked_roles(result.roles, hook, r, Path(str(played.records)))
        else:
            roles = learned_roles(result.roles, result.outcomes, played.learner, learning_rate)
    return out
