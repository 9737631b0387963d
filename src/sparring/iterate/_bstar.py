"""An iterated self-taught reasoning run with B-STaR's monitors (simulator or real actor).

Each iteration samples ``n_samples`` solutions per training problem with the self-consistency
graph (an ordinary run directory, ``FOLDER/iter-<k>``, viewable and resumable), selects the
samples whose reward (the vote share of their answer) reaches the threshold, measures
exploration, exploitation and the balance score (``_balance``), and then lets the simulated
actor learn from the selected samples (``sparring.sim._self_training``: accuracy moves toward
the selected data's precision; diversity shrinks, as a model tuned on its own outputs does).

With ``adjust=True`` each iteration first chooses its sampling temperature and reward threshold
as B-STaR does: the pair from the grids that maximises the mean balance score on a small probe
subset of the problems, sampled with the current actor. ``FOLDER/bstar.json`` holds the plan
and one row per iteration; ``sparring view FOLDER`` prints them (``render_bstar``).

Each iteration's selection is also written as an SFT dataset (``iter-<k>/records``). A real
actor is trained between iterations by a ``TrainingHook`` (``shell_hook(command)``, as for the
SPC game): it is given that folder and the actor's model and answers with the next actor,
which the manifest keeps (``status`` ``played`` -> ``trained``), so a killed run resumes with
the right model and a failed hook is retried, never a finished one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.graphs._reasoning_common import Sample
from sparring.iterate._balance import BalanceTotals, ItemBalance, item_balance, vote_rewards
from sparring.iterate._bstar_records import SelectedRow, selected_rows, write_selection
from sparring.iterate._hooks import TrainingHook, TrainingRequest, apply_models, call_hook
from sparring.models import Model, Roles
from sparring.run import FieldMap, InputItem, Run, read_items
from sparring.run._sim_items import sim_items
from sparring.sim._profile import ActorSkill, resolve_profile
from sparring.sim._self_training import SelfTrainingTally, self_train

__all__ = ["MANIFEST", "BStarIteration", "BStarPlan", "load_bstar", "next_actor", "run_bstar"]

MANIFEST = "bstar.json"
GRAPH = "self-consistency"


class BStarPlan(BaseModel):
    """The settings of an iterated run (saved in ``bstar.json``).

    Attributes:
        iterations: Iterations to run.
        items: Training problems (the simulator's world; the same ones every iteration).
        n_samples: Solutions sampled per problem.
        temperature: Sampling temperature when not adjusted (the first iteration's too).
        threshold: Reward threshold when not adjusted.
        adjust: Choose temperature and threshold per iteration by the balance score.
        temperatures: The temperatures tried when adjusting.
        thresholds: The thresholds tried when adjusting.
        probe: Problems the choice is made on (the first ones).
        n_star: Distinct right solutions that make a problem fully explored (8, the cap
            of B-STaR's reference code, which draws 32-64 samples per query; with the
            default 8 samples a problem scores 1 only when every sample is a distinct
            right one).
        seed: Seed of the world and the simulator.
        learning_rate: The simulated actor's accuracy learning rate.
        collapse_rate: How fast its diversity falls per iteration.
        actor: The simulated actor's starting skills (``ActorSkill`` fields).
        data: A data file of problems with gold answers (None: the simulator's world). A
            GSM8K-style answer with calculator annotations gives the simulator gold steps
            whose wording varies between samples; the world's own problems have one wording
            per solution, so their right samples are never distinct.
        prompt_field: The data's prompt field.
        answer_field: The data's gold answer field.
        actor_model: A real actor (``Model`` fields, never a key) instead of the simulated
            one: the first iteration's. Without a training hook it stays the same model, so
            only the monitors (and, with ``adjust``, the chosen configuration) change; with
            one (``run_bstar(hook=...)``) each iteration's actor is the hook's answer.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    iterations: int = Field(default=3, ge=1, le=50)
    items: int = Field(default=24, ge=1, le=100_000)
    n_samples: int = Field(default=8, ge=2, le=64)
    temperature: float = Field(default=0.7, gt=0.0, le=3.0)
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    adjust: bool = False
    temperatures: tuple[float, ...] = (0.7, 1.0, 1.3, 1.6, 1.9)
    thresholds: tuple[float, ...] = (0.25, 0.375, 0.5, 0.625)
    probe: int = Field(default=8, ge=1)
    n_star: int = Field(default=8, ge=1)
    seed: int = 0
    learning_rate: float = Field(default=0.5, ge=0.0, le=1.0)
    collapse_rate: float = Field(default=0.35, ge=0.0, le=1.0)
    actor: dict[str, Any] = Field(default_factory=dict)
    data: str | None = None
    prompt_field: str = "prompt"
    answer_field: str = "answer"
    actor_model: dict[str, Any] | None = None

    @property
    def fields(self) -> FieldMap:
        """The field mapping of ``data``."""
        return FieldMap(prompt=self.prompt_field, answer=self.answer_field, answer_required=True)


class BStarIteration(BaseModel):
    """One iteration's configuration, actor and monitors (a row of ``bstar.json``).

    Attributes:
        actor_model: The actor's settings when it is a model (bound, or a training hook's;
            never a key); None for the plan's simulated actor under the learning rule.
        records: Its selected samples as an SFT dataset, relative to the folder.
        status: ``played`` (records written) or ``trained`` (the next actor is known).
        learning: How the next actor was made: ``simulated``, ``hook`` or ``none``.
        next_actor_model: The next iteration's actor settings, once a hook has trained it.
    """

    iteration: int
    temperature: float
    threshold: float
    actor_accuracy: float | None
    actor_diversity: float | None
    vote_accuracy: float
    pass_at_k: float
    distinct_correct: float
    selection_accuracy: float | None
    selected_per_item: float
    balance_score: float
    run_dir: str
    actor_model: dict[str, Any] | None = None
    records: str | None = None
    status: Literal["played", "trained"] | None = None
    learning: Literal["simulated", "hook", "none"] | None = None
    next_actor_model: dict[str, Any] | None = None


def _roles(plan: BStarPlan, actor: ActorSkill, model: dict[str, Any] | None) -> Roles:
    if model is not None:
        return Roles({"actor": Model(**model)}, sim_seed=plan.seed)
    return Roles.sim(seed=plan.seed, profile={"actor": actor.model_dump()})


def _skills(actor: ActorSkill, model: dict[str, Any] | None) -> ActorSkill | None:
    """The simulated actor's skills in force (None for a real one)."""
    if model is None:
        return actor
    if not Model(**model).is_simulated:
        return None
    profile = (model.get("extra") or {}).get("sim_profile")
    return resolve_profile(profile).actor


def _rows(outputs: list[dict[str, Any]], threshold: float, n_star: int) -> list[ItemBalance]:
    rows = []
    for output in outputs:
        samples: list[Sample] = output.get("samples") or []
        if samples:
            rows.append(item_balance(samples, vote_rewards(samples), threshold=threshold,
                                     n_star=n_star))  # fmt: skip
    return rows


def _problems(plan: BStarPlan, count: int) -> list[dict[str, Any]]:
    """The first ``count`` training problems, as graph inputs."""
    if plan.data is None:
        return [item for _, _, item in sim_items(REGISTRY[GRAPH], count, seed=plan.seed)]
    out: list[dict[str, Any]] = []
    for entry in read_items(plan.data, plan.fields):
        if isinstance(entry, InputItem):
            out.append(entry.input)
            if len(out) >= count:
                break
    return out


async def _probe(plan: BStarPlan, roles: Roles) -> tuple[float, float]:
    """The (temperature, threshold) with the best mean balance score on the probe problems."""
    factory = REGISTRY[GRAPH].load()
    items = _problems(plan, plan.probe)
    best: tuple[float, float, float] | None = None
    for temperature in plan.temperatures:
        graph = factory(roles, n_samples=plan.n_samples, temperature=temperature)
        outputs = [await graph.ainvoke(item) for item in items]
        for threshold in plan.thresholds:
            score = BalanceTotals.of(_rows(outputs, threshold, plan.n_star), plan.n_star)
            if best is None or score.balance_score > best[0]:
                best = (score.balance_score, temperature, threshold)
    assert best is not None  # the grids are checked to be non-empty
    return best[1], best[2]


def _open_run(run_dir: Path, plan: BStarPlan, roles: Roles, temperature: float,
              concurrency: int) -> Run:  # fmt: skip
    if (run_dir / "run.sqlite").exists():  # a killed iteration: resume it
        return Run.open(run_dir)
    options = {"n_samples": plan.n_samples, "temperature": temperature}
    run = Run.create(
        run_dir, graph=GRAPH, roles=roles, seed=plan.seed, options=options,
        concurrency=concurrency,
    )  # fmt: skip
    if plan.data is None:
        run.add_sim_tasks(plan.items)
    else:
        run.ingest(plan.data, plan.fields, limit=plan.items)
    return run


async def _iteration(
    folder: Path,
    plan: BStarPlan,
    k: int,
    actor: tuple[ActorSkill, dict[str, Any] | None],
    config: tuple[float, float],
    concurrency: int = 8,
) -> tuple[BStarIteration, SelfTrainingTally, list[SelectedRow]]:
    temperature, threshold = config
    roles = _roles(plan, *actor)
    run_dir = folder / f"iter-{k}"
    run = _open_run(run_dir, plan, roles, temperature, concurrency)
    try:
        await run.execute(roles=roles)
        outputs = [output for _, output in run.outputs()]
        selected = selected_rows(run, threshold)
    finally:
        run.close()
    rows = _rows(outputs, threshold, plan.n_star)
    totals = BalanceTotals.of(rows, plan.n_star)
    skills = _skills(*actor)
    stats = BStarIteration(
        iteration=k,
        temperature=temperature,
        threshold=threshold,
        actor_accuracy=None if skills is None else skills.accuracy,
        actor_diversity=None if skills is None else skills.diversity,
        vote_accuracy=sum(bool(o.get("correct")) for o in outputs) / max(len(outputs), 1),
        pass_at_k=totals.pass_at_k,
        distinct_correct=totals.distinct_correct,
        selection_accuracy=totals.selection_accuracy,
        selected_per_item=totals.selected_per_item,
        balance_score=totals.balance_score,
        run_dir=run_dir.name,
        actor_model=actor[1],
    )
    tally = SelfTrainingTally(
        selected=sum(r.selected for r in rows),
        selected_correct=sum(r.selected_correct for r in rows),
        selected_distinct=sum(r.selected_distinct for r in rows),
        novelty=totals.novelty,
    )
    return stats, tally, selected


def _save(folder: Path, plan: BStarPlan, rows: list[BStarIteration]) -> None:
    body = {"plan": plan.model_dump(mode="json"), "iterations": [r.model_dump() for r in rows]}
    tmp = folder / f"{MANIFEST}.tmp"
    tmp.write_text(json.dumps(body, indent=2))
    tmp.replace(folder / MANIFEST)


def load_bstar(folder: str | Path) -> tuple[BStarPlan, list[BStarIteration]]:
    """Read ``bstar.json`` of ``folder``.

    Raises:
        ConfigError: There is none, or it cannot be read.
    """
    path = Path(folder) / MANIFEST
    try:
        body = json.loads(path.read_text())
        plan = BStarPlan.model_validate(body["plan"])
        return plan, [BStarIteration.model_validate(r) for r in body["iterations"]]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{path}: not a readable B-STaR manifest ({err})") from None


def _sim_settings(plan: BStarPlan, actor: ActorSkill) -> dict[str, Any]:
    """The simulated actor as model settings (what a hook is shown and may replace)."""
    return {"name": "sim/actor", "seed": plan.seed,
            "extra": {"sim_profile": {"actor": actor.model_dump()}}}  # fmt: skip


def next_actor(plan: BStarPlan, rows: list[BStarIteration]) -> dict[str, Any] | None:
    """The actor settings the next iteration to run uses (None: the simulated actor)."""
    if not rows:
        return plan.actor_model
    return rows[-1].next_actor_model or rows[-1].actor_model


def _learned(folder: Path, row: BStarIteration, hook: TrainingHook | None,
             count: int) -> BStarIteration:  # fmt: skip
    """The row trained: by ``hook`` on its records, by the simulated rule, or not at all."""
    if hook is None:  # the simulated actor's rule is replayed in the loop; a real one stays
        learning = "simulated" if row.actor_model is None else "none"
        return row.model_copy(update={"status": "trained", "learning": learning,
                                      "next_actor_model": row.actor_model})  # fmt: skip
    assert row.actor_model is not None  # with a hook the actor is always a model
    assert row.records is not None
    if count == 0:  # nothing was selected: there is nothing to train on
        return row.model_copy(update={"status": "trained", "learning": "none",
                                      "next_actor_model": row.actor_model})  # fmt: skip
    request = TrainingRequest(
        iteration=row.iteration,
        records=(folder / row.records).resolve(),
        models={"actor": str(row.actor_model["name"])},
        game_dir=folder.resolve(),
    )
    answer = call_hook(hook, request)
    models = apply_models(row.iteration, {"actor": row.actor_model}, answer)
    return row.model_copy(update={"status": "trained", "learning": "hook",
                                  "next_actor_model": models["actor"]})  # fmt: skip


def _train_step(folder: Path, plan: BStarPlan, rows: list[BStarIteration], k: int,
                hook: TrainingHook | None, count: int) -> None:  # fmt: skip
    """Train after row ``k`` and save it.

    A hook's row is marked as such first, so a run whose hook failed does not go on
    untrained when resumed without one.
    """
    if hook is not None:
        rows[k] = rows[k].model_copy(update={"learning": "hook"})
        _save(folder, plan, rows)
    rows[k] = _learned(folder, rows[k], hook, count)
    _save(folder, plan, rows)


def _resumed(path: Path, plan: BStarPlan,
             hook: TrainingHook | None) -> tuple[BStarPlan, list[BStarIteration]]:  # fmt: skip
    """The plan in force and the saved rows (none for a new folder), checked."""
    if not (path / MANIFEST).exists():
        return plan, []
    saved, rows = load_bstar(path)
    if saved.model_copy(update={"iterations": plan.iterations}) != plan:
        raise ConfigError(f"{path} holds a B-STaR run with other settings")
    plan = plan.model_copy(update={"iterations": max(plan.iterations, saved.iterations)})
    trained = sum(r.status == "trained" for r in rows)
    if hook is None and any(r.learning == "hook" for r in rows) and trained < plan.iterations - 1:
        raise ConfigError(f"{path}: its actor is trained by a hook between iterations; "
                              "give the hook again (--train-hook) to go on")  # fmt: skip
    return plan, rows


async def _config(plan: BStarPlan, k: int, roles: Roles) -> tuple[float, float]:
    """A new iteration's (temperature, threshold): probed when adjusting, else the plan's."""
    if plan.adjust and k > 0:
        return await _probe(plan, roles)
    return plan.temperature, plan.threshold


async def run_bstar(
    folder: str | Path,
    plan: BStarPlan,
    *,
    concurrency: int = 8,
    on_iteration: Callable[[BStarIteration], None] | None = None,
    hook: TrainingHook | None = None,
) -> list[BStarIteration]:
    """Run (or resume) the iterations of ``plan`` in ``folder``; returns one row each.

    A folder that already holds a manifest must hold the same plan, but for ``iterations``:
    more continues the run, fewer keeps it as it is. Finished iterations are kept (never
    probed or sampled again), and the actor's skills are carried on by the same learning rule.

    Every iteration writes the samples its reward selected to ``iter-<k>/records`` (an SFT
    dataset, ``_bstar_records``). With ``hook``, that folder and the actor's model go to the
    hook between iterations, and the model it answers with (``{"actor": ...}``; none: the
    same) is the next iteration's actor, kept in the manifest so a resumed run never trains
    a finished iteration again. The hook replaces the simulated learning rule.

    Args:
        folder: The run's folder.
        plan: Its settings.
        concurrency: Items in flight at once in a new iteration's run.
        on_iteration: Called with each iteration's row once it is saved (and trained).
        hook: Trains the actor between iterations (``shell_hook(command)`` for a command).

    Raises:
        ConfigError: The folder holds another plan, a grid is empty, or it was trained by a
            hook and none is given.
        HookFailed: The hook failed; the iterations played are kept, and running again
            calls the hook again.
    """
    if not plan.temperatures or not plan.thresholds:
        raise ConfigError("B-STaR: the temperature and threshold grids must not be empty")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    plan, rows = _resumed(path, plan, hook)
    actor = ActorSkill().model_copy(update=plan.actor)
    actor = ActorSkill.model_validate(actor.model_dump())
    model = plan.actor_model
    for k in range(plan.iterations):
        before = rows[k] if k < len(rows) else None
        if before is not None and before.actor_model is not None:
            model = before.actor_model
        if hook is not None and model is None:  # the hook is shown the simulated actor
            model = _sim_settings(plan, actor)
        if before is not None:  # done before: take its configuration, replay its learning step
            config = (before.temperature, before.threshold)
        else:
            config = await _config(plan, k, _roles(plan, actor, model))
        stats, tally, selected = await _iteration(path, plan, k, (actor, model), config,
                                                  concurrency)  # fmt: skip
        rows[k : k + 1] = [_recorded(path, stats, before, selected)]
        _save(path, plan, rows)
        if k < plan.iterations - 1 and rows[k].status != "trained":  # train between iterations
            _train_step(path, plan, rows, k, hook, len(selected))
        if rows[k].next_actor_model is not None:
            model = rows[k].next_actor_model
        elif model is None:  # the simulated actor learns by the rule
            actor = self_train(actor, tally, rate=plan.learning_rate, collapse=plan.collapse_rate)
        if on_iteration is not None:
            on_iteration(rows[k])
    return rows


def _recorded(folder: Path, stats: BStarIteration, before: BStarIteration | None,
              selected: list[SelectedRow]) -> BStarIteration:  # fmt: skip
    """The row with its records written (once) and what a saved row knew of its training."""
    if before is not None and before.records is not None:
        keep = ("records", "status", "learning", "next_actor_model")
        return stats.model_copy(update={f: getattr(before, f) for f in keep})
    records = folder / stats.run_dir / "records"
    write_selection(records, selected, iteration=stats.iteration, threshold=stats.threshold,
                    run=stats.run_dir)  # fmt: skip
    return stats.model_copy(
        update={"records": str(records.relative_to(folder)), "status": "played"}
    )
