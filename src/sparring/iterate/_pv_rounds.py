"""Prover-verifier rounds: play a batch of games, let the round's learner learn, repeat.

As in Kirchner et al., 2024, the training alternates: on the simulator, even rounds teach the
verifier and odd rounds the sneaky prover, by the simulated learning rule of
``sparring.sim._learning``; real players learn through a training hook (``TrainingHook``)
given each round's records. ``play_prover_verifier`` plays the rounds in memory;
``play_prover_verifier_runs`` (``_game_runs``) plays each as a resumable run and shares the
round's learning steps defined here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from sparring.graphs._spc_rules import SUBTLE_ERRORS
from sparring.graphs.games.prover_verifier import (
    PvOutcome,
    PvScoreboard,
    create_prover_verifier_graph,
)
from sparring.iterate._hooks import HookFailed, TrainingHook, TrainingRequest
from sparring.models import Model, Roles
from sparring.records import RlRecord
from sparring.sim._learning import SpcTally, learn_skills
from sparring.sim._profile import resolve_profile

__all__ = [
    "PLAYERS",
    "PvRound",
    "hooked_roles",
    "learned_roles",
    "play_prover_verifier",
    "skills_of",
    "write_records",
]

PLAYERS = ("actor", "sneaky", "critic")


class PvRound(BaseModel):
    """One round of the game.

    Attributes:
        round: Its number (0-based).
        learner: Who learns from this round's games: ``verifier`` or ``sneaky``.
        scoreboard: The round's scoreboard.
        verifier_sneaky_accuracy: Share of wrong sneaky solutions the verifier rejected.
        sneaky_success: Share of wrong sneaky solutions it accepted.
        skills: The simulated skills in force (``critic``, ``sneaky``), if simulated.
        records: The folder of the round's RL records, when they were written.
    """

    round: int
    learner: Literal["verifier", "sneaky"]
    scoreboard: dict[str, Any]
    verifier_sneaky_accuracy: float | None
    sneaky_success: float | None
    skills: dict[str, dict[str, float]] | None = None
    records: str | None = None


def _tally(outcomes: list[PvOutcome]) -> SpcTally:
    """The verifier's scored calls: wrong sneaky solutions by error kind; right helpful ones."""
    t = SpcTally()
    for o in outcomes:
        if o["status"] != "played":
            continue
        if o["sneaky_call"] != "unscored" and not o["sneaky_correct"]:
            caught = o["sneaky_call"] == "rejected"
            if o["sneaky_error"] in SUBTLE_ERRORS:
                t.subtle_caught += caught
                t.subtle_missed += not caught
            else:
                t.visible_caught += caught
                t.visible_missed += not caught
        if o["helpful_call"] != "unscored" and o["helpful_correct"]:
            t.control_flagged += o["helpful_call"] == "rejected"
            t.control_passed += o["helpful_call"] == "accepted"
    return t


def _profile_of(model: Model) -> dict[str, Any]:
    profile: dict[str, Any] = model.extra.get("sim_profile") or {}
    return profile


def learned_roles(roles: Roles, outcomes: list[PvOutcome], learner: str, rate: float) -> Roles:
    """The players after the round's ``learner`` learned from ``outcomes`` (simulated ones)."""
    critic_m, sneaky_m = roles.resolve("critic"), roles.resolve("sneaky")
    critic, sneaky = learn_skills(
        resolve_profile(_profile_of(critic_m)).critic,
        resolve_profile(_profile_of(sneaky_m)).sneaky,
        _tally(outcomes),
        critic_rate=rate if learner == "verifier" else 0.0,
        sneaky_rate=rate if learner == "sneaky" else 0.0,
    )
    bound: dict[str, Model] = {}
    for role, model, skill in (("critic", critic_m, critic), ("sneaky", sneaky_m, sneaky)):
        if model.is_simulated:
            profile = {**_profile_of(model), role: skill.model_dump()}
            bound[role] = model.with_options(extra={**model.extra, "sim_profile": profile})
    return roles.bind(**bound)


def skills_of(roles: Roles) -> dict[str, dict[str, float]] | None:
    """The simulated skills in force (``critic``, ``sneaky``); None when neither is simulated."""
    out = {}
    for role in ("critic", "sneaky"):
        model = roles.resolve(role)
        if model.is_simulated:
            profile = resolve_profile(_profile_of(model))
            out[role] = getattr(profile, role).model_dump()
    return out or None


