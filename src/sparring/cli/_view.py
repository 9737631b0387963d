"""``sparring view``: a run's summary, its input errors and a few items."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sparring.cli._console import console
from sparring.cli._summary_view import render_summary
from sparring.errors import ConfigError
from sparring.run import Run

__all__ = ["view"]


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--items",
    "show_items",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Also print the output of the first N finished items.",
)
@click.option("--failed", is_flag=True, help="List failed items and their causes.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def view(run_dir: Path, show_items: int, failed: bool, as_json: bool) -> None:
    """Show RUN_DIR's summary: items, unscored rates, swap agreement, usage, health."""
    try:
        handle = Run.open(run_dir)
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    summary = handle.summary()
    if as_json:
        click.echo(summary.model_dump_json(indent=2))
        return
    render_summary(summary)
    for error in handle.store.input_errors()[:20]:
        field = f" field {error['field']!r}" if error["field"] else ""
        console.print(
            f"[yellow]input error[/] {error['file']}:{error['line']}{field}: {error['message']}"
        )
    if failed:
        for row in handle.store.items(("failed",), limit=200):
            console.print(f"[red]failed[/] item {row['index']} ({row['item_id']}): {row['error']}")
    for shown, (index, output) in enumerate(handle.outputs()):
        if shown >= show_items:
            break
        console.rule(f"item {index}")
        console.print_json(json.dumps(output, default=str)[:20000])
