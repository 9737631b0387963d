"""Render a run's summary (shared by ``run``, ``resume`` and ``view``).

Every column folds (wraps mid-word) instead of cutting with an ellipsis: on an 80-column
terminal or log a long model name takes two lines but is never shortened.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from sparring.run import RunSummary

__all__ = ["HEALTH", "by_round_table", "health_table", "render_summary", "summary_renderable"]

# name -> (label, what it means, the healthy range)
HEALTH: dict[str, tuple[str, str, str]] = {
    "distinct_answers_per_item": (
        "distinct answers / item",
        "how varied an item's candidates are (exploration)",
        "> 1; at 1 every sample says the same and there is nothing to prefer",
    ),
    "pass_at_k": (
        "pass@k",
        "share of items where at least one candidate is correct",
        "well above 0 (something to learn from) and below 1 (something left to learn)",
    ),
    "judge_auc": (
        "judge AUC",
        "how well the judge's scores rank correct above incorrect candidates (exploitation)",
        "0.5 is chance; > 0.7 useful; > 0.9 strong",
    ),
    "items": ("items scored", "items with both correct and incorrect scored candidates", "> 20"),
    "length_ratio": (
        "chosen/rejected length",
        "mean length of chosen over rejected responses in the pairs",
        "near 1; above 1.3 the pairs may teach length, not quality",
    ),
    "calibrated_items": ("items rated", "items with a stated confidence and a gold check", "> 50"),
    "ece": (
        "calibration error (ECE)",
        "mean gap between stated confidence and accuracy, over 10 confidence bins",
        "< 0.1; 0 is perfectly calibrated",
    ),
    "auroc": (
        "confidence AUROC",
        "how well the stated confidence ranks right answers above wrong ones",
        "0.5 is chance; > 0.7 useful",
    ),
    "accuracy": ("accuracy (all)", "share of rated items answered right", "task-dependent"),
    "abstention_rate": (
        "abstention rate",
        "share of items the graph declined to answer",
        "low enough to be useful; it trades coverage for accuracy",
    ),
    "answered_accuracy": (
        "accuracy (answered)",
        "share right among the items answered (not abstained)",
        "above accuracy (all): abstaining then drops mostly wrong answers",
    ),
}


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


def health_table(summary: RunSummary) -> Table | None:
    """The health monitors, each labelled with what it means and its healthy range."""
    values = {**summary.exploration, **summary.exploitation, **summary.calibration}
    if summary.length_ratio is not None:
        values["length_ratio"] = summary.length_ratio
    if not values:
        return None
    table = Table(title="Health", box=box.SIMPLE_HEAD)
    table.add_column("monitor", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("what it means; healthy", overflow="fold")
    for name, value in values.items():
        label, meaning, healthy = HEALTH.get(name, (name, "", ""))
        table.add_row(label, f"{value:.3g}", f"{meaning}; [dim]healthy: {healthy}[/]")
    return table


def by_round_table(summary: RunSummary) -> Table | None:
    """Accuracy by round (or turn) and the flips into each round, when the graph reports them."""
    if not summary.by_round:
        return None
    table = Table(title="By round (every debater or episode)", box=box.SIMPLE_HEAD)
    for name in ("round", "reached", "accuracy", "right->wrong", "wrong->right"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in summary.by_round:
        flips = (
            ("-", "-")
            if not row.round
            else (
                f"{row.right_wrong} ({_pct(row.right_wrong_rate)})",
                f"{row.wrong_right} ({_pct(row.wrong_right_rate)})",
            )
        )
        table.add_row(str(row.round), str(row.trajectories), _pct(row.accuracy), *flips)
    return table


def summary_renderable(summary: RunSummary) -> RenderableType:
    """Items, records, verdict health, usage and the labelled health monitors."""
    items = summary.items
    detail = f" ({summary.detail})" if summary.detail else ""
    records = ", ".join(f"{v} {k}" for k, v in summary.records.items() if v) or "none"
    refused = ", ".join(f"{v} {k}" for k, v in sorted(summary.refused.items())) or "none"
    lines = Text.from_markup(
        f"[bold]{summary.graph}[/]: {summary.status}{detail}\n"
        f"items: {items.get('done', 0)} done, {items.get('failed', 0)} failed, "
        f"{items.get('pending', 0) + items.get('running', 0)} left, "
        f"{summary.unscored_items} all-unscored; input errors: {summary.input_errors}\n"
        f"records: {records}; refused: {refused}\n"
        f"swap agreement: {_pct(summary.swap_agreement)} of {summary.swaps} pairs\n"
        f"answer extraction: {summary.answer_extraction}"
    )
    parts: list[RenderableType] = [lines, _roles_table(summary), _models_table(summary)]
    if (health := health_table(summary)) is not None:
        parts.append(health)
    if (rounds := by_round_table(summary)) is not None:
        parts.append(rounds)
    return Group(*parts)


def render_summary(summary: RunSummary, console: Console) -> None:
    """Print the summary on ``console``."""
    console.print(summary_renderable(summary))
