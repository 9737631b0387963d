"""The table of a B-STaR folder's iterations (``sparring view FOLDER``)."""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.table import Table

from sparring.iterate._bstar import load_bstar

__all__ = ["render_bstar"]


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}%" if pct else f"{value:.2f}"


def render_bstar(folder: str | Path) -> Table:
    """A table of the iterations in ``folder``: configuration, actor, monitors, balance."""
    plan, rows = load_bstar(folder)
    table = Table(title=f"B-STaR iterations ({'adjusted' if plan.adjust else 'fixed'} "
                  f"configuration, n*={plan.n_star})", box=box.SIMPLE_HEAD)  # fmt: skip
    for name in ("iter", "temp", "threshold", "actor acc", "diversity", "vote acc", "pass@k",
                 "distinct right/item", "selection acc", "balance"):  # fmt: skip
        table.add_column(name, justify="right", overflow="fold")
    for r in rows:
        table.add_row(
            str(r.iteration), f"{r.temperature:g}", f"{r.threshold:g}",
            _fmt(r.actor_accuracy, True), _fmt(r.actor_diversity), _fmt(r.vote_accuracy, True),
            _fmt(r.pass_at_k, True), _fmt(r.distinct_correct), _fmt(r.selection_accuracy, True),
            f"{r.balance_score:.3f}",
        )  # fmt: skip
    table.caption = (
        "exploration: distinct right samples per problem; exploitation: share of the reward's "
        "selection that is right; balance = mean min(distinct right selected / n*, 1) x "
        "selection accuracy (B-STaR)"
    )
    return table
