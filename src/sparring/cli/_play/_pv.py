"""``sparring play prover-verifier``: the prover-verifier game, one run per round (``--out``)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.live import Live
from rich.table import Table

from sparring.cli._console import console, err_console, simulator_banner
from sparring.cli._play._common import (
    ROLES,
    data_options,
    game_folder,
    game_items,
    note_resume,
    pct,
    play,
    run_live,
    sim_roles,
)
from sparring.cli._roles import role_options, roles_from_options
from sparring.iterate import PvRound, play_prover_verifier_runs, shell_hook
from sparring.models import Gateway

__all__ = ["prover_verifier", "pv_table"]


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
            pct(r.verifier_sneaky_accuracy),
            pct(r.sneaky_success),
            pct(r.scoreboard.get("verifier_helpful_accuracy")),
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
@data_options
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
    help="Game folder (one run per round, its RL records in round-R/records/); playing it"
    " again resumes it.",
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

    Each round is a run directory under --out (round-R): playing the same --out again resumes
    the game without replaying finished games, and 'sparring view OUT/round-R' shows the moves.
    """
    fields = {k: options.pop(f"{k}_field") for k in ("prompt", "answer", "id")}
    roles = sim_roles(roles_from_options(options, gateway=Gateway()), int(options["seed"]))
    banner = simulator_banner(roles, ROLES)
    if banner:
        err_console.print(banner)
    seed = int(options.get("seed") or 0)
    fixed = game_items(data, fields, games, seed) if data is not None else None

    def items(r: int) -> list[dict[str, Any]]:
        if fixed is not None:
            return fixed
        return [
            {**it, "item_id": f"round{r}-{it['item_id']}"}
            for it in game_items(None, fields, games * (r + 1), seed)[games * r :]
        ]

    screen = _PvScreen(rounds, live=not as_json and console.is_terminal)
    from sparring.run import preflight

    asyncio.run(preflight(roles, ROLES))
    if train_hook and out_dir is None:
        raise click.UsageError("--train-hook needs --out (the folder the records go to)")
    hook = shell_hook(train_hook) if train_hook else None
    with game_folder(out_dir, "pv") as folder:
        note_resume(folder)
        game = play_prover_verifier_runs(
            folder, roles, items, rounds=rounds, learning_rate=learning_rate, seed=seed,
            concurrency=concurrency, hook=hook, on_round=screen.on_round,
            pinned={"train_hook": train_hook, "data": str(data) if data else None},
        )  # fmt: skip
        run_live(game, pv_table([], rounds), screen, on=console, refresh=4)
    if as_json:
        simulated = [r for r in ROLES if roles.uses_simulator(r)]
        out = {
            "game": "prover-verifier",
            "simulator": simulated,
            "seed": seed,
            "game_dir": str(out_dir) if out_dir else None,
            "rounds": [r.model_dump(mode="json") for r in screen.done],
        }
        click.echo(json.dumps(out, indent=2))
    elif not screen.live:
        console.print(pv_table(screen.done, rounds))
    if out_dir is not None and not as_json:
        console.print(f"game folder: {out_dir}  (sparring view {out_dir}/round-0)")


class _PvScreen:
    """The prover-verifier game's live table, a row per round played."""

    def __init__(self, rounds: int, live: bool) -> None:
        self.rounds, self.live = rounds, live
        self.done: list[PvRound] = []
        self.view: Live | None = None

    def on_round(self, result: PvRound) -> None:
        self.done.append(result)
        if self.view is not None:
            self.view.update(pv_table(self.done, self.rounds), refresh=True)
