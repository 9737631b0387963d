"""``sparring graphs``: the technique graphs, their roles and options."""

from __future__ import annotations

import click
from rich import box
from rich.table import Table

from sparring.cli._console import console
from sparring.graphs import REGISTRY

__all__ = ["graphs"]


def _options(name: str) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in REGISTRY[name].options().items())


@click.command()
@click.option(
    "--options",
    "with_options",
    is_flag=True,
    help="Also list each graph's options and defaults (imports every graph).",
)
def graphs(with_options: bool) -> None:
    """List the technique graphs: name, family, roles and what each does."""
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("graph", "family", "roles", "what it does"):
        table.add_column(column, overflow="fold")
    for name in REGISTRY:
        spec = REGISTRY[name]
        what = spec.summary + (" (needs gold answers)" if spec.needs_answer else "")
        if with_options:
            what += f"\n[dim]{_options(name)}[/]"
        table.add_row(name, spec.family, ", ".join(spec.roles), what)
    console.print(table)
    console.print(
        "run one: [bold]sparring run GRAPH --data FILE[/] or [bold]--prompt TEXT[/]; "
        "options with -o KEY=VALUE"
    )
