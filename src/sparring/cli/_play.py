"""``sparring play spc``: Self-Play Critic games on world problems, with a live scoreboard."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import click
from rich import box
from rich.live import Live
from rich.table import Table

from sparring.cli._console import console, err_console, simulator_banner
from sparring.cli._roles import role_options, roles_from_options
from sparring.errors import ConfigError, ModelCallError
from sparring.graphs import REGISTRY
from sparring.graphs.spc_game import GameOutcome, SpcScoreboard, create_spc_game_graph
from sparring.models import Gateway, Roles
from sparring.sim import SimWorld

__all__ = ["play", "scoreboard_table"]

_ROLES = ("actor", "sneaky", "critic")


def _share(hits: int, total: int) -> str:
    return f"{hits}/{total}  ({hits / total:.0%})" if total else "-"


def scoreboard_table(board: SpcScoreboard, done: int, total: int, errors: int = 0) -> Table:
    """The scoreboard as a rich table (rounds done, accuracies, rates, rewards)."""
    table = Table(title=f"SPC game: round {done}/{total}", box=box.SIMPLE_HEAD)
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


async def _play(
    graph: Any,
    world: SimWorld,
    rounds: int,
    concurrency: int,
    on_done: Callable[[int, GameOutcome | None], None],
) -> None:
    slots = asyncio.Semaphore(concurrency)
    config = {"recursion_limit": REGISTRY["spc-game"].recursion_limit}

    async def one(i: int) -> None:
        task = world.problem(i)
        item = {"prompt": task.question, "answer": task.answer_text, "item_id": f"round-{i}"}
        async with slots:
            try:
                state = await graph.ainvoke(item, config)
            except ModelCallError as err:
                err_console.print(f"[red]round {i}: {err}[/]")
                on_done(i, None)
                return
        on_done(i, state["outcome"])

    await asyncio.gather(*(one(i) for i in range(rounds)))


def _graph(roles: Roles, options: dict[str, Any], seed: int) -> Any:
    try:
        return create_spc_game_graph(roles, seed=seed, **options)
    except ConfigError as err:
        raise click.UsageError(str(err)) from None


@click.group()
def play() -> None:
    """Play a self-play game and watch its scoreboard."""


@play.command("spc")
@role_options
@click.option(
    "--rounds",
    type=click.IntRange(1, 100_000),
    default=20,
    show_default=True,
    help="Games to play, one world problem each.",
)
@click.option(
    "--rollouts",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Solver rollouts per branch when validating a tampered step.",
)
@click.option(
    "--critic-samples",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Critic verdicts per judged step.",
)
@click.option(
    "--control-rate",
    type=click.FloatRange(0.0, 1.0),
    default=1.0,
    show_default=True,
    help="Probability of also judging the untouched step.",
)
@click.option(
    "--accept-original-min",
    type=click.FloatRange(0.0, 1.0),
    default=0.5,
    show_default=True,
    help="Least rollout success from the original step.",
)
@click.option(
    "--accept-tampered-max",
    type=click.FloatRange(0.0, 1.0),
    default=0.1,
    show_default=True,
    help="Greatest rollout success from the tampered step.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="Games in flight at once.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the scoreboard and every game's outcome as JSON."
)
def spc(rounds: int, concurrency: int, as_json: bool, **options: Any) -> None:
    """Self-Play Critic: a sneaky generator tampers with a solution step, a critic judges it.

    Each round solves a world problem (answers known), lets the sneaky generator rewrite a
    step, validates the rewrite with solver rollouts, has the critic judge it (and the
    untouched step as a control) and pays +1/-1 by the game's rules. Runs on the SIMULATOR
    unless models are bound with --actor/--sneaky/--critic or --roles.
    """
    graph_options = {
        k: options.pop(k)
        for k in (
            "rollouts",
            "critic_samples",
            "control_rate",
            "accept_original_min",
            "accept_tampered_max",
        )
    }
    roles = roles_from_options(options, gateway=Gateway())
    seed = int(options.get("seed") or 0)
    banner = simulator_banner(roles, _ROLES)
    if banner:
        err_console.print(banner)
    graph = _graph(roles, graph_options, seed)
    board = SpcScoreboard()
    outcomes: dict[int, GameOutcome] = {}
    errors = [0]
    live = not as_json and console.is_terminal

    def table() -> Table:
        return scoreboard_table(board, len(outcomes) + errors[0], rounds, errors[0])

    def on_done(i: int, outcome: GameOutcome | None, view: Live | None = None) -> None:
        if outcome is None:
            errors[0] += 1
        else:
            outcomes[i] = outcome
            board.add(outcome)
        if view is not None:
            view.update(table(), refresh=True)

    if live:
        with Live(table(), console=console, refresh_per_second=8) as view:
            asyncio.run(
                _play(graph, SimWorld(seed), rounds, concurrency, lambda i, o: on_done(i, o, view))
            )
    else:
        asyncio.run(_play(graph, SimWorld(seed), rounds, concurrency, on_done))
    if as_json:
        games = [outcomes[i] for i in sorted(outcomes)]
        click.echo(
            json.dumps(
                {"scoreboard": board.as_dict(), "errors": errors[0], "seed": seed, "games": games},
                indent=2,
            )
        )
    elif not live:
        console.print(table())
    if errors[0] == rounds:
        raise SystemExit(1)
