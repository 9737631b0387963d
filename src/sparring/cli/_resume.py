"""``sparring resume``: continue a killed or stopped run where it stopped."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from sparring.cli._console import console, err_console, simulator_banner
from sparring.cli._errors import set_log_dir
from sparring.cli._execute import execute_run
from sparring.cli._exit import EXIT_CODES_HELP
from sparring.cli._roles import role_options, roles_from_options
from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.models import Roles
from sparring.run import Budget, Run
from sparring.run._config import roles_from_config

__all__ = ["resume"]


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--retry-errors", is_flag=True, help="Also re-run items that failed.")
@click.option(
    "--retry-unscored",
    is_flag=True,
    help="Also re-run finished items whose verdicts were all unscored.",
)
@click.option(
    "--max-cost-usd",
    type=click.FloatRange(min=0, min_open=True),
    help="New cost limit for the whole run (earlier sessions' spend counts).",
)
@click.option(
    "--max-calls",
    type=click.IntRange(1),
    help="New call limit for the whole run (earlier sessions' calls count).",
)
@click.option(
    "--no-preflight",
    is_flag=True,
    help="Skip the check of every role's model (provider, key, one tiny request per --api-base).",
)
@role_options
def resume(
    run_dir: Path,
    retry_errors: bool,
    retry_unscored: bool,
    max_cost_usd: float | None,
    max_calls: int | None,
    no_preflight: bool,
    **role_flags: Any,
) -> None:
    """Continue RUN_DIR where it stopped.

    Interrupted items resume from their last checkpoint (in the middle of a loop); finished
    items are never redone. Role flags rebind roles for this session (keys always come from
    the environment).
    """
    try:
        handle = Run.open(run_dir)
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    set_log_dir(handle.dir)
    with handle.lock:  # before changing anything: another process may be running it
        if max_cost_usd is not None or max_calls is not None:
            old = handle.config.budget
            handle.set_budget(
                Budget(
                    max_cost_usd=max_cost_usd or old.max_cost_usd,
                    max_calls=max_calls or old.max_calls,
                )
            )
        roles = _roles(handle, role_flags)
        reset = handle.retry(errors=retry_errors, unscored=retry_unscored)
        if reset:
            console.print(f"re-running {reset} items")
        code = asyncio.run(execute_run(handle, roles=roles, check=not no_preflight))
    raise SystemExit(int(code))


def _roles(handle: Run, role_flags: dict[str, Any]) -> Roles:
    """The run's saved roles, or the ones the flags rebind for this session."""
    roles = roles_from_config(handle.config)
    rebound = {k: v for k, v in role_flags.items() if k.startswith("role_") and v}
    if rebound or role_flags.get("roles_file") or role_flags.get("default_model"):
        roles = roles_from_options({**role_flags, "seed": handle.config.seed})
    if banner := simulator_banner(roles, REGISTRY[handle.config.graph].roles):
        err_console.print(banner)
    return roles
