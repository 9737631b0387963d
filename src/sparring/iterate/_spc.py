"""SPC over iterations: play a batch of games, let the players learn from the rewards, repeat.

A game folder holds ``game.json`` (the settings and one entry per iteration) and one run
directory per iteration (``iter-0``, ``iter-1``, ...), each an ordinary ``sparring`` run: every
game is a checkpointed LangGraph thread, so ``sparring view GAME/iter-1`` shows its moves and a
killed game resumes inside its iteration (``SpcSelfPlay.open(folder).play()`` again).

Between iterations the players learn:

- on the simulator, by the simulated learning rule of ``sparring.sim._learning`` (the critic's
  detection skills and the sneaky generator's subtlety move with their rewards, at
  ``learning_rate``);
- on real models, through a ``TrainingHook`` (a Python callable or ``shell_hook(command)``)
  that gets the iteration's exported records and returns the next iteration's models.

An iteration's entry moves ``playing -> played -> trained``; a failed hook leaves it
``played``, so the next attempt trains again and plays on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.graphs._spc_rules import SUBTLE_ERRORS, GameOutcome, SpcScoreboard
from sparring.iterate._game_data import check_game_data
from sparring.iterate._hooks import (
    TrainingHook,
    TrainingRequest,
    apply_models,
    call_hook,
    model_settings,
    shell_hook,
)
from sparring.iterate._stopped import GameStopped, game_stopped
from sparring.models import Model, Roles
from sparring.run import FieldMap, Run
from sparring.sim import SimWorld
from sparring.sim._learning import SpcTally, learn_skills
from sparring.sim._profile import resolve_profile

__all__ = ["GRAPH", "PLAYERS", "SpcIteration", "SpcPlan", "SpcSelfPlay", "tally_of"]

GRAPH = "spc-game"
PLAYERS = ("actor", "sneaky", "critic")
MANIFEST = "game.json"

GameProgress = Callable[[int, SpcScoreboard, int, int, int], None]
"""``(iteration, scoreboard so far, games done, games in the iteration, games failed)``."""


class SpcPlan(BaseModel):
    """The settings of an iterated SPC game (saved in ``game.json``).

    Attributes:
        iterations: Iterations to play.
        rounds: Games per iteration (world problems; with ``data``, the first rows only).
        data: A data file of problems with gold answers (None: the simulator's world).
        fields: Its field mapping (``prompt``, ``answer``, ``id``).
        options: Options of the SPC game graph (``rollouts``, ``critic_samples``, ...).
        seed: The seed (world, simulator, step choices).
        concurrency: Games in flight at once.
        learning_rate: The critic's simulated learning rate.
        sneaky_learning_rate: The sneaky generator's (None: the same as the critic's).
        hook_command: The shell training hook, if one was given as a command.
    """

    model_config = ConfigDict(extra="forbid")

    iterations: int = Field(default=1, ge=1, le=1000)
    rounds: int | None = Field(default=20, ge=1)
    data: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0
    concurrency: int = Field(default=4, ge=1, le=1024)
    learning_rate: float = Field(default=1.0, ge=0.0, le=100.0)
    sneaky_learning_rate: float | None = Field(default=None, ge=0.0, le=100.0)
    hook_command: str | None = None


class SpcIteration(BaseModel):
    """One iteration of the game, as ``game.json`` and ``--json`` show it.

    Attributes:
        iteration: Its number (0-based).
        status: ``playing``, ``played`` (records exported) or ``trained`` (next models known).
        run_dir: Its run directory, relative to the game folder.
        models: Model settings of each player.
        simulated: The players that ran on the simulator.
        skills: Simulated skills in force (``critic``, ``sneaky``), when any player is simulated.
        critic_accuracy: Share of scored critic calls on tampered steps that said Incorrect.
        control_accuracy: Share of scored critic calls on untouched steps that said Correct.
        sneaky_success: Share of scored critic calls on tampered steps that were fooled.
        scoreboard: The iteration's scoreboard (counts and rates).
        errors: Games lost to model errors.
        records: The folder of its exported records.
        learning: How the next models were made: ``simulated``, ``hook`` or ``none``.
        next_models: Model settings of each player for the next iteration.
    """

    iteration: int
    status: Literal["playing", "played", "trained"] = "playing"
    run_dir: str
    models: dict[str, dict[str, Any]]
    simulated: list[str] = Field(default_factory=list)
    skills: dict[str, dict[str, float]] | None = None
    critic_accuracy: float | None = None
    control_accuracy: float | None = None
    sneaky_success: float | None = None
    scoreboard: dict[str, Any] | None = None
    errors: int = 0
    records: str | None = None
    learning: Literal["simulated", "hook", "none"] | None = None
    next_models: dict[str, dict[str, Any]] | None = None


class _Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    game: Literal["spc"] = "spc"
    plan: SpcPlan
    entries: list[SpcIteration] = Field(default_factory=list)


def _profile(settings: dict[str, Any]) -> dict[str, Any]:
    extra = settings.get("extra") or {}
    profile: dict[str, Any] = extra.get("sim_profile") or {}
    return profile


def _with_profile(settings: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    extra = dict(settings.get("extra") or {})
    extra["sim_profile"] = {**(extra.get("sim_profile") or {}), **profile}
    return {**settings, "extra": extra}


def tally_of(outcomes: list[GameOutcome]) -> SpcTally:
    """The scored critic calls of some games, by kind of step (what the learning rule reads)."""
    t = SpcTally()
    for outcome in outcomes:
        subtle = outcome["error_type"] in SUBTLE_ERRORS
        for call in outcome["tampered_calls"]:
            if call == "unscored":
                continue
            caught = call == "incorrect"
            if subtle:
                t.subtle_caught += caught
                t.subtle_missed += not caught
            else:
                t.visible_caught += caught
                t.visible_missed += not caught
        t.control_flagged += outcome["control_calls"].count("incorrect")
        t.control_passed += outcome["control_calls"].count("correct")
    return t


class SpcSelfPlay:
    """An iterated SPC game in a folder: create or open it, then ``await play()``.

    Args:
        game_dir: The game folder.
        manifest: Its settings and entries.
        hook: The training hook (None: simulated learning for simulated players, else none).
        on_game: Called as games finish (throttled on long iterations).
        on_iteration: Called with each iteration's entry once it is played (and trained).
    """

    def __init__(
        self,
        game_dir: Path,
        manifest: _Manifest,
        *,
        hook: TrainingHook | None = None,
        on_game: GameProgress | None = None,
        on_iteration: Callable[[SpcIteration], None] | None = None,
    ) -> None:
        self.dir, self.manifest = game_dir, manifest
        if hook is None and manifest.plan.hook_command:
            hook = shell_hook(manifest.plan.hook_command)
        self.hook, self.on_game, self.on_iteration = hook, on_game, on_iteration

    @property
    def plan(self) -> SpcPlan:
        """The game's settings."""
        return self.manifest.plan

    @property
    def entries(self) -> list[SpcIteration]:
        """The iterations started so far."""
        return self.manifest.entries

    @classmethod
    def exists(cls, game_dir: str | Path) -> bool:
        """Whether ``game_dir`` holds a game."""
        return (Path(game_dir) / MANIFEST).is_file()

    @classmethod
    def create(cls, game_dir: str | Path, roles: Roles, plan: SpcPlan, **kw: Any) -> SpcSelfPlay:
        """Start a new game folder (checked before anything is written).

        Args:
            game_dir: The folder (new or empty).
            roles: The players' models for the first iteration.
            plan: The settings.
            **kw: ``hook``, ``on_game``, ``on_iteration`` (see the class).

        Raises:
            ConfigError: The folder holds a game, the data file is bad, or an option is bad.
        """
        path = Path(game_dir)
        if cls.exists(path):
            raise ConfigError(f"{path} already holds a game: play it again to resume it")
        REGISTRY[GRAPH].check_options(roles, plan.options)
        if plan.data is not None:
            check_game_data(plan.data, plan.fields)
        models = {r: model_settings(roles.resolve(r)) for r in PLAYERS}
        path.mkdir(parents=True, exist_ok=True)
        game = cls(path, _Manifest(plan=plan), **kw)
        game._start_entry(0, models)
        return game

    @classmethod
    def open(cls, game_dir: str | Path, **kw: Any) -> SpcSelfPlay:
        """Open a game folder to resume it (or read it).

        Raises:
            ConfigError: The folder holds no game.
        """
        path = Path(game_dir)
        if not cls.exists(path):
            raise ConfigError(f"{path} holds no game (no {MANIFEST})")
        text = (path / MANIFEST).read_text(encoding="utf-8")
        return cls(path, _Manifest.model_validate_json(text), **kw)

    def extend(self, iterations: int) -> None:
        """Play up to ``iterations`` in all (never fewer than the game has started)."""
        wanted = max(iterations, len(self.entries))
        self.manifest.plan = self.plan.model_copy(update={"iterations": wanted})
        self._save()

    def _save(self) -> None:
        target = self.dir / MANIFEST
        tmp = target.with_suffix(".tmp")
        tmp.write_text(self.manifest.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(target)

    def _start_entry(self, k: int, models: dict[str, dict[str, Any]]) -> SpcIteration:
        simulated = [r for r in PLAYERS if Model(**models[r]).is_simulated]
        skills = None
        if simulated:
            critic = resolve_profile(_profile(models["critic"])).critic
            sneaky = resolve_profile(_profile(models["sneaky"])).sneaky
            skills = {
                "critic": critic.model_dump() if "critic" in simulated else {},
                "sneaky": sneaky.model_dump() if "sneaky" in simulated else {},
            }
        entry = SpcIteration(
            iteration=k, run_dir=f"iter-{k}", models=models, simulated=simulated, skills=skills
        )
        self.manifest.entries.append(entry)
        self._save()
        return entry

    async def play(self) -> list[SpcIteration]:
        """Play (or resume) every iteration; returns the entries.

        Raises:
            GameStopped: An iteration's run stopped (model error, budget, interrupt).
            HookFailed: The training hook failed (the played iteration is kept).
        """
        for k in range(self.plan.iterations):
            if k == len(self.entries):
                previous = self.entries[k - 1]
                assert previous.next_models is not None
                self._start_entry(k, previous.next_models)
            entry = self.entries[k]
            if entry.status == "playing":
                await self._play(entry)
            if entry.status == "played" and k < self.plan.iterations - 1:
                self._train(entry)
            if self.on_iteration is not None:
                self.on_iteration(entry)
        return self.entries

    def outcomes(self, entry: SpcIteration) -> list[GameOutcome]:
        """The game outcomes of an iteration, in item order."""
        run = Run.open(self.dir / entry.run_dir)
        try:
            return [out["outcome"] for _, out in run.outputs() if "outcome" in out]
        finally:
            run.close()

    def _items(self, k: int) -> Iterator[tuple[int, str, dict[str, Any]]]:
        rounds = self.plan.rounds or 20
        world = SimWorld(self.plan.seed)
        for i in range(rounds):
            j = k * rounds + i
            task = world.problem(j)
            yield i, f"round-{j}", {"prompt": task.question, "answer": task.answer_text}

    def _open_run(self, entry: SpcIteration, roles: Roles) -> Run:
        path = self.dir / entry.run_dir
        if (path / "run.sqlite").exists():
            run = Run.open(path)
        else:
            run = Run.create(
                path,
                graph=GRAPH,
                roles=roles,
                options=self.plan.options,
                seed=self.plan.seed,
                concurrency=self.plan.concurrency,
            )
        if self.plan.data is not None:  # idempotent by row position
            fields = FieldMap(**{**self.plan.fields, "answer_required": True})  # type: ignore[arg-type]
            run.ingest(self.plan.data, fields, strict=True, limit=self.plan.rounds)
        else:
            run.store.add_items(self._items(entry.iteration))
        return run

    def roles_of(self, entry: SpcIteration) -> Roles:
        """The players' models in an iteration."""
        return Roles({r: Model(**entry.models[r]) for r in PLAYERS}, sim_seed=self.plan.seed)

    async def _play(self, entry: SpcIteration) -> None:
        roles = self.roles_of(entry)
        run = self._open_run(entry, roles)
        try:
            with run.lock:  # reentrant: the retry and the run under one lock
                run.retry(errors=True)  # games that failed last time are played again
                progress = _Progress(self, run, entry.iteration)
                status = await run.execute(roles=roles, on_item=progress.item)
            if status != "finished":
                _, detail = run.store.status()
                raise _stopped(entry, detail)
            _check_not_all_failed(run, entry)
            outcomes = [out["outcome"] for _, out in run.outputs() if "outcome" in out]
            board = SpcScoreboard.of(outcomes)
            progress.report(board)
            entry.scoreboard = board.as_dict()
            entry.critic_accuracy = board.critic_tampered_accuracy
            entry.control_accuracy = board.critic_control_accuracy
            entry.sneaky_success = board.sneaky_success_rate
            entry.errors = run.store.counts().get("failed", 0)
            entry.records = str(_export(run, self.dir / entry.run_dir / "records"))
            entry.status = "played"
        finally:
            run.close()
        self._save()

    def _train(self, entry: SpcIteration) -> None:
        if self.hook is not None:
            entry.next_models = self._hooked(entry)
            entry.learning = "hook"
        elif entry.simulated:
            entry.next_models = self._learned(entry)
            entry.learning = "simulated"
        else:
            entry.next_models = dict(entry.models)
            entry.learning = "none"
        entry.status = "trained"
        self._save()

    def _learned(self, entry: SpcIteration) -> dict[str, dict[str, Any]]:
        critic_model, sneaky_model = entry.models["critic"], entry.models["sneaky"]
        critic, sneaky = learn_skills(
            resolve_profile(_profile(critic_model)).critic,
            resolve_profile(_profile(sneaky_model)).sneaky,
            tally_of(self.outcomes(entry)),
            critic_rate=self.plan.learning_rate,
            sneaky_rate=_sneaky_rate(self.plan),
        )
        learned: dict[str, Any] = {}
        if "critic" in entry.simulated:
            learned["critic"] = critic.model_dump()
        if "sneaky" in entry.simulated:
            learned["sneaky"] = sneaky.model_dump()
        return {
            r: _with_profile(s, learned) if r in entry.simulated else s
            for r, s in entry.models.items()
        }

    def _hooked(self, entry: SpcIteration) -> dict[str, dict[str, Any]]:
        assert self.hook is not None
        assert entry.records is not None
        request = TrainingRequest(
            iteration=entry.iteration,
            records=Path(entry.records).resolve(),
            models={r: str(s["name"]) for r, s in entry.models.items()},
            game_dir=self.dir.resolve(),
        )
        return apply_models(entry.iteration, entry.models, call_hook(self.hook, request))


def _sneaky_rate(plan: SpcPlan) -> float:
    return plan.learning_rate if plan.sneaky_learning_rate is None else plan.sneaky_learning_rate


def _check_not_all_failed(run: Run, entry: SpcIteration) -> None:
    counts = run.store.counts()
    if counts.get("failed", 0) and not counts.get("done", 0):
        failed = run.store.items(("failed",), limit=1)
        cause = failed[0]["error"] if failed else "unknown"
        raise GameStopped(
            f"every game of iteration {entry.iteration} failed (first: {cause}); "
            "fix the models, then play the same game folder again",
            3,
        )


def _stopped(entry: SpcIteration, detail: str | None) -> GameStopped:
    resume = "play the same game folder again to resume it"
    return game_stopped(f"iteration {entry.iteration}", detail, resume)


def _export(run: Run, folder: Path) -> Path:
    """The iteration's records: ``rl/`` and ``pairs/`` datasets, per-player JSONL files."""
    folder.mkdir(parents=True, exist_ok=True)
    run.export("rl", folder / "rl", meta=True)
    run.export("trl-dpo", folder / "pairs", meta=True)
    files = {role: (folder / f"{role}.jsonl").open("w", encoding="utf-8") for role in PLAYERS[1:]}
    try:
        for record in run.store.records("rl"):
            fh = files.get(record.get("meta", {}).get("role"))
            if fh is not None:
                fh.write(json.dumps(record) + "\n")
    finally:
        for fh in files.values():
            fh.close()
    return folder


class _Progress:
    """Turns the runner's per-item callbacks into scoreboard updates (throttled when long)."""

    def __init__(self, game: SpcSelfPlay, run: Run, iteration: int) -> None:
        self.game, self.run, self.iteration = game, run, iteration
        counts = run.store.counts()
        self.total = sum(counts.values())
        self.done, self.failed = counts.get("done", 0), counts.get("failed", 0)
        self.shown = -1
        self.board = SpcScoreboard()
        if self.done and game.on_game is not None:
            self.report(self._board())

    def _board(self) -> SpcScoreboard:
        outs = [out["outcome"] for _, out in self.run.outputs() if "outcome" in out]
        return SpcScoreboard.of(outs)

    def item(self, row: Any, status: str) -> None:
        if status == "failed":
            self.failed += 1
        else:
            self.done += 1
        finished = self.done + self.failed
        step = max(1, finished // 25)
        due = finished - self.shown >= step or finished >= self.total
        if self.game.on_game is not None and due:
            self.report(self._board())

    def report(self, board: SpcScoreboard) -> None:
        self.board, self.shown = board, self.done + self.failed
        if self.game.on_game is not None:
            self.game.on_game(self.iteration, board, self.shown, self.total, self.failed)
