"""``sparring run``: a graph over a data set (or one prompt), into a run directory."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path
from typing import Any

import click

from sparring.cli._console import console, err_console, simulator_banner
from sparring.cli._errors import set_log_dir
from sparring.cli._execute import execute_run
from sparring.cli._exit import EXIT_CODES_HELP
from sparring.cli._roles import role_options, roles_from_options
from sparring.errors import ConfigError, OptionError
from sparring.graphs import REGISTRY, GraphSpec
from sparring.models import Roles
from sparring.run import Budget, FieldMap, InputProblem, Run, preflight
from sparring.verify import AnswerExtraction

__all__ = ["parse_options", "run"]


def parse_options(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``KEY=VALUE`` graph options; a value is read as JSON when it parses (``3``, ``true``)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r}: expected KEY=VALUE", param_hint="--option")
        try:
            out[key.strip().replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip().replace("-", "_")] = value
    return out


def _extra_fields(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, name = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: expected KEY=FIELD", param_hint="--field")
        out[key.strip()] = name.strip()
    return out


def _default_dir(graph: str) -> Path:
    return Path("runs") / f"{graph}-{time.strftime('%Y%m%d-%H%M%S')}"


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("graph", metavar="GRAPH")
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Data file: .jsonl, .csv or .parquet (one item per row).",
)
@click.option("--prompt", "prompt_text", help="Run on this one prompt instead of a data file.")
@click.option(
    "--sim-tasks",
    type=click.IntRange(1),
    metavar="N",
    help="Run on N tasks from the simulator's world (answers known), no data file needed.",
)
@click.option("--answer", help="Gold answer for --prompt (graphs that verify need one).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Run directory (default: runs/GRAPH-TIMESTAMP).",
)
@click.option("--prompt-field", default="prompt", show_default=True)
@click.option("--answer-field", default="answer", show_default=True)
@click.option("--reference-field", default=None, help="Field holding a reference answer.")
@click.option("--id-field", default="id", show_default=True)
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="KEY=FIELD",
    help="More graph inputs from data fields, e.g. response_a=output_1.",
)
@click.option(
    "-o",
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Graph option, e.g. -o n_responses=4 (see 'sparring graphs').",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=8,
    show_default=True,
    help="Items in flight at once.",
)
@click.option("--limit", type=click.IntRange(1), help="Only the first N items.")
@click.option(
    "--max-cost-usd",
    type=click.FloatRange(min=0, min_open=True),
    help="Stop cleanly (resumable) once this much is spent.",
)
@click.option("--max-calls", type=click.IntRange(1), help="Stop cleanly after this many calls.")
@click.option("--strict", is_flag=True, help="Stop at the first malformed input line.")
@click.option("--no-cache", is_flag=True, help="Do not use the run's response cache.")
@click.option(
    "--answer-extraction",
    type=click.Choice(["strict", "last_number_fallback"]),
    default="strict",
    show_default=True,
    help="How final answers are read: a stated answer only, or else the last number "
    "(recorded in the run's config).",
)
@click.option(
    "--no-preflight",
    is_flag=True,
    help="Skip the check of every role's model (provider, key, one tiny request per --api-base).",
)
@role_options
def run(
    graph: str,
    data: Path | None,
    prompt_text: str | None,
    sim_tasks: int | None,
    answer: str | None,
    out_dir: Path | None,
    prompt_field: str,
    answer_field: str,
    reference_field: str | None,
    id_field: str,
    fields: tuple[str, ...],
    options: tuple[str, ...],
    concurrency: int,
    limit: int | None,
    max_cost_usd: float | None,
    max_calls: int | None,
    strict: bool,
    no_cache: bool,
    answer_extraction: AnswerExtraction,
    no_preflight: bool,
    **role_flags: Any,
) -> None:
    """Run GRAPH over a data set (--data), one prompt (--prompt) or simulated tasks (--sim-tasks).

    The run survives being killed: 'sparring resume RUN_DIR' continues it, in the middle of an
    item's loop. See 'sparring graphs' for the graphs and their roles.
    """
    if sum(x is not None for x in (data, prompt_text, sim_tasks)) != 1:
        raise click.UsageError("give exactly one of --data FILE, --prompt TEXT or --sim-tasks N")
    if graph not in REGISTRY:
        raise click.BadParameter(
            f"no graph named {graph!r}; available: {', '.join(REGISTRY) or 'none'}",
            param_hint="GRAPH",
        )
    roles = roles_from_options(role_flags)
    spec = REGISTRY[graph]
    if banner := simulator_banner(roles, spec.roles):
        err_console.print(banner)
    graph_options = parse_options(options)
    _check_before_writing(spec, roles, graph_options, preflight_models=not no_preflight)
    run_dir = out_dir or _default_dir(graph)
    existed = run_dir.exists()
    try:
        handle = Run.create(
            run_dir,
            graph=graph,
            roles=roles,
            options=graph_options,
            seed=int(role_flags.get("seed") or 0),
            concurrency=concurrency,
            cache=not no_cache,
            budget=Budget(max_cost_usd=max_cost_usd, max_calls=max_calls),
            answer_extraction=answer_extraction,
        )
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    set_log_dir(handle.dir)
    if prompt_text is not None:
        handle.add_prompt(prompt_text, answer=answer)
    elif sim_tasks is not None:
        handle.add_sim_tasks(sim_tasks)
        console.print(f"{sim_tasks} tasks from the simulator's world (answers known)")
    else:
        assert data is not None
        field_map = FieldMap(
            prompt=prompt_field,
            answer=answer_field,
            id=id_field,
            reference=reference_field,
            extra=_extra_fields(fields),
        )
        _ingest(handle, data, field_map, strict=strict, limit=limit)
    console.print(f"run directory: [bold]{handle.dir}[/]")
    _refuse_if_empty(handle, created=not existed)
    code = asyncio.run(
        execute_run(handle, roles=roles, show_output=prompt_text is not None, check=False)
    )
    raise SystemExit(int(code))


def _check_before_writing(
    spec: GraphSpec, roles: Roles, options: dict[str, Any], *, preflight_models: bool
) -> None:
    """Graph options (usage error) and, unless skipped, the preflight of every role's model."""
    try:
        spec.check_options(roles, options)
    except OptionError as err:
        raise click.UsageError(str(err)) from None
    if preflight_models:
        asyncio.run(preflight(roles, spec.roles_bound(roles.names)))


def _refuse_if_empty(handle: Run, *, created: bool) -> None:
    """Stop when no item was read; a folder this command made is removed, so a retry works."""
    if sum(handle.store.counts().values()):
        return
    handle.close()
    if created:
        shutil.rmtree(handle.dir, ignore_errors=True)
    raise click.ClickException(
        "nothing to run: no usable item was read (see the skipped lines above)"
    )


def _ingest(handle: Run, data: Path, fields: FieldMap, *, strict: bool, limit: int | None) -> None:
    try:
        report = handle.ingest(data, fields, strict=strict, limit=limit)
    except InputProblem as err:
        raise click.ClickException(f"bad input (--strict): {err}") from None
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    for error in report.errors[:20]:
        field = f" field {error['field']!r}" if error["field"] else ""
        err_console.print(
            f"[yellow]skipped[/] {error['file']}:{error['line']}{field}: {error['message']}"
        )
    if len(report.errors) > 20:
        err_console.print(f"[yellow]... and {len(report.errors) - 20} more bad lines[/]")
    console.print(f"read {report.read} items from {data} ({len(report.errors)} bad lines)")
