"""``sparring export``: a run's records in a trainer's format."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from sparring.cli._console import console, err_console
from sparring.cli._exit import ExitCode
from sparring.errors import ConfigError
from sparring.export import FORMATS, SOURCE, Format
from sparring.run import Run

__all__ = ["export"]


@click.command(epilog="Exit codes: 0 rows written; 1 error; 2 bad usage; 6 nothing to export.")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="trl-dpo, trl-kto, sft, openrlhf, rl (SPC roles) or prm (step labels).",
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
    help="Chat-message columns instead of strings (trl-dpo, trl-kto, openrlhf).",
)
def export(run_dir: Path, fmt: str, out_dir: Path | None, meta: bool, conversational: bool) -> None:
    """Write RUN_DIR's records as a datasets-loadable folder (data/train.jsonl + README.md).

    Ties, unscored verdicts and identical pairs never reach an export; the count of each
    refusal is printed. When no row survives, nothing is written and the exit code is 6.
    """
    try:
        handle = Run.open(run_dir)
        report = handle.export(
            cast(Format, fmt),
            out_dir or run_dir / "export" / fmt,
            meta=meta,
            conversational=conversational,
        )
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    refused = ", ".join(f"{v} {k}" for k, v in sorted(report.refused.items())) or "none"
    if not report.rows:
        kind = SOURCE[cast(Format, fmt)]
        err_console.print(
            f"nothing to export as {fmt}: the run has no usable {kind} records "
            f"(refused: {refused}); nothing was written"
        )
        raise SystemExit(int(ExitCode.NOTHING_EXPORTED))
    console.print(
        f"wrote {report.rows} rows to {report.path / 'data' / 'train.jsonl'} (refused: {refused})"
    )
