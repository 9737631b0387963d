"""An iterated self-taught reasoning run with B-STaR's monitors, on the simulator.

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
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rich import box
from rich.table import Table

from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.graphs._reasoning_common import Sample
from sparring.iterate._balance import BalanceTotals, ItemBalance, item_balance, vote_rewards
from sparring.models import Model, Roles
from sparring.run import FieldMap, InputItem, Run, read_items
from sparring.run._sim_items import sim_items
from sparring.sim._profile import ActorSkill
from sparring.sim._self_training import SelfTrainingTally, self_train

__all__ = ["MANIFEST", "BStarIteration", "BStarPlan", "load_bstar", "render_bstar", "run_bstar"]

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
            one. Nothing here trains it: between iterations it stays the same model, so only
            the monitors (and, with ``adjust``, the chosen configuration) change.
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
    """One iteration's configuration, actor and monitors (a row of ``bstar.json``)."""

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


def _roles(plan: BStarPlan, actor: ActorSkill) -> Roles:
    if plan.actor_model is not None:
        return Roles({"actor": Model(**plan.actor_model)}, sim_seed=plan.seed)
    return Roles.sim(seed=plan.seed, profile={"actor": actor.model_dump()})


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


async def _probe(plan: BStarPlan, actor: ActorSkill) -> tuple[float, float]:
    """The (temperature, threshold) with the best mean balance score on the probe problems."""
    factory = REGISTRY[GRAPH].load()
    items = _problems(plan, plan.probe)
    best: tuple[float, float, float] | None = None
    for temperature in plan.temperatures:
        graph = factory(_roles(plan, actor), n_samples=plan.n_samples, temperature=temperature)
        outputs = [await graph.ainvoke(item) for item in items]
        for threshold in plan.thresholds:
            score = BalanceTotals.of(_rows(outputs, threshold, plan.n_star), plan.n_star)
            if best is None or score.balance_score > best[0]:
                best = (score.balance_score, temperature, threshold)
    assert best is not None  # the grids are checked to be non-empty
    return best[1], best[2]


async def _iteration(
    folder: Path,
    plan: BStarPlan,
    k: int,
    actor: ActorSkill,
    config: tuple[float, float],
    concurrency: int = 8,
) -> tuple[BStarIteration, SelfTrainingTally]:
    temperature, threshold = config
    roles = _roles(plan, actor)
    run_dir = folder / f"iter-{k}"
    if (run_dir / "run.sqlite").exists():  # a killed iteration: resume it
        run = Run.open(run_dir)
    else:
        options = {"n_samples": plan.n_samples, "temperature": temperature}
        run = Run.create(
            run_dir, graph=GRAPH, roles=roles, seed=plan.seed, options=options,
            concurrency=concurrency,
        )  # fmt: skip
        if plan.data is None:
            run.add_sim_tasks(plan.items)
        else:
            run.ingest(plan.data, plan.fields, limit=plan.items)
    try:
        await run.execute(roles=roles)
        outputs = [output for _, output in run.outputs()]
    finally:
        run.close()
    rows = _rows(outputs, threshold, plan.n_star)
    totals = BalanceTotals.of(rows, plan.n_star)
    stats = BStarIteration(
        iteration=k,
        temperature=temperature,
        threshold=threshold,
        actor_accuracy=None if plan.actor_model else actor.accuracy,
        actor_diversity=None if plan.actor_model else actor.diversity,
        vote_accuracy=sum(bool(o.get("correct")) for o in outputs) / max(len(outputs), 1),
        pass_at_k=totals.pass_at_k,
        distinct_correct=totals.distinct_correct,
        selection_accuracy=totals.selection_accuracy,
        selected_per_item=totals.selected_per_item,
        balance_score=totals.balance_score,
        run_dir=run_dir.name,
    )
    tally = SelfTrainingTally(
        selected=sum(r.selected for r in rows),
        selected_correct=sum(r.selected_correct for r in rows),
        selected_distinct=sum(r.selected_distinct for r in rows),
        novelty=totals.novelty,
    )
    return stats, tally


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


async def run_bstar(
    folder: str | Path,
    plan: BStarPlan,
    *,
    concurrency: int = 8,
    on_iteration: Callable[[BStarIteration], None] | None = None,
) -> list[BStarIteration]:
    """Run (or resume) the iterations of ``plan`` in ``folder``; returns one row each.

    A folder that already holds a manifest must hold the same plan, but for ``iterations``:
    more continues the run, fewer keeps it as it is. Finished iterations are kept (never
    probed or sampled again), and the actor's skills are carried on by the same learning rule.

    Args:
        folder: The run's folder.
        plan: Its settings.
        concurrency: Items in flight at once in a new iteration's run.
        on_iteration: Called with each iteration's row as it is saved.

    Raises:
        ConfigError: The folder holds another plan, or a grid is empty.
    """
    if not plan.temperatures or not plan.thresholds:
        raise ConfigError("B-STaR: the temperature and threshold grids must not be empty")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    rows: list[BStarIteration] = []
    if (path / MANIFEST).exists():
        saved, rows = load_bstar(path)
        if saved.model_copy(update={"iterations": plan.iterations}) != plan:
            raise ConfigError(f"{path} holds a B-STaR run with other settings")
        plan = plan.model_copy(update={"iterations": max(plan.iterations, saved.iterations)})
    actor = ActorSkill().model_copy(update=plan.actor)
    actor = ActorSkill.model_validate(actor.model_dump())
    for k in range(plan.iterations):
        if k < len(rows):  # done before: take its configuration, replay its learning step
            config = (rows[k].temperature, rows[k].threshold)
        elif plan.adjust and k > 0:
            config = await _probe(plan, actor)
        else:
            config = (plan.temperature, plan.threshold)
        stats, tally = await _iteration(path, plan, k, actor, config, concurrency)
        rows[k:] = [stats]
        _save(path, plan, rows)
        if on_iteration is not None:
            on_iteration(stats)
        if plan.actor_model is None:  # a real actor is not trained here
            actor = self_train(actor, tally, rate=plan.learning_rate, collapse=plan.collapse_rate)
    return rows


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}%" if pct else f"{value:.2f}"


def render_bstar(folder: str | Path) -> Table:
    """A table of the iterations in ``folder``: configuration, actor, monitors, balance."""
    plan, rows = load_bstar(folder)
    table = Table(title=f"B-STaR iterations ({'adjusted' if plan.adjust else 'fixed'} "
                  f"configuration, n*={plan.n_star})", box=box.SIMPLE_HEAD)  # fmt: skip
    for name in ("iter", "temp", "threshold", "actor acc", "diversity", "vote acc", "pass@k",
                 "distinct right/item", "selection acc", "balance"):  # fmt: skip
        table.add_column(name, justify="right", overflow="fold")
    for r in rows:
        table.add_row(
            str(r.iteration), f"{r.temperature:g}", f"{r.threshold:g}",
            _fmt(r.actor_accuracy, True), _fmt(r.actor_diversity), _fmt(r.vote_accuracy, True),
            _fmt(r.pass_at_k, True), _fmt(r.distinct_correct), _fmt(r.selection_accuracy, True),
            f"{r.balance_score:.3f}",
        )  # fmt: skip
    table.caption = (
        "exploration: distinct right samples per problem; exploitation: share of the reward's "
        "selection that is right; balance = mean min(distinct right selected / n*, 1) x "
        "selection accuracy (B-STaR)"
    )
    return table
