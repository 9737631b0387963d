"""Render a run's summary (shared by ``run``, ``resume`` and ``view``).

Every column folds (wraps mid-word) instead of cutting with an ellipsis: on an 80-column
terminal or log a long model name takes two lines but is never shortened.
"""

from __future__ import annotations

from rich import box
from rich.table import Table

from sparring.cli._console import console
from sparring.run import RunSummary

__all__ = ["render_summary"]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _roles_table(summary: RunSummary) -> Table:
    table = Table(title="Per role", box=box.SIMPLE_HEAD)
    for name in (
        "role",
        "calls",
        "tokens in",
        "tokens out",
        "cost",
        "judged",
        "unscored",
        "swap agree",
    ):
        table.add_column(name, justify="left" if name == "role" else "right", overflow="fold")
    # Role names are short: keep each whole on one line; the numbers give way.
    table.columns[0].min_width = max((len(r) for r in summary.roles), default=4)
    table.columns[0].no_wrap = True
    for role, row in sorted(summary.roles.items()):
        cost = "unknown" if row.unpriced_calls and not row.cost_usd else f"${row.cost_usd:.4f}"
        table.add_row(
            role,
            str(row.calls),
            str(row.prompt_tokens),
            str(row.completion_tokens),
            cost,
            str(row.judged) if row.judged else "-",
            _pct(row.unscored_rate),
            _pct(row.swap_agreement),
        )
    return table


def _models_table(summary: RunSummary) -> Table:
    table = Table(title="Per model", box=box.SIMPLE_HEAD)
    for name in ("model", "calls", "retries", "failed", "cache hits"):
        table.add_column(name, justify="left" if name == "model" else "right", overflow="fold")
    for model, row in sorted(summary.models.items()):
        table.add_row(model, str(row.calls), str(row.retries), str(row.failed), str(row.cache_hits))
    return table


def render_summary(summary: RunSummary) -> None:
    """Print items, records, verdict health, usage and the health monitors."""
    items = summary.items
    detail = f" ({summary.detail})" if summary.detail else ""
    console.print(f"[bold]{summary.graph}[/]: {summary.status}{detail}")
    console.print(
        f"items: {items.get('done', 0)} done, {items.get('failed', 0)} failed, "
        f"{items.get('pending', 0) + items.get('running', 0)} left, "
        f"{summary.unscored_items} all-unscored; input errors: {summary.input_errors}"
    )
    records = ", ".join(f"{v} {k}" for k, v in summary.records.items() if v) or "none"
    refused = ", ".join(f"{v} {k}" for k, v in sorted(summary.refused.items())) or "none"
    console.print(f"records: {records}; refused: {refused}")
    console.print(f"swap agreement: {_pct(summary.swap_agreement)} of {summary.swaps} pairs")
    console.print(_roles_table(summary))
    console.print(_models_table(summary))
    if summary.exploration or summary.exploitation or summary.length_ratio is not None:
        parts = [f"{k} {v:.3g}" for k, v in {**summary.exploration, **summary.exploitation}.items()]
        if summary.length_ratio is not None:
            parts.append(f"chosen/rejected length {summary.length_ratio:.2f}")
        console.print("health: " + "; ".join(parts))
