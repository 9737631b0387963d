"""``sparring export``: a run's records in a trainer's format."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from sparring.cli._console import console, err_console
from sparring.cli._exit import ExitCode
from sparring.errors import ConfigError
from sparring.export import FORMATS, PAIR_KINDS, SOURCE, Format
from sparring.run import Run

__all__ = ["export"]


@click.command(epilog="Exit codes: 0 rows written; 1 error; 2 bad usage; 6 nothing to export.")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="trl-dpo, trl-kto, sft, openrlhf, rl (game roles, multi-turn episodes), prm (step "
    "labels), prompts (prompt + gold answer, for GRPO/PPO) or instructions (self-instructed "
    "prompts, a next run's --data).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: RUN_DIR/export/FORMAT).",
)
@click.option("--meta", is_flag=True, help="Add a 'meta' provenance column to every row.")
@click.option(
    "--conversational",
    is_flag=True,
    help="Chat-message columns instead of strings (trl-dpo, trl-kto, openrlhf, rl).",
)
@click.option(
    "--kind",
    type=click.Choice(PAIR_KINDS),
    help="Only pairs of this kind (e.g. Meta-Rewarding's response vs judgment pairs).",
)
@click.option("--role", help="Only records that train this role (actor, judge, critic, sneaky...).")
def export(
    run_dir: Path,
    fmt: str,
    out_dir: Path | None,
    meta: bool,
    conversational: bool,
    kind: str | None,
    role: str | None,
) -> None:
    """Write RUN_DIR's records as a datasets-loadable folder (data/train.jsonl + README.md).

    Ties, unscored verdicts and identical pairs never reach an export; the count of each
    refusal is printed. When no row survives, nothing is written and the exit code is 6.
    An rl export of several roles writes one dataset config per role unless --role picks one.
    """
    try:
        handle = Run.open(run_dir)
        report = handle.export(
            cast(Format, fmt),
            out_dir or run_dir / "export" / fmt,
            meta=meta,
            conversational=conversational,
            kind=kind,
            role=role,
        )
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    refused = _counts(report.refused)
    if report.left_out:
        refused += f"; left out by the filters: {_counts(report.left_out)}"
    if not report.rows:
        source = SOURCE[cast(Format, fmt)]
        err_console.print(
            f"nothing to export as {fmt}: the run has no usable {source} records "
            f"(refused: {refused}); nothing was written"
        )
        raise SystemExit(int(ExitCode.NOTHING_EXPORTED))
    where = report.path / "data" / "train.jsonl"
    if list(report.configs) != ["default"]:
        where = report.path / "data"
        refused += "; one config per role: " + _counts(report.configs)
    console.print(f"wrote {report.rows} rows to {where} (refused: {refused})")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "none"
