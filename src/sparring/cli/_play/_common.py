"""Helpers shared by the games of ``sparring play``: the group, folders, items, live tables."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

from sparring.cli._console import err_console
from sparring.errors import ConfigError, OptionError
from sparring.iterate import GameStopped, HookFailed
from sparring.models import Roles

__all__ = [
    "ROLES",
    "data_options",
    "game_folder",
    "game_items",
    "note_resume",
    "pct",
    "play",
    "report_hook",
    "run_live",
    "share",
    "sim_roles",
]

ROLES = ("actor", "sneaky", "critic")
_HOOK_TAIL_LINES = 20


def data_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--data FILE`` and the field names that read problems with gold answers from it."""
    for option in reversed(
        (
            click.option(
                "--data",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="Problems with gold answers: .jsonl, .csv or .parquet.",
            ),
            click.option("--prompt-field", default="prompt", show_default=True),
            click.option("--answer-field", default="answer", show_default=True),
            click.option("--id-field", default="id", show_default=True),
        )
    ):
        func = option(func)
    return func


def share(hits: int, total: int) -> str:
    """``hits/total  (share)``, or ``-`` when there is nothing to count."""
    return f"{hits}/{total}  ({hits / total:.0%})" if total else "-"


def pct(value: float | None) -> str:
    """A share as a percentage, or ``-``."""
    return "-" if value is None else f"{value:.1%}"


@click.group()
def play() -> None:
    """Play a self-play game and watch its scoreboard (spc, deceptive, prover-verifier)."""


def sim_roles(roles: Roles, seed: int, names: tuple[str, ...] = ROLES) -> Roles:
    """Bind every player explicitly (a simulated one's skills then travel with its settings)."""
    bound = {}
    for role in names:
        model = roles.resolve(role)
        bound[role] = model.with_options(seed=seed) if model.is_simulated else model
    return roles.bind(**bound)


@contextmanager
def game_folder(out_dir: Path | None, game: str = "spc") -> Iterator[Path]:
    """``out_dir``, or a temporary game folder removed afterwards."""
    if out_dir is not None:
        yield out_dir
        return
    with tempfile.TemporaryDirectory(prefix=f"sparring-{game}-") as tmp:
        yield Path(tmp) / "game"


def report_hook(err: HookFailed, *, resumable: bool = True) -> None:
    """The hook's failure as one line and the tail of its output."""
    click.echo(f"Error: {err}", err=True)
    tail = err.output.strip().splitlines()[-_HOOK_TAIL_LINES:]
    for line in tail[:-1]:
        click.echo(f"  | {line}", err=True)
    if resumable:
        click.echo("  (what was played is kept; play the same --out again to resume)", err=True)


def game_items(
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
    from sparring.iterate import check_game_data
    from sparring.run import FieldMap, InputItem, read_items

    try:
        check_game_data(data, fields)
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    fmap = FieldMap(**{**fields, "answer_required": True})  # type: ignore[arg-type]
    rows = [e for e in read_items(data, fmap, strict=True) if isinstance(e, InputItem)]
    return [{**r.input, "item_id": r.item_id} for r in rows[:count]]


def note_resume(folder: Path) -> None:
    """Say so when a game folder already holds played conditions (they are resumed)."""
    if folder.is_dir() and any(folder.glob("*/run.sqlite")):
        err_console.print(
            f"resuming the game in {folder} (its saved settings apply; "
            "finished games are not played again)"
        )


def run_live(
    game: Coroutine[Any, Any, Any], first: Table, screen: Any, *, on: Console, refresh: int
) -> Any:
    """Run a game, on a live table on ``on`` when ``screen.live``; a stop is one clear line."""
    try:
        if screen.live:
            with Live(first, console=on, refresh_per_second=refresh) as view:
                screen.view = view
                return asyncio.run(game)
        return asyncio.run(game)
    except HookFailed as err:
        report_hook(err)
        raise SystemExit(err.exit_code) from None
    except GameStopped as err:
        click.echo(f"Error: {err}", err=True)
        raise SystemExit(err.exit_code) from None
    except (ConfigError, OptionError) as err:
        click.echo(f"Error: {err}", err=True)
        raise SystemExit(2) from None
