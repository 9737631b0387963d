"""``sparring iterate bstar``: B-STaR's self-taught reasoning iterations, resumable (``--out``)."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from rich.live import Live
from rich.table import Table

from sparring.cli._console import console, err_console, simulator_banner
from sparring.cli._exit import run_exit
from sparring.cli._play._common import report_hook
from sparring.cli._roles import role_options, roles_from_options
from sparring.errors import ConfigError
from sparring.iterate import (
    MANIFEST,
    BStarIteration,
    BStarPlan,
    HookFailed,
    TrainingHook,
    load_bstar,
    render_bstar,
    shell_hook,
)
from sparring.iterate._bstar import next_actor
from sparring.models import ROLE_NAMES, Gateway, Roles

__all__ = ["bstar", "iterate"]

PROBLEMS_FILE = "problems.jsonl"
# CLI parameter -> BStarPlan field (the settings a resumed folder must keep).
_PLAN_FIELDS = {
    "iterations": "iterations", "items": "items", "samples": "n_samples",
    "temperature": "temperature", "threshold": "threshold", "adjust": "adjust",
    "temperatures": "temperatures", "thresholds": "thresholds", "probe": "probe",
    "n_star": "n_star", "seed": "seed", "data": "data", "prompt_field": "prompt_field",
    "answer_field": "answer_field",
}  # fmt: skip
_ROLE_PARAMS = (*(f"role_{r}" for r in ROLE_NAMES), "default_model", "api_base", "roles_file")


class _Refused(click.ClickException):
    """A folder that holds a run with other settings: one line, exit code 2 (usage)."""

    exit_code = 2


@click.group()
def iterate() -> None:
    """Iterated self-improvement runs (bstar), one resumable run per iteration."""


def _grid(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r}: not a comma-separated list of numbers") from None
    if not values:
        raise click.BadParameter("the list is empty")
    return values


def _options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The plan's flags (their defaults are ``BStarPlan``'s)."""
    d = BStarPlan()
    grid = ",".join(f"{t:g}" for t in d.temperatures), ",".join(f"{t:g}" for t in d.thresholds)
    options = [
        click.option("--data", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Problems with gold answers (.jsonl, .csv, .parquet) [default: "
                     "practice word problems written to FOLDER/problems.jsonl]."),
        click.option("--prompt-field", default=d.prompt_field, show_default=True),
        click.option("--answer-field", default=d.answer_field, show_default=True,
                     help="The gold answer's field (every row needs one)."),
        click.option("--iterations", type=click.IntRange(1, 50), default=d.iterations,
                     show_default=True, help="Iterations; resuming with more continues."),
        click.option("--items", type=click.IntRange(1, 100_000), default=d.items,
                     show_default=True, help="Training problems (the same every iteration)."),
        click.option("--samples", type=click.IntRange(2, 64), default=d.n_samples,
                     show_default=True, help="Solutions sampled per problem."),
        click.option("--adjust/--no-adjust", default=True, show_default=True,
                     help="Pick temperature and threshold per iteration by the balance score."),
        click.option("--temperature", type=click.FloatRange(0.0, 3.0, min_open=True),
                     default=d.temperature, show_default=True,
                     help="Sampling temperature (fixed, or the first iteration's)."),
        click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=d.threshold,
                     show_default=True, help="Reward (vote share) a selected sample needs."),
        click.option("--temperatures", callback=lambda c, p, v: _grid(v), default=grid[0],
                     show_default=True, help="Temperatures tried when adjusting."),
        click.option("--thresholds", callback=lambda c, p, v: _grid(v), default=grid[1],
                     show_default=True, help="Thresholds tried when adjusting."),
        click.option("--probe", type=click.IntRange(1, 10_000), default=d.probe,
                     show_default=True, help="Problems the adjustment is chosen on."),
        click.option("--n-star", type=click.IntRange(1, 64), default=d.n_star,
                     show_default=True, help="Distinct right solutions that fully explore a "
                     "problem (8: B-STaR's reference code)."),
        click.option("--concurrency", type=click.IntRange(1, 256), default=8,
                     show_default=True, help="Problems in flight at once."),
        click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Folder (one run per iteration, iter-K); running it again resumes."),
        click.option("--train-hook", metavar="COMMAND",
                     help="Shell command that trains the actor between iterations on "
                     "$SPARRING_RECORDS (needs --out)."),
        click.option("--json", "as_json", is_flag=True, help="Print the iterations as JSON."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)


def _actor_model(options: dict[str, Any]) -> dict[str, Any] | None:
    """The bound actor's settings, or None for the simulated actor."""
    model = roles_from_options(options).resolve("actor")
    return None if model.is_simulated else model.model_dump(mode="json", exclude_none=True)


def _check_data(path: Path, plan: BStarPlan) -> None:
    """Every row that will be used has a prompt and a gold answer (one line naming where)."""
    from sparring.run import InputItem, InputProblem, read_items

    good = 0
    try:
        for entry in read_items(path, plan.fields, strict=True):
            good += isinstance(entry, InputItem)
            if good >= plan.items:
                break
    except InputProblem as err:
        e = err.error
        hint = (" (B-STaR needs a gold answer in every row; name its field with "
                "--answer-field)") if e["field"] == plan.answer_field else ""  # fmt: skip
        field = f" field {e['field']!r}" if e["field"] else ""
        where = f"{e['file']} line {e['line']}:{field}"
        raise click.ClickException(f"{where} {e['message']}{hint}") from None
    if good == 0:
        raise click.ClickException(f"{path}: no rows with a prompt and a gold answer")


def _new_plan(folder: Path, options: dict[str, Any]) -> BStarPlan:
    values = {field: options[name] for name, field in _PLAN_FIELDS.items()}
    values["data"] = str(options["data"]) if options["data"] else None
    try:
        plan = BStarPlan(**values, actor_model=_actor_model(options))
    except ValueError as err:
        raise click.UsageError(" ".join(str(err).split())) from None
    if plan.data is not None:
        _check_data(Path(plan.data), plan)
        return plan
    from sparring.iterate._practice import write_practice

    data = write_practice(folder / PROBLEMS_FILE, plan.items, plan.seed)
    err_console.print(
        f"problems: {plan.items} practice word problems with worked solutions ({data}). "
        "The simulator's own world problems have one wording per right solution, so they "
        "cannot show exploration; --data FILE uses yours."
    )
    return plan.model_copy(update={"data": str(data)})


def _same(field: str, saved: Any, asked: Any) -> bool:
    if field == "data" and saved is not None and asked is not None:
        return bool(Path(saved).resolve() == Path(asked).resolve())
    return bool(saved == asked)


def _resumed_plan(folder: Path, ctx: click.Context, options: dict[str, Any]) -> BStarPlan:
    """The saved plan; flags given that differ from it are refused (``--iterations`` grows)."""
    saved, rows = load_bstar(folder)
    differ = []
    for name, field in _PLAN_FIELDS.items():
        asked = str(options[name]) if name == "data" and options[name] else options[name]
        if (
            field != "iterations"
            and _given(ctx, name)
            and not _same(field, getattr(saved, field), asked)
        ):
            differ.append(f"--{name.replace('_', '-')} (saved: {getattr(saved, field)})")
    if any(_given(ctx, p) for p in _ROLE_PARAMS) and _actor_model(options) != saved.actor_model:
        differ.append(
            f"the actor model (saved: {(saved.actor_model or {}).get('name', 'simulator')})"
        )
    if differ:
        raise _Refused(f"{folder} holds a B-STaR run with other settings: {', '.join(differ)}; "
                       "leave them out to resume it, or use another --out")  # fmt: skip
    err_console.print(f"resuming the B-STaR run in {folder} ({len(rows)} of "
                      f"{saved.iterations} iterations saved; its settings apply)")  # fmt: skip
    iterations = options["iterations"] if _given(ctx, "iterations") else saved.iterations
    return saved.model_copy(update={"iterations": max(iterations, saved.iterations)})


@contextmanager
def _folder(out_dir: Path | None) -> Iterator[Path]:
    if out_dir is not None:
        yield out_dir
        return
    with tempfile.TemporaryDirectory(prefix="sparring-bstar-") as tmp:
        yield Path(tmp) / "bstar"


def _line(r: BStarIteration) -> str:
    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    trained = ""
    if r.learning == "hook" and r.next_actor_model is not None:
        trained = f"  trained: next actor {r.next_actor_model.get('name')}"
    actor = "" if r.actor_accuracy is None else (
        f"  actor acc {pct(r.actor_accuracy)}  diversity {r.actor_diversity:.2f}"
    )  # fmt: skip
    return (
        f"iter {r.iteration}  temp {r.temperature:g}  threshold {r.threshold:g}{actor}  "
        f"vote acc {pct(r.vote_accuracy)}  pass@k {pct(r.pass_at_k)}  "
        f"distinct right/item {r.distinct_correct:.2f}  selection acc "
        f"{pct(r.selection_accuracy)}  selected/item {r.selected_per_item:.2f}  "
        f"balance {r.balance_score:.3f}{trained}"
    )


class _Screen:
    """The per-iteration table, live on a terminal; plain lines otherwise (none for --json)."""

    def __init__(self, folder: Path, total: int, *, live: bool, quiet: bool) -> None:
        self.folder, self.total, self.quiet = folder, total, quiet
        self.view: Live | None = None
        self.live = live and not quiet

    def table(self, done: int) -> Table:
        if (self.folder / MANIFEST).exists():
            table = render_bstar(self.folder)
        else:
            table = Table(title="B-STaR iterations")
        if done < self.total:
            table.title = f"{table.title}: running iteration {done + 1}/{self.total}"
        return table

    def on_iteration(self, row: BStarIteration) -> None:
        if self.view is not None:
            self.view.update(self.table(row.iteration + 1), refresh=True)
        elif not self.quiet:
            click.echo(_line(row))


def _run(folder: Path, plan: BStarPlan, screen: _Screen, concurrency: int,
         hook: TrainingHook | None) -> list[BStarIteration]:  # fmt: skip
    from sparring.iterate import run_bstar

    work = run_bstar(folder, plan, concurrency=concurrency, on_iteration=screen.on_iteration,
                     hook=hook)  # fmt: skip
    if not screen.live:
        return asyncio.run(work)
    with Live(screen.table(0), console=console, refresh_per_second=4) as view:
        screen.view = view
        try:
            return asyncio.run(work)
        finally:
            screen.view = None


def _failures(folder: Path, rows: list[BStarIteration]) -> tuple[int, str] | None:
    """The exit code and line of the first iteration whose run did not finish every item."""
    from sparring.run import Run

    for row in rows:
        run = Run.open(folder / row.run_dir)
        try:
            code, line = run_exit(run.summary(), str(folder / row.run_dir))
        finally:
            run.close()
        if code:
            return int(code), f"iteration {row.iteration}: {line}"
    return None


def _notes(plan: BStarPlan, roles: Roles, hooked: bool) -> None:
    banner = simulator_banner(roles, ("actor",))
    if banner:
        err_console.print(banner)
    if plan.actor_model is not None and plan.iterations > 1 and not hooked:
        err_console.print(
            "[yellow]note:[/] no --train-hook, so nothing here trains a real actor: it stays the "
            "same model between iterations, so only the monitors and the adjusted configuration "
            "change"
        )


def _report(folder: Path, out_dir: Path | None, plan: BStarPlan, rows: list[BStarIteration],
            as_json: bool) -> None:  # fmt: skip
    if as_json:
        body = {
            "technique": "b-star",
            "simulator": plan.actor_model is None,
            "folder": str(out_dir) if out_dir else None,
            "plan": plan.model_dump(mode="json"),
            "iterations": [r.model_dump(mode="json") for r in rows],
        }
        click.echo(json.dumps(body, indent=2))
        return
    if out_dir is not None:  # the table is on screen already (live, or one line each)
        console.print(f"folder: {out_dir}  (sparring view {out_dir}; one run per iteration: "
                      f"sparring view {out_dir}/iter-0)")  # fmt: skip


_HELP = """B-STaR: self-taught reasoning iterations that watch exploration and exploitation.

Each iteration samples --samples solutions per problem with the actor (a
self-consistency run, FOLDER/iter-K), rewards each sample by the share of samples that
agree with its answer, selects those at or above the threshold as training data
(FOLDER/iter-K/records, an SFT dataset of prompt and completion rows), and lets the actor
learn from them. On the SIMULATOR (no --actor/--roles) the actor learns by a documented
rule (accuracy moves toward the selection's precision, diversity shrinks). A real actor
is trained by --train-hook COMMAND (needs --out): between iterations it runs with
$SPARRING_RECORDS (the records folder), $SPARRING_MODELS ({"actor": "..."}) and
$SPARRING_ITERATION, and writes the next actor as JSON ({"actor": "hosted_vllm/v2"} or
{"actor": {"name": ..., "api_base": ...}}) to $SPARRING_MODELS_OUT or as its last output
line; without one the real actor stays the same model. With --adjust (the default)
each iteration after the first picks the temperature and threshold from the grids with
the best balance score on the first --probe problems, as B-STaR does.

\b
The numbers, per iteration:
  temp, threshold   the sampling temperature and reward threshold used
  actor acc, diversity  the simulated actor's skills (blank for a real actor)
  vote acc          problems whose majority answer is right
  pass@k            problems with at least one right sample
  distinct right/item  distinct right solutions per problem (exploration)
  selection acc     share of the selected samples that are right (exploitation)
  selected/item     samples selected per problem
  balance           mean over problems of min(u/n*, 1) x c/s: s selected, c of them
                    right, u of those distinct (B-STaR's balance score)

\b
n*: B-STaR's reference code (cal_modi_acc_soft in hkust-nlp/B-STaR) scores a query
min(right/8, 1) x its selection's accuracy: n*=8, with 32-64 samples drawn per query.
We use the same n*=8 by default. With the default 8 samples a problem then scores 1
only when every sample is a distinct right one, so the score keeps room to show
exploration falling; n* much below the sample count saturates it (on the simulator,
n*=4 with 8 samples holds the balance near 1.0 at a fixed temperature).

Gold answers only measure (the reward never sees them): --data rows need one
(--answer-field). Without --data, practice word problems with worked solutions are
written to FOLDER/problems.jsonl: the simulator's world problems have one wording
per right solution and cannot show exploration. Running the same --out again resumes
(more --iterations continue it); other settings are refused.

Exit codes: 0 done; 1 error; 2 bad usage or other settings than the folder's;
3 some items failed; 4 budget; 5 a model cannot be used; 130 interrupted; a failed
--train-hook exits with the hook's own code (what was played is kept; run again).
"""


@iterate.command("bstar", help=_HELP)
@role_options
@_options
@click.pass_context
def bstar(ctx: click.Context, /, out_dir: Path | None, as_json: bool, concurrency: int,
          train_hook: str | None, **options: Any) -> None:  # fmt: skip
    """Run (or resume) B-STaR iterations; see ``_HELP``."""
    from sparring.run import preflight

    if train_hook is not None and out_dir is None:
        raise click.UsageError(
            "--train-hook needs --out: the folder keeps each iteration's records and the "
            "trained actor, so a run whose hook failed can resume"
        )
    hook = shell_hook(train_hook) if train_hook else None
    with _folder(out_dir) as folder:
        resuming = (folder / MANIFEST).exists()
        if not resuming:
            roles = roles_from_options(options, gateway=Gateway())
            asyncio.run(preflight(roles, ("actor",)))  # before anything is written
        plan = _resumed_plan(folder, ctx, options) if resuming else _new_plan(folder, options)
        roles = _plan_roles(plan, load_bstar(folder)[1] if resuming else [])
        if resuming:
            asyncio.run(preflight(roles, ("actor",)))
        _notes(plan, roles, hook is not None)
        screen = _Screen(folder, plan.iterations, live=console.is_terminal, quiet=as_json)
        try:
            rows = _run(folder, plan, screen, concurrency, hook)
        except ConfigError as err:
            raise click.ClickException(str(err)) from None
        except HookFailed as err:
            report_hook(err, resumable=False)
            click.echo("  (the iterations played are kept; run the same --out again to resume)",
                       err=True)  # fmt: skip
            raise SystemExit(err.exit_code) from None
        _report(folder, out_dir, plan, rows, as_json)
        failed = _failures(folder, rows)
    if failed is not None:
        click.echo(failed[1], err=True)
        raise SystemExit(failed[0])


def _plan_roles(plan: BStarPlan, rows: list[BStarIteration]) -> Roles:
    """The roles of the next iteration to run (a hook's model, once one has trained it)."""
    from sparring.models import Model

    actor = next_actor(plan, rows)
    if actor is None:
        return Roles.sim(seed=plan.seed, roles=("actor",))
    return Roles({"actor": Model(**actor)}, gateway=Gateway())
