"""``sparring play deceptive``: the deceptive-feedback game, one run per defence (``--out``)."""

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
from sparring.graphs.games.deceptive import (
    DEFENCES,
    INTENTS,
    KNOWLEDGE,
    DeceptionOutcome,
    DeceptionScoreboard,
    Defence,
)
from sparring.iterate import ConditionResult, play_deceptive_runs
from sparring.models import Gateway

__all__ = ["deception_table", "deceptive"]

_DECEPTIVE_ROLES = ("actor", "critic", "judge")


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
            *(pct(x) for x in board.flip_rate),
            pct(fix),
            f"{board.started_right}/{board.games}",
            str(board.withheld),
        )
    return table


class _DeceptionScreen:
    """The deceptive game's live table: games done per defence, boards as defences finish."""

    def __init__(self, defences: list[str], rounds: int, per_defence: int, live: bool) -> None:
        self.rounds = rounds
        self.boards = {d: DeceptionScoreboard.of([], rounds) for d in defences}
        self.outcomes: dict[str, list[DeceptionOutcome]] = {d: [] for d in defences}
        self.played = dict.fromkeys(defences, 0)
        self.total, self.errors = per_defence * len(defences), 0
        self.live = live
        self.view: Live | None = None

    @property
    def done(self) -> int:
        """Games finished so far (played now or before a resume)."""
        return sum(self.played.values())

    def table(self) -> Table:
        return deception_table(self.boards, self.done, self.total)

    def _refresh(self) -> None:
        if self.view is not None:
            self.view.update(self.table(), refresh=True)

    def on_item(self, defence: str, row: Any, status: str) -> None:
        self.played[defence] += 1
        self._refresh()

    def on_defence(self, defence: str, result: ConditionResult) -> None:
        self.outcomes[defence] = result.outcomes
        self.boards[defence] = DeceptionScoreboard.of(result.outcomes, self.rounds)
        self.played[defence] = len(result.outputs) + result.failed
        self.errors += result.failed
        self._refresh()


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
@data_options
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Game folder (one run per defence); playing it again resumes it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rates and every game as JSON.")
def deceptive(
    games: int,
    feedback_rounds: int,
    intent: str,
    knowledge: str,
    defence: str,
    data: Path | None,
    concurrency: int,
    out_dir: Path | None,
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

    Each defence is a run directory under --out: playing the same --out again resumes the game
    without replaying finished games, and 'sparring view OUT/DEFENCE' shows the moves.
    """
    fields = {k: options.pop(f"{k}_field") for k in ("prompt", "answer", "id")}
    seed = int(options.get("seed") or 0)
    roles = sim_roles(roles_from_options(options, gateway=Gateway()), seed, _DECEPTIVE_ROLES)
    banner = simulator_banner(roles, _DECEPTIVE_ROLES)
    if banner:
        err_console.print(banner)
    items = game_items(data, fields, games, seed)
    from sparring.run import preflight

    asyncio.run(preflight(roles, _DECEPTIVE_ROLES))
    defences: list[Defence] = list(DEFENCES) if defence == "all" else [defence]  # type: ignore[list-item]
    settings = {"rounds": feedback_rounds, "intent": intent, "knowledge": knowledge}
    live = not as_json and console.is_terminal
    screen = _DeceptionScreen(list(defences), feedback_rounds, len(items), live=live)
    with game_folder(out_dir, "deceptive") as folder:
        note_resume(folder)
        game = play_deceptive_runs(
            folder, roles, items, defences=defences, settings=settings, seed=seed,
            concurrency=concurrency, on_item=screen.on_item, on_defence=screen.on_defence,
            pinned={"data": str(data) if data else None},
        )  # fmt: skip
        run_live(game, screen.table(), screen, on=console, refresh=8)
    if as_json:
        simulated = [r for r in _DECEPTIVE_ROLES if roles.uses_simulator(r)]
        out = {
            "game": "deceptive",
            "simulator": simulated,
            "seed": seed,
            "settings": settings,
            "game_dir": str(out_dir) if out_dir else None,
            "defences": {d: b.as_dict() for d, b in screen.boards.items()},
            "errors": screen.errors,
            "games": screen.outcomes,
        }
        click.echo(json.dumps(out, indent=2))
    elif not screen.live:
        console.print(screen.table())
    if out_dir is not None and not as_json:
        console.print(f"game folder: {out_dir}  (sparring view {out_dir}/{defences[0]})")
