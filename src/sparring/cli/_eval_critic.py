"""``sparring eval-critic``: score a step critic on traces with a labelled first wrong step."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.progress import Progress
from rich.table import Table

from sparring.cli._console import console, err_console, simulator_banner
from sparring.cli._roles import role_options, roles_from_options
from sparring.critic_eval import CriticReport, TaskMetrics, evaluate_critic, load_traces
from sparring.errors import ConfigError
from sparring.models import Gateway

__all__ = ["eval_critic", "report_table"]

_COLUMNS = (
    ("task", "the task file"),
    ("err", "traces with a labelled mistake (scored critiques)"),
    ("ok", "traces with no mistake (scored critiques)"),
    ("err acc", "first wrong step found exactly, on traces with a mistake"),
    ("ok acc", "no step flagged, on traces with no mistake"),
    ("F1", "harmonic mean of err acc and ok acc (ProcessBench)"),
    ("1st acc", "first flagged step (or none) equals the label, over all scored traces"),
    ("unsc", "unscored: critiques that could not be read (left out of every rate)"),
)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _row(m: TaskMetrics) -> list[str]:
    return [
        m.task,
        str(m.erroneous),
        str(m.correct),
        _pct(m.error_accuracy),
        _pct(m.correct_accuracy),
        _pct(m.f1),
        _pct(m.first_error_accuracy),
        str(m.unscored),
    ]


def report_table(report: CriticReport) -> Table:
    """Per-task metrics and the pooled row, as a rich table."""
    table = Table(
        title=f"Step critic {report.critic_model}: first wrong step",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("task", overflow="fold", min_width=8)
    for name, _ in _COLUMNS[1:]:
        table.add_column(name, justify="right", no_wrap=True)
    for metrics in report.tasks.values():
        table.add_row(*_row(metrics))
    table.add_section()
    table.add_row(*_row(report.overall), style="bold")
    return table


def _print(report: CriticReport) -> None:
    console.print(report_table(report))
    for name, what in _COLUMNS[1:]:
        console.print(f"  [bold]{name}[/]: {what}")
    console.print(f"macro F1 (mean over task files): [bold]{_pct(report.macro_f1)}[/]")
    if report.note:
        console.print(f"[yellow]{report.note}[/]")


@click.command("eval-critic")
@role_options
@click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="A .jsonl file of labelled traces, or a folder of them (one task per file).",
)
@click.option(
    "--limit", type=click.IntRange(1), default=None, help="Read at most this many traces per file."
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="Critiques in flight at once.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def eval_critic(
    data: Path, limit: int | None, concurrency: int, as_json: bool, **options: Any
) -> None:
    """Ask the critic for a step-by-step critique of each trace; report ProcessBench metrics.

    Traces are JSON lines with input, steps and mistake_index (BIG-Bench Mistake's format).
    A SIMULATED critic cannot check traces from outside its world: it is given each trace's
    label as hidden metadata and errs per its recall and false-positive knobs, so its
    figures describe the simulator, and the output says so.
    """
    try:
        traces = load_traces(data, limit=limit)
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    roles = roles_from_options(options, gateway=Gateway())
    banner = simulator_banner(roles, ("critic",))
    if banner:
        err_console.print(banner)
    with Progress(console=err_console, transient=True) as progress:
        bar = progress.add_task("critiques", total=len(traces))
        report = asyncio.run(
            evaluate_critic(
                roles,
                traces,
                concurrency=concurrency,
                progress=lambda _r: progress.advance(bar),
            )
        )
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _print(report)
