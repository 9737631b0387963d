"""``sparring view``: a run's overview, one item's trace, lists of items worth a look."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import click
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from sparring.cli._console import console
from sparring.errors import ConfigError
from sparring.run import Run
from sparring.view import ItemRef, RunQuery, render_item, render_overview

__all__ = ["view"]

_FOLLOW_EVERY_S = 1.0


def _list(title: str, rows: list[tuple[ItemRef, str]]) -> RenderableType:
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("id", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("why", overflow="fold")
    for ref, why in rows:
        table.add_row(f"#{ref.index + 1}", ref.item_id, ref.status, why)
    if not rows:
        return Text(f"{title}: none", style="dim")
    return table


def _lists(
    query: RunQuery, failed: bool, unscored: bool, refused: bool, listed: bool
) -> list[RenderableType]:
    out: list[RenderableType] = []
    if listed:
        out.append(_list("items", [(r, r.error or "") for r in query.items(limit=200)]))
    if failed:
        rows = query.items("WHERE status = 'failed'", limit=200)
        out.append(_list("failed items", [(r, r.error or "") for r in rows]))
    if unscored:
        rows = query.items("WHERE unscored = 1", limit=200)
        out.append(_list("all-unscored items", [(r, "every verdict unscored") for r in rows]))
    if refused:
        pairs = query.refused_items(limit=200)
        rows_r = [(r, ", ".join(f"{v} {k}" for k, v in sorted(c.items()))) for r, c in pairs]
        out.append(_list("items with refusals", rows_r))
    return out


def _overview(run_dir: Path, query: RunQuery) -> RenderableType:
    handle = Run.open(run_dir)
    try:
        parts: list[RenderableType] = [render_overview(query, handle.summary())]
        for error in handle.store.input_errors()[:20]:
            field = f" field {error['field']!r}" if error["field"] else ""
            where = f"{error['file']}:{error['line']}{field}"
            parts.append(Text(f"input error {where}: {error['message']}", style="yellow"))
        return Group(*parts)
    finally:
        handle.close()


def _follow(run_dir: Path, query: RunQuery) -> None:
    """Redraw the overview until the run stops being ``running`` (another process runs it)."""
    from rich.live import Live

    with Live(_overview(run_dir, query), console=console, refresh_per_second=2) as live:
        while query.status()[0] == "running":
            time.sleep(_FOLLOW_EVERY_S)
            live.update(_overview(run_dir, query))
        live.update(_overview(run_dir, query))


def _save(renderable: RenderableType, html: Path | None, svg: Path | None) -> None:
    """Write what the terminal shows as HTML and/or SVG (rich's recorded console)."""
    recorder = Console(record=True, width=max(console.width, 100), file=io.StringIO())
    recorder.print(renderable)
    if html is not None:
        recorder.save_html(str(html), clear=False)
        console.print(f"wrote {html}")
    if svg is not None:
        recorder.save_svg(str(svg), title="sparring view", clear=False)
        console.print(f"wrote {svg}")


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--item", "item_ref", metavar="ID", help="One item's trace: its id, or '#N'.")
@click.option("--full", is_flag=True, help="With --item: whole texts instead of shortened.")
@click.option("--list", "listed", is_flag=True, help="List the items with their ids.")
@click.option("--failed", is_flag=True, help="List failed items and their causes.")
@click.option("--unscored", is_flag=True, help="List items whose verdicts were all unscored.")
@click.option("--refused", is_flag=True, help="List items with refusals, and their reasons.")
@click.option("--follow", is_flag=True, help="Redraw until the run (in another process) ends.")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), help="Also save as HTML.")
@click.option("--svg", type=click.Path(dir_okay=False, path_type=Path), help="Also save as SVG.")
@click.option(
    "--items",
    "show_items",
    type=click.IntRange(0),
    default=0,
    help="Also print the raw output (final state) of the first N finished items, as JSON.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def view(
    run_dir: Path,
    item_ref: str | None,
    full: bool,
    listed: bool,
    failed: bool,
    unscored: bool,
    refused: bool,
    follow: bool,
    html: Path | None,
    svg: Path | None,
    show_items: int,
    as_json: bool,
) -> None:
    """Show RUN_DIR: its overview, or one item's trace with --item.

    The overview: summary, the graph with visits and time per node, rounds, labelled health
    monitors. An item's trace: every node visit and model call by round, verdicts (with the
    order and whether swapped orders agreed), what changed between rounds, its records and
    refusals. Works while another process is running the run (--follow to watch it).
    """
    from sparring.iterate import MANIFEST as BSTAR_MANIFEST
    from sparring.iterate import render_bstar

    if (run_dir / BSTAR_MANIFEST).exists():  # an iterated run: its iterations' monitors
        try:
            console.print(render_bstar(run_dir))
        except ConfigError as err:
            raise click.ClickException(str(err)) from None
        return
    try:
        query = RunQuery(run_dir)
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    with query:
        if as_json:
            handle = Run.open(run_dir)
            click.echo(handle.summary().model_dump_json(indent=2))
            handle.close()
            return
        if follow:
            _follow(run_dir, query)
            return
        try:
            shown = (
                render_item(query, query.find(item_ref), full=full)
                if item_ref is not None
                else _overview(run_dir, query)
            )
        except ConfigError as err:
            raise click.ClickException(str(err)) from None
        parts = [shown, *_lists(query, failed, unscored, refused, listed)]
        everything = Group(*parts)
        console.print(everything)
        if html is not None or svg is not None:
            _save(everything, html, svg)
        _print_outputs(run_dir, show_items)


def _print_outputs(run_dir: Path, count: int) -> None:
    if not count:
        return
    handle = Run.open(run_dir)
    try:
        for shown, (index, output) in enumerate(handle.outputs()):
            if shown >= count:
                break
            console.rule(f"item {index}")
            console.print_json(json.dumps(output, default=str)[:20000])
    finally:
        handle.close()
