"""``sparring demo``: every role once over a few world tasks, checked against the truth."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any

import click
from rich import box
from rich.progress import Progress
from rich.table import Table

from sparring.cli._console import console, err_console, simulator_banner
from sparring.cli._demo_run import DemoItem, DemoReport, run_demo
from sparring.cli._roles import role_options, roles_from_options
from sparring.models import Gateway, UsageTotals

__all__ = ["demo", "render_report"]

_COLUMNS = (
    ("#", "task number"),
    ("task", "arithmetic or open-ended"),
    ("actor", "samples right / samples"),
    ("judge err", "mean |pointwise score - true score| on 1-5 (? = unscored verdicts)"),
    ("pair", "both-order pairwise verdict picks the truly better sample"),
    ("swap", "the two orders agreed"),
    ("plan", "the planner's both-order verdict picks the truly better sample"),
    ("meta", "the meta-judge prefers the judgment nearer the truth"),
    ("critic", "steps flagged / steps really wrong, on the worst sample"),
    ("sneaky", "the rewritten step is really wrong"),
)


def _mark(value: bool | None) -> str:
    """✓ right, ✗ wrong, · not applicable (e.g. no sample was better than another)."""
    return {True: "[green]✓[/]", False: "[red]✗[/]", None: "[dim]·[/]"}[value]


def _scores(item: DemoItem) -> str:
    errors = [
        abs(v.score - (1 + 4 * t))
        for v, t in zip(item.scores, item.truth, strict=True)
        if v.score is not None
    ]
    missing = len(item.scores) - len(errors)
    shown = f"{sum(errors) / len(errors):.2f}" if errors else "-"
    return shown + (f" [yellow]{missing}?[/]" if missing else "")


def _critic(item: DemoItem) -> str:
    return "[dim]·[/]" if item.critic_flags is None else f"{item.critic_flags}/{item.wrong_steps}"


def _items_table(report: DemoReport) -> Table:
    table = Table(
        title="Every role on the world's tasks, against the truth",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    for name, _ in _COLUMNS:
        table.add_column(name, overflow="fold", min_width=len(name))
    for i, item in enumerate(report.items):
        if item.error:
            table.add_row(str(i), item.kind, "", f"[red]{item.error[:70]}[/]", *[""] * 6)
            continue
        right = sum(t >= 0.8 for t in item.truth)
        table.add_row(
            str(i),
            "arith" if item.kind == "arithmetic" else item.kind,
            f"{right}/{len(item.samples)}",
            _scores(item),
            _mark(item.pair_correct),
            _mark(item.swap_agreement),
            _mark(item.planner_correct),
            _mark(item.meta_correct),
            _critic(item),
            _mark(item.sneaky_changed),
        )
    return table


def _usage_table(usage: UsageTotals) -> Table:
    table = Table(title="Usage per role", box=box.SIMPLE_HEAD)
    for column in ("role", "calls", "samples", "retries", "tokens in", "tokens out", "cost"):
        table.add_column(column, justify="left" if column == "role" else "right", overflow="fold")
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


def _rate(values: list[bool | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{sum(known)}/{len(known)}" if known else "-"


def render_report(report: DemoReport, *, simulated: bool) -> None:
    """Print the per-task table, the legend, the usage table and a summary line."""
    console.print(_items_table(report))
    for name, what in _COLUMNS[2:]:
        console.print(f"  [bold]{name}[/]: {what}")
    console.print(_usage_table(report.roles.gateway.usage))
    verdicts = [v for item in report.items for v in item.scores]
    unscored = sum(v.status == "unscored" for v in verdicts)
    items = report.items
    console.print(
        f"judge unscored {unscored}/{len(verdicts)} | pairwise right "
        f"{_rate([i.pair_correct for i in items])} | swap agreement "
        f"{_rate([i.swap_agreement for i in items])} | planner right "
        f"{_rate([i.planner_correct for i in items])} | meta-judge right "
        f"{_rate([i.meta_correct for i in items])}"
    )
    if simulated:
        console.print(
            "[dim]cost: the simulator's made-up price, so totals are exercised offline[/]"
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
    banner = simulator_banner(roles)
    if banner:
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
        render_report(report, simulated=banner is not None)
    if all(item.error for item in report.items):
        raise SystemExit(1)
