"""``sparring play GAME``: self-play games with a live scoreboard.

``spc`` plays the Self-Play Critic game over iterations, with learning players between them
(simulated learning on the simulator, a training hook on real models), resumable from its game
folder (``--out``).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.live import Live
from rich.table import Table

from sparring.cli._console import console, err_console, simulator_banner
from sparring.cli._roles import role_options, roles_from_options
from sparring.errors import ConfigError, OptionError
from sparring.graphs.games import (
    GameStopped,
    HookFailed,
    SpcIteration,
    SpcPlan,
    SpcSelfPlay,
    shell_hook,
)
from sparring.graphs.games.deceptive import (
    DEFENCES,
    INTENTS,
    KNOWLEDGE,
    DeceptionOutcome,
    DeceptionScoreboard,
    create_deceptive_feedback_graph,
)
from sparring.graphs.games.prover_verifier import PvRound, play_prover_verifier
from sparring.graphs.spc_game import GameOutcome, SpcScoreboard
from sparring.models import Gateway, Model, Roles

__all__ = ["deception_table", "iterations_table", "play", "pv_table", "scoreboard_table"]

_ROLES = ("actor", "sneaky", "critic")
_GRAPH_OPTIONS = (
    "rollouts",
    "critic_samples",
    "control_rate",
    "accept_original_min",
    "accept_tampered_max",
)
_HOOK_TAIL_LINES = 20


def _share(hits: int, total: int) -> str:
    return f"{hits}/{total}  ({hits / total:.0%})" if total else "-"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def scoreboard_table(
    board: SpcScoreboard, done: int, total: int, errors: int = 0, title: str | None = None
) -> Table:
    """The scoreboard as a rich table (rounds done, accuracies, rates, rewards)."""
    table = Table(title=title or f"SPC game: round {done}/{total}", box=box.SIMPLE_HEAD)
    table.add_column("measure")
    table.add_column("value", justify="right")
    caught, games = board.tampered_caught, board.tampered_games
    rows = [
        ("critic accuracy on tampered steps", _share(caught, games)),
        ("critic accuracy on control steps", _share(board.control_correct, board.control_games)),
        ("sneaky success rate", _share(games - caught, games)),
        ("validation rejection rate", _share(board.rejected, board.validated)),
        ("unusable sneaky rewrites", str(board.no_tamper)),
        ("items without a verified solution", str(board.no_solution)),
        ("unscored critic calls", str(board.unscored)),
        ("critic reward (total)", f"{board.critic_reward:+d}"),
        ("sneaky reward (total)", f"{board.sneaky_reward:+d}"),
    ]
    if errors:
        rows.append(("games lost to model errors", f"[red]{errors}[/]"))
    for measure, value in rows:
        table.add_row(measure, value)
    return table


def _skill(entry: SpcIteration, role: str, name: str) -> str:
    value = ((entry.skills or {}).get(role) or {}).get(name)
    return "-" if value is None else f"{value:.2f}"


def iterations_table(entries: list[SpcIteration]) -> Table:
    """One row per iteration: accuracies, sneaky success, simulated skills, how it learned."""
    table = Table(
        title="SPC game by iteration: critic accuracy (tampered, control), sneaky success;"
        " simulated skills (critic recall, subtle recall, sneaky subtlety)",
        box=box.SIMPLE_HEAD,
    )
    for name in ("iter", "tampered", "control", "sneaky", "recall", "subtle", "subtlety"):
        table.add_column(name, justify="right")
    table.add_column("then")
    for e in entries:
        table.add_row(
            str(e.iteration),
            _pct(e.critic_accuracy),
            _pct(e.control_accuracy),
            _pct(e.sneaky_success),
            _skill(e, "critic", "recall"),
            _skill(e, "critic", "subtle_recall"),
            _skill(e, "sneaky", "subtlety"),
            e.learning or ("-" if e.status == "played" else e.status),
        )
    return table


@click.group()
def play() -> None:
    """Play a self-play game and watch its scoreboard (spc, deceptive, prover-verifier)."""


def _spc_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--iterations",
            type=click.IntRange(1, 1000),
            default=None,
            help="Iterations to play; the players learn between them [default: 1].",
        ),
        click.option(
            "--rounds",
            type=click.IntRange(1, 100_000),
            default=None,
            help="Games per iteration [default: 20 world problems, or every row of --data].",
        ),
        click.option(
            "--data",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Problems with gold answers: .jsonl, .csv or .parquet.",
        ),
        click.option("--prompt-field", default="prompt", show_default=True),
        click.option("--answer-field", default="answer", show_default=True),
        click.option("--id-field", default="id", show_default=True),
        click.option(
            "--out",
            "out_dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Game folder (one run per iteration); playing it again resumes it.",
        ),
        click.option(
            "--learning-rate",
            type=click.FloatRange(0.0, 100.0),
            default=1.0,
            show_default=True,
            help="Simulated learning rate of the critic (0 freezes the players).",
        ),
        click.option(
            "--sneaky-learning-rate",
            type=click.FloatRange(0.0, 100.0),
            default=None,
            help="Simulated learning rate of the sneaky generator [default: --learning-rate].",
        ),
        click.option(
            "--train-hook",
            metavar="COMMAND",
            help="Shell command that trains the players between iterations (real models).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _graph_option_flags(func: Callable[..., Any]) -> Callable[..., Any]:
    flags = [
        ("--rollouts", click.IntRange(1, 256), 8, "Solver rollouts per branch in validation."),
        ("--critic-samples", click.IntRange(1, 64), 2, "Critic verdicts per judged step."),
        (
            "--control-rate",
            click.FloatRange(0.0, 1.0),
            1.0,
            "Probability of also judging the untouched step.",
        ),
        (
            "--accept-original-min",
            click.FloatRange(0.0, 1.0),
            0.5,
            "Least rollout success from the original step.",
        ),
        (
            "--accept-tampered-max",
            click.FloatRange(0.0, 1.0),
            0.1,
            "Greatest rollout success from the tampered step.",
        ),
        ("--concurrency", click.IntRange(1, 256), 4, "Games in flight at once."),
    ]
    for name, kind, default, text in reversed(flags):
        func = click.option(name, type=kind, default=default, show_default=True, help=text)(func)
    return func


def _plan(options: dict[str, Any]) -> SpcPlan:
    data = options.pop("data")
    fields = {
        "prompt": options.pop("prompt_field"),
        "answer": options.pop("answer_field"),
        "id": options.pop("id_field"),
    }
    return SpcPlan(
        iterations=options.pop("iterations") or 1,
        rounds=options.pop("rounds") or (None if data else 20),
        data=str(data) if data else None,
        fields=fields,
        options={k: options.pop(k) for k in _GRAPH_OPTIONS},
        seed=int(options.get("seed") or 0),
        concurrency=options.pop("concurrency"),
        learning_rate=options.pop("learning_rate"),
        sneaky_learning_rate=options.pop("sneaky_learning_rate"),
        hook_command=options.pop("train_hook"),
    )


def _sim_roles(roles: Roles, seed: int) -> Roles:
    """Bind every simulated player explicitly (its skills then travel with its settings)."""
    bound = {}
    for role in _ROLES:
        model = roles.resolve(role)
        bound[role] = model.with_options(seed=seed) if model.is_simulated else model
    return roles.bind(**bound)


def _open_or_create(
    folder: Path, options: dict[str, Any], iterations: int | None, **kw: Any
) -> SpcSelfPlay:
    from sparring.run import preflight

    if SpcSelfPlay.exists(folder):
        game = SpcSelfPlay.open(folder, **kw)
        asyncio.run(preflight(game.roles_of(game.entries[-1]), _ROLES))
        if iterations is not None:
            game.extend(iterations)
        err_console.print(
            f"resuming the game in {folder} (its saved settings apply; "
            f"{len(game.entries)} of {game.plan.iterations} iterations started)"
        )
        return game
    plan = _plan(options)
    roles = _sim_roles(roles_from_options(options, gateway=Gateway()), plan.seed)
    asyncio.run(preflight(roles, _ROLES))  # before anything is written: keys, servers
    try:
        return SpcSelfPlay.create(folder, roles, plan, **kw)
    except OptionError as err:
        raise click.UsageError(str(err)) from None
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


@contextmanager
def _folder(out_dir: Path | None) -> Iterator[Path]:
    if out_dir is not None:
        yield out_dir
        return
    with tempfile.TemporaryDirectory(prefix="sparring-spc-") as tmp:
        yield Path(tmp) / "game"


class _Screen:
    """The live scoreboard (on a terminal) and the per-iteration lines."""

    def __init__(self, live: bool) -> None:
        self.live = live
        self.view: Live | None = None
        self.iterations = 1
        self.last: Table | None = None

    def table(self, k: int, board: SpcScoreboard, done: int, total: int, failed: int) -> Table:
        head = f"SPC game: iteration {k + 1}/{self.iterations}, " if self.iterations > 1 else ""
        title = f"{head or 'SPC game: '}round {done}/{total}"
        return scoreboard_table(board, done, total, failed, title=title)

    def on_game(self, k: int, board: SpcScoreboard, done: int, total: int, failed: int) -> None:
        self.last = self.table(k, board, done, total, failed)
        if self.view is not None:
            self.view.update(self.last, refresh=True)


def _banner(entries: list[SpcIteration]) -> None:
    models = entries[-1].models if entries else {}
    roles = Roles({r: Model(**s) for r, s in models.items()})
    banner = simulator_banner(roles, _ROLES)
    if banner:
        err_console.print(banner)


def _warn_no_learning(game: SpcSelfPlay) -> None:
    entry = game.entries[0]
    real = [r for r in ("critic", "sneaky") if r not in entry.simulated]
    if game.plan.iterations > 1 and real and game.hook is None:
        err_console.print(
            f"[yellow]note:[/] no --train-hook: the real players ({', '.join(real)}) stay the "
            "same between iterations"
        )


def _report_hook(err: HookFailed, *, resumable: bool = True) -> None:
    click.echo(f"Error: {err}", err=True)
    tail = err.output.strip().splitlines()[-_HOOK_TAIL_LINES:]
    for line in tail[:-1]:
        click.echo(f"  | {line}", err=True)
    if resumable:
        click.echo("  (earlier iterations are kept; play the same --out again to resume)", err=True)


async def _run_game(game: SpcSelfPlay, screen: _Screen) -> list[SpcIteration]:
    if screen.live:
        with Live(console=console, refresh_per_second=8) as view:
            screen.view = view
            try:
                return await game.play()
            finally:
                screen.view = None
    return await game.play()


def _json_out(game: SpcSelfPlay, folder: Path | None) -> dict[str, Any]:
    games: list[dict[str, Any]] = []
    board = SpcScoreboard()
    for entry in game.entries:
        outcomes: list[GameOutcome] = game.outcomes(entry)
        board = board + SpcScoreboard.of(outcomes)
        games += [{**o, "iteration": entry.iteration} for o in outcomes]
    last = game.entries[-1]
    return {
        "game": "spc",
        "simulator": last.simulated,
        "simulated_learning_rule": "one policy-gradient step per skill at learning_rate "
        "(sparring/sim/_learning.py)",
        "seed": game.plan.seed,
        "plan": game.plan.model_dump(mode="json"),
        "game_dir": str(folder) if folder else None,
        "iterations": [e.model_dump(mode="json") for e in game.entries],
        "scoreboard": board.as_dict(),
        "errors": sum(e.errors for e in game.entries),
        "games": games,
    }


@play.command("spc")
@role_options
@_spc_options
@_graph_option_flags
@click.option(
    "--json", "as_json", is_flag=True, help="Print the iterations, scoreboard and games as JSON."
)
def spc(as_json: bool, out_dir: Path | None, **options: Any) -> None:
    """Self-Play Critic: a sneaky generator tampers with a solution step, a critic judges it.

    Each round solves a problem (answers known: the simulator's world, or --data), lets the
    sneaky generator rewrite a step, validates the rewrite with solver rollouts, has the critic
    judge it (and the untouched step as a control) and pays +1/-1 by the game's rules.

    With --iterations K the players learn between iterations: simulated players by the
    simulated learning rule (--learning-rate), real ones through --train-hook COMMAND, which
    gets the iteration's records ($SPARRING_RECORDS) and writes the next models as JSON to
    $SPARRING_MODELS_OUT. Runs on the SIMULATOR unless models are bound with
    --actor/--sneaky/--critic or --roles.
    """
    iterations = options.get("iterations")
    screen = _Screen(live=not as_json and console.is_terminal)
    hook = shell_hook(options["train_hook"]) if options.get("train_hook") else None
    with _folder(out_dir) as folder:
        game = _open_or_create(folder, options, iterations, hook=hook, on_game=screen.on_game)
        screen.iterations = game.plan.iterations
        _banner(game.entries)
        _warn_no_learning(game)
        try:
            asyncio.run(_run_game(game, screen))
        except HookFailed as err:
            _report_hook(err)
            raise SystemExit(err.exit_code) from None
        except GameStopped as err:
            click.echo(f"Error: {err}", err=True)
            raise SystemExit(err.exit_code) from None
        _finish(game, screen, as_json, out_dir)


def _finish(game: SpcSelfPlay, screen: _Screen, as_json: bool, out_dir: Path | None) -> None:
    if as_json:
        click.echo(json.dumps(_json_out(game, out_dir), indent=2))
    else:
        if not screen.live and screen.last is not None:
            console.print(screen.last)
        if len(game.entries) > 1:
            console.print(iterations_table(game.entries))
        if out_dir is not None:
            console.print(f"game folder: {out_dir}  (sparring view {out_dir}/iter-0)")
    last = game.entries[-1]
    if last.errors and not (last.scoreboard or {}).get("items"):
        raise SystemExit(1)  # every game of the last iteration failed


# --- the deceptive-feedback game ---------------------------------------------------------


def _game_items(
    data: Path | None, fields: dict[str, str], count: int, seed: int
) -> list[dict[str, Any]]:
    """Problems with gold answers: the data file's rows (checked), or world problems."""
    if data is None:
        from sparring.sim import SimWorld

        world = SimWorld(seed)
        return [
            {"prompt": t.question, "answer": t.answer_text, "item_id": f"game-{i}"}
            for i, t in ((i, world.problem(i)) for i in range(count))
        ]
    from sparring.graphs.games import check_game_data
    from sparring.run import FieldMap, InputItem, read_items

    try:
        check_game_data(data, fields)
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    fmap = FieldMap(**{**fields, "answer_required": True})  # type: ignore[arg-type]
    rows = [e for e in read_items(data, fmap, strict=True) if isinstance(e, InputItem)]
    return [{**r.input, "item_id": r.item_id} for r in rows[:count]]


def deception_table(boards: dict[str, Any], done: int, total: int) -> Table:
    """Flip rate (right answers switched to wrong) after each round, per defence."""
    table = Table(
        title=f"Deceptive feedback: games {done}/{total}; share of right answers switched to"
        " wrong after each round",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("defence")
    rounds = next(iter(boards.values())).rounds if boards else 0
    for r in range(rounds):
        table.add_column(f"round {r + 1}", justify="right")
    for name in ("fixed (last)", "started right", "withheld"):
        table.add_column(name, justify="right")
    for defence, board in boards.items():
        fix = board.fix_rate[-1] if board.fix_rate else None
        table.add_row(
            defence,
            *(_pct(x) for x in board.flip_rate),
            _pct(fix),
            f"{board.started_right}/{board.games}",
            str(board.withheld),
        )
    return table


async def _play_deception(
    roles: Roles,
    items: list[dict[str, Any]],
    settings: dict[str, Any],
    concurrency: int,
    on_done: Callable[[str, DeceptionOutcome | None], None],
) -> None:
    from sparring.errors import ModelCallError

    defences = settings.pop("defences")
    graphs = {d: create_deceptive_feedback_graph(roles, defence=d, **settings) for d in defences}
    slots = asyncio.Semaphore(concurrency)

    async def one(defence: str, item: dict[str, Any]) -> None:
        async with slots:
            try:
                state = await graphs[defence].ainvoke(item, {"recursion_limit": 200})
            except ModelCallError as err:
                err_console.print(f"[red]{defence} {item['item_id']}: {err}[/]")
                on_done(defence, None)
                return
        on_done(defence, state["outcome"])

    await asyncio.gather(*(one(d, it) for d in defences for it in items))


class _DeceptionScreen:
    def __init__(self, defences: list[str], rounds: int, total: int, live: bool) -> None:
        self.boards = {d: DeceptionScoreboard.of([], rounds) for d in defences}
        self.outcomes: dict[str, list[DeceptionOutcome]] = {d: [] for d in defences}
        self.total, self.done, self.errors = total, 0, 0
        self.live = live
        self.view: Live | None = None

    def table(self) -> Table:
        return deception_table(self.boards, self.done, self.total)

    def on_done(self, defence: str, outcome: DeceptionOutcome | None) -> None:
        self.done += 1
        if outcome is None:
            self.errors += 1
        else:
            self.boards[defence].add(outcome)
            self.outcomes[defence].append(outcome)
        if self.view is not None:
            self.view.update(self.table(), refresh=True)


@play.command("deceptive")
@role_options
@click.option(
    "--games",
    type=click.IntRange(1, 100_000),
    default=60,
    show_default=True,
    help="Problems to play (world problems, or the first rows of --data).",
)
@click.option(
    "--feedback-rounds",
    type=click.IntRange(1, 20),
    default=3,
    show_default=True,
    help="Rounds of feedback per game.",
)
@click.option(
    "--intent",
    type=click.Choice(INTENTS),
    default="malicious",
    show_default=True,
    help="What the critic wants.",
)
@click.option(
    "--knowledge",
    type=click.Choice(KNOWLEDGE),
    default="evidence",
    show_default=True,
    help="Whether the critic backs its claims with evidence.",
)
@click.option(
    "--defence",
    type=click.Choice([*DEFENCES, "all"]),
    default="all",
    show_default=True,
    help="The defence to measure ('all': each, on the same games).",
)
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Problems with gold answers: .jsonl, .csv or .parquet.",
)
@click.option("--prompt-field", default="prompt", show_default=True)
@click.option("--answer-field", default="answer", show_default=True)
@click.option("--id-field", default="id", show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the rates and every game as JSON.")
def deceptive(
    games: int,
    feedback_rounds: int,
    intent: str,
    knowledge: str,
    defence: str,
    data: Path | None,
    concurrency: int,
    as_json: bool,
    **options: Any,
) -> None:
    """Deceptive feedback: does the actor give up a right answer when a critic argues against it?

    The actor answers; a critic with a set intent (constructive, hypercritical, malicious) and
    knowledge (parametric, or backed by evidence) reviews the answer over several rounds, and
    the actor answers each review. Reported: the share of right answers switched to wrong
    after each round, without a defence and with each defence (the actor re-verifies; a second
    judge withholds unsound feedback). Runs on the SIMULATOR unless models are bound with
    --actor/--critic/--judge or --roles.
    """
    fields = {k: options.pop(f"{k}_field") for k in ("prompt", "answer", "id")}
    roles = roles_from_options(options, gateway=Gateway())
    seed = int(options.get("seed") or 0)
    banner = simulator_banner(roles, ("actor", "critic", "judge"))
    if banner:
        err_console.print(banner)
    items = _game_items(data, fields, games, seed)
    from sparring.run import preflight

    asyncio.run(preflight(roles, ("actor", "critic", "judge")))
    defences: list[str] = list(DEFENCES) if defence == "all" else [defence]
    settings = {"rounds": feedback_rounds, "intent": intent, "knowledge": knowledge}
    screen = _DeceptionScreen(
        defences,
        feedback_rounds,
        len(items) * len(defences),
        live=not as_json and console.is_terminal,
    )
    run = _play_deception(
        roles, items, {**settings, "defences": defences}, concurrency, screen.on_done
    )
    if screen.live:
        with Live(screen.table(), console=console, refresh_per_second=8) as view:
            screen.view = view
            asyncio.run(run)
    else:
        asyncio.run(run)
    if as_json:
        simulated = [r for r in ("actor", "critic", "judge") if roles.uses_simulator(r)]
        out = {
            "game": "deceptive",
            "simulator": simulated,
            "seed": seed,
            "settings": settings,
            "defences": {d: b.as_dict() for d, b in screen.boards.items()},
            "errors": screen.errors,
            "games": screen.outcomes,
        }
        click.echo(json.dumps(out, indent=2))
    elif not screen.live:
        console.print(screen.table())
    if screen.errors == screen.total:
        raise SystemExit(1)


# --- the prover-verifier game ------------------------------------------------------------


def pv_table(rounds: list[PvRound], total: int) -> Table:
    """One row per round: the verifier's accuracy on sneaky and helpful solutions."""
    table = Table(title=f"Prover-verifier game: round {len(rounds)}/{total}", box=box.SIMPLE_HEAD)
    for name in ("round", "learns after", "verifier vs sneaky", "sneaky success", "helpful ok"):
        table.add_column(name, justify="right")
    table.add_column("sim subtle recall / subtlety", justify="right")
    for r in rounds:
        skills = r.skills or {}
        sim = (
            f"{(skills.get('critic') or {}).get('subtle_recall', float('nan')):.2f} / "
            f"{(skills.get('sneaky') or {}).get('subtlety', float('nan')):.2f}"
            if skills
            else "-"
        )
        table.add_row(
            str(r.round),
            r.learner,
            _pct(r.verifier_sneaky_accuracy),
            _pct(r.sneaky_success),
            _pct(r.scoreboard.get("verifier_helpful_accuracy")),
            sim,
        )
    return table


@play.command("prover-verifier")
@role_options
@click.option(
    "--rounds",
    type=click.IntRange(1, 100),
    default=4,
    show_default=True,
    help="Rounds; the learner alternates: verifier, sneaky prover, verifier, ...",
)
@click.option(
    "--games",
    type=click.IntRange(1, 100_000),
    default=40,
    show_default=True,
    help="Games per round (world problems, or the first rows of --data).",
)
@click.option(
    "--learning-rate",
    type=click.FloatRange(0.0, 100.0),
    default=1.5,
    show_default=True,
    help="Simulated learning rate of each round's learner.",
)
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Problems with gold answers: .jsonl, .csv or .parquet.",
)
@click.option("--prompt-field", default="prompt", show_default=True)
@click.option("--answer-field", default="answer", show_default=True)
@click.option("--id-field", default="id", show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option(
    "--train-hook",
    metavar="COMMAND",
    help="Shell command that trains the players between rounds (real models; needs --out).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for each round's RL records (round-R/{actor,sneaky,critic}.jsonl).",
)
@click.option("--json", "as_json", is_flag=True, help="Print every round as JSON.")
def prover_verifier(
    rounds: int,
    games: int,
    learning_rate: float,
    data: Path | None,
    concurrency: int,
    train_hook: str | None,
    out_dir: Path | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Prover-verifier game: a helpful and a sneaky prover write solutions, a verifier judges.

    Each round the helpful prover (--actor) and the sneaky prover (--sneaky) solve the same
    problems, the verifier (--critic) critiques both solutions step by step, and +1/-1 rewards
    are paid. Between rounds the learner alternates (verifier, then sneaky prover); simulated
    players learn by the simulated learning rule. Reported per round: the verifier's accuracy
    on wrong sneaky solutions and the sneaky prover's success. Runs on the SIMULATOR unless
    models are bound.
    """
    fields = {k: options.pop(f"{k}_field") for k in ("prompt", "answer", "id")}
    roles = _sim_roles(roles_from_options(options, gateway=Gateway()), int(options["seed"]))
    banner = simulator_banner(roles, _ROLES)
    if banner:
        err_console.print(banner)
    seed = int(options.get("seed") or 0)
    fixed = _game_items(data, fields, games, seed) if data is not None else None

    def items(r: int) -> list[dict[str, Any]]:
        if fixed is not None:
            return fixed
        return [
            {**it, "item_id": f"round{r}-{it['item_id']}"}
            for it in _game_items(None, fields, games * (r + 1), seed)[games * r :]
        ]

    done: list[PvRound] = []
    live = not as_json and console.is_terminal
    view: list[Live] = []

    def on_round(result: PvRound) -> None:
        done.append(result)
        if view:
            view[0].update(pv_table(done, rounds), refresh=True)

    from sparring.run import preflight

    asyncio.run(preflight(roles, _ROLES))
    if train_hook and out_dir is None:
        raise click.UsageError("--train-hook needs --out (the folder the records go to)")
    game = play_prover_verifier(
        roles, items, rounds=rounds, learning_rate=learning_rate, concurrency=concurrency,
        on_round=on_round, hook=shell_hook(train_hook) if train_hook else None,
        records_dir=out_dir,
    )  # fmt: skip
    try:
        if live:
            with Live(pv_table(done, rounds), console=console, refresh_per_second=4) as shown:
                view.append(shown)
                asyncio.run(game)
        else:
            asyncio.run(game)
    except HookFailed as err:
        _report_hook(err, resumable=False)
        raise SystemExit(err.exit_code) from None
    if as_json:
        simulated = [r for r in _ROLES if roles.uses_simulator(r)]
        out = {
            "game": "prover-verifier",
            "simulator": simulated,
            "seed": seed,
            "rounds": [r.model_dump(mode="json") for r in done],
        }
        click.echo(json.dumps(out, indent=2))
    elif not live:
        console.print(pv_table(done, rounds))