def write_records(folder: Path, records: list[RlRecord]) -> Path:
    """Write a round's RL records to ``folder/<role>.jsonl``, one file per player."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {r: (folder / f"{r}.jsonl").open("w", encoding="utf-8") for r in PLAYERS}
    try:
        for record in records:
            files[record["meta"]["role"]].write(json.dumps(record) + "\n")
    finally:
        for fh in files.values():
            fh.close()
    return folder


def hooked_roles(roles: Roles, hook: TrainingHook, r: int, folder: Path) -> Roles:
    """The players the hook trained on round ``r``'s records in ``folder``."""
    request = TrainingRequest(
        iteration=r,
        records=folder.resolve(),
        models={role: roles.resolve(role).name for role in PLAYERS},
        game_dir=folder.parent.resolve(),
    )
    try:
        answer = hook(request) or {}
    except HookFailed:
        raise
    except Exception as err:
        raise HookFailed(r, 1, f"{type(err).__name__}: {err}") from err
    bound: dict[str, Model] = {}
    for role, spec in answer.items():
        if role not in PLAYERS:
            raise HookFailed(r, 1, f"the hook named an unknown role {role!r}; use {PLAYERS}")
        old = roles.resolve(role)
        if isinstance(spec, str):
            bound[role] = old.with_options(name=spec, extra={})
        else:
            bound[role] = Model(**spec)
    return roles.bind(**bound)


async def _play_round(
    roles: Roles, items: list[dict[str, Any]], slots: asyncio.Semaphore
) -> tuple[list[PvOutcome], list[RlRecord]]:
    graph = create_prover_verifier_graph(roles)

    async def one(item: dict[str, Any]) -> dict[str, Any]:
        async with slots:
            state: dict[str, Any] = await graph.ainvoke(item)
            return state

    states = await asyncio.gather(*map(one, items))
    return [s["outcome"] for s in states], [r for s in states for r in s.get("rl") or []]


async def play_prover_verifier(
    roles: Roles,
    items: Callable[[int], list[dict[str, Any]]],
    *,
    rounds: int = 4,
    learning_rate: float = 1.5,
    concurrency: int = 8,
    on_round: Callable[[PvRound], None] | None = None,
    hook: TrainingHook | None = None,
    records_dir: str | Path | None = None,
) -> list[PvRound]:
    """Play ``rounds`` rounds; the players learn between them, the learner alternating.

    Args:
        roles: ``actor`` (helpful prover), ``sneaky`` (sneaky prover), ``critic`` (verifier).
        items: The problems of round ``r`` (``prompt``, gold ``answer``, ``item_id``).
        rounds: Rounds to play.
        learning_rate: The simulated learning rate of the round's learner.
        concurrency: Games in flight at once.
        on_round: Called with each round's result.
        hook: Trains real players between rounds (``round-R/{actor,sneaky,critic}.jsonl``
            under ``records_dir``; the request's ``iteration`` is the round); None: simulated
            players learn by the simulated learning rule and real ones stay as they are.
        records_dir: Where each round's RL records are written (needed with a hook).

    Returns:
        One ``PvRound`` per round.

    Raises:
        HookFailed: The hook failed (the rounds played so far are lost: not resumable).
        ValueError: A hook without a ``records_dir``.
    """
    if hook is not None and records_dir is None:
        raise ValueError("a training hook needs a records_dir")
    out: list[PvRound] = []
    slots = asyncio.Semaphore(concurrency)
    for r in range(rounds):
        outcomes, records = await _play_round(roles, items(r), slots)
        board = PvScoreboard.of(outcomes)
        learner: Literal["verifier", "sneaky"] = "verifier" if r % 2 == 0 else "sneaky"
        result = PvRound(
            round=r,
            learner=learner,
            scoreboard=board.as_dict(),
            verifier_sneaky_accuracy=board.verifier_sneaky_accuracy,
            sneaky_success=board.sneaky_success,
            skills=skills_of(roles),
        )
        if records_dir is not None:
            result.records = str(write_records(Path(records_dir) / f"round-{r}", records))
        out.append(result)
        if on_round is not None:
            on_round(result)
        if r == rounds - 1:
            break
        if hook is not None and result.records is not None:
            roles = hooked_roles(roles, hook, r, Path(result.records))
        else:
            roles = learned_roles(roles, outcomes, learner, learning_rate)
    return out
