"""``sparring play spc``: the Self-Play Critic game over iterations, resumable (``--out``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.live import Live
from rich.table import Table

from sparring.cli._console import console, err_console, simulator_banner
from sparring.cli._play._common import (
    ROLES,
    data_options,
    game_folder,
    play,
    report_hook,
    sim_roles,
)
from sparring.cli._play._spc_tables import iterations_table, scoreboard_table
from sparring.cli._roles import role_options, roles_from_options
from sparring.errors import ConfigError, OptionError
from sparring.graphs.spc_game import GameOutcome, SpcScoreboard
from sparring.iterate import (
    GameStopped,
    HookFailed,
    SpcIteration,
    SpcPlan,
    SpcSelfPlay,
    shell_hook,
)
from sparring.models import Gateway, Model, Roles

__all__ = ["spc"]

_GRAPH_OPTIONS = (
    "rollouts",
    "critic_samples",
    "control_rate",
    "accept_original_min",
    "accept_tampered_max",
)


def _spc_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
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
        data_options,
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


def _open_or_create(
    folder: Path, options: dict[str, Any], iterations: int | None, **kw: Any
) -> SpcSelfPlay:
    from sparring.run import preflight

    if SpcSelfPlay.exists(folder):
        game = SpcSelfPlay.open(folder, **kw)
        asyncio.run(preflight(game.roles_of(game.entries[-1]), ROLES))
        if iterations is not None:
            game.extend(iterations)
        err_console.print(
            f"resuming the game in {folder} (its saved settings apply; "
            f"{len(game.entries)} of {game.plan.iterations} iterations started)"
        )
        return game
    plan = _plan(options)
    roles = sim_roles(roles_from_options(options, gateway=Gateway()), plan.seed)
    asyncio.run(preflight(roles, ROLES))  # before anything is written: keys, servers
    try:
        return SpcSelfPlay.create(folder, roles, plan, **kw)
    except OptionError as err:
        raise click.UsageError(str(err)) from None
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


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
    banner = simulator_banner(roles, ROLES)
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
    with game_folder(out_dir) as folder:
        game = _open_or_create(folder, options, iterations, hook=hook, on_game=screen.on_game)
        screen.iterations = game.plan.iterations
        _banner(game.entries)
        _warn_no_learning(game)
        try:
            asyncio.run(_run_game(game, screen))
        except HookFailed as err:
            report_hook(err)
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
