"""``sparring demo``: every role once over a few world tasks, checked against the truth."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any

import click
from rich.progress import Progress
from rich.table import Table

from sparring.cli._console import console, err_console, simulator_banner
from sparring.cli._demo_run import DemoItem, DemoReport, run_demo
from sparring.cli._roles import role_options, roles_from_options
from sparring.models import Gateway, UsageTotals

__all__ = ["demo", "render_report"]


def _mark(value: bool | None) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: "[dim]-[/]"}[value]


def _scores(item: DemoItem) -> str:
    shown = []
    for verdict, truth in zip(item.scores, item.truth, strict=True):
        score = f"{verdict.score:g}" if verdict.score is not None else "[yellow]?[/]"
        shown.append(f"{score}[dim]/{1 + 4 * truth:.1f}[/]")
    return " ".join(shown)


def _items_table(report: DemoReport) -> Table:
    table = Table(title="Roles on the simulated world (judge score / true score)")
    for column in (
        "#",
        "task",
        "actor right",
        "judge scores",
        "pairwise",
        "swap agree",
        "planner",
        "meta",
        "critic flags",
        "sneaky",
    ):
        table.add_column(column)
    for i, item in enumerate(report.items):
        if item.error:
            table.add_row(str(i), item.kind, f"[red]{item.error[:60]}[/]", *[""] * 7)
            continue
        right = sum(t >= 0.8 for t in item.truth)
        table.add_row(
            str(i),
            item.kind,
            f"{right}/{len(item.samples)}",
            _scores(item),
            _mark(item.pair_correct) if item.pair_choice else "[dim]-[/]",
            _mark(item.swap_agreement),
            item.planner_choice or "-",
            item.meta_choice or "-",
            "-" if item.critic_flags is None else str(item.critic_flags),
            _mark(item.sneaky_changed),
        )
    return table


def _usage_table(usage: UsageTotals) -> Table:
    table = Table(title="Usage per role")
    for column in ("role", "calls", "samples", "retries", "tokens in", "tokens out", "cost"):
        table.add_column(column, justify="right" if column != "role" else "left")
    for role, row in sorted(usage.by_role.items()):
        table.add_row(
            role,
            str(row.calls),
            str(row.samples),
            str(row.retries),
            str(row.prompt_tokens),
            str(row.completion_tokens),
            row.cost_label,
        )
    return table


def render_report(report: DemoReport) -> None:
    """Print the per-task table, the usage table and a one-line summary."""
    console.print(_items_table(report))
    console.print(_usage_table(report.roles.gateway.usage))
    verdicts = [v for item in report.items for v in item.scores]
    unscored = sum(v.status == "unscored" for v in verdicts)
    pairs = [i.pair_correct for i in report.items if i.pair_correct is not None]
    agree = [i.swap_agreement for i in report.items if i.swap_agreement is not None]
    console.print(
        f"judge unscored: {unscored}/{len(verdicts)} | pairwise picks the truly better: "
        f"{sum(pairs)}/{len(pairs)} | swap agreement: {sum(agree)}/{len(agree)}"
    )


@click.command()
@role_options
@click.option(
    "--tasks",
    type=click.IntRange(1, 500),
    default=6,
    show_default=True,
    help="How many world tasks (arithmetic and open-ended, alternating).",
)
@click.option(
    "--samples",
    type=click.IntRange(2, 16),
    default=4,
    show_default=True,
    help="Actor samples per task.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON instead of tables.")
def demo(tasks: int, samples: int, as_json: bool, **options: Any) -> None:
    """Run every role once per task, graph-free, and check each against the world's truth.

    Tasks come from the simulator's world (answers known), so real models bound with
    --actor/--judge/... are measured too. With nothing bound, every role is simulated.
    """
    roles = roles_from_options(options, gateway=Gateway())
    if banner := simulator_banner(roles):
        err_console.print(banner)
    with Progress(console=err_console, transient=True) as progress:
        bar = progress.add_task("tasks", total=tasks)
        report = asyncio.run(
            run_demo(
                roles,
                tasks=tasks,
                samples=samples,
                seed=int(options.get("seed") or 0),
                progress=lambda _q: progress.advance(bar),
            )
        )
    if as_json:
        rows = [{**asdict(i), "scores": [v.model_dump() for v in i.scores]} for i in report.items]
        click.echo(json.dumps(rows, indent=2))
    else:
        render_report(report)
