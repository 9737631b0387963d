"""The SPC game's tables: the scoreboard and one row per iteration."""

from __future__ import annotations

from rich import box
from rich.table import Table

from sparring.cli._play._common import pct, share
from sparring.graphs.spc_game import SpcScoreboard
from sparring.iterate import SpcIteration

__all__ = ["iterations_table", "scoreboard_table"]


def scoreboard_table(
    board: SpcScoreboard, done: int, total: int, errors: int = 0, title: str | None = None
) -> Table:
    """The scoreboard as a rich table (rounds done, accuracies, rates, rewards)."""
    table = Table(title=title or f"SPC game: round {done}/{total}", box=box.SIMPLE_HEAD)
    table.add_column("measure")
    table.add_column("value", justify="right")
    caught, games = board.tampered_caught, board.tampered_games
    rows = [
        ("critic accuracy on tampered steps", share(caught, games)),
        ("critic accuracy on control steps", share(board.control_correct, board.control_games)),
        ("sneaky success rate", share(games - caught, games)),
        ("validation rejection rate", share(board.rejected, board.validated)),
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
            pct(e.critic_accuracy),
            pct(e.control_accuracy),
            pct(e.sneaky_success),
            _skill(e, "critic", "recall"),
            _skill(e, "critic", "subtle_recall"),
            _skill(e, "sneaky", "subtlety"),
            e.learning or ("-" if e.status == "played" else e.status),
        )
    return table
