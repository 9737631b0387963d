"""``sparring doctor``: each role's model, whether its key is set, and whether it answers."""

from __future__ import annotations

import asyncio
import importlib.metadata as md
import platform
import time
from typing import Any

import click
from rich import box
from rich.table import Table

from sparring.cli._console import console, simulator_banner
from sparring.cli._roles import role_options, roles_from_options
from sparring.errors import ModelCallError
from sparring.models import ROLE_NAMES, Gateway, Model, RetryPolicy
from sparring.models._keys import key_status

__all__ = ["doctor"]

_BAD_LITELLM = {"1.82.7", "1.82.8"}  # malicious releases (March 2026)


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def _key_status(model: Model) -> tuple[str, bool]:
    """The env vars the model needs and whether they are set (never their values), and OK."""
    status = key_status(model)
    if status.source == "code":
        return "[green]given in code[/]", True
    if status.source == "unknown":
        return "[yellow]unknown provider[/]", True
    if status.missing:
        return ", ".join(f"{name} [red]missing[/]" for name in status.missing), False
    if status.names:
        return ", ".join(f"{name} [green]set[/]" for name in status.names), True
    return ("[green]set[/]" if status.source == "env" else "[dim]none[/]"), True


async def _probe(model: Model, gateway: Gateway) -> str:
    started = time.perf_counter()
    try:
        await gateway.complete(
            model, "Reply with the single word OK.", max_tokens=8, temperature=0.0, timeout_s=30.0
        )
    except ModelCallError as err:
        return f"[red]✗ {err.kind}[/]: {err.cause[:120]}"
    return f"[green]✓ answered[/] {time.perf_counter() - started:.2f}s"


async def _probe_all(models: dict[str, Model], skip: dict[str, str]) -> dict[str, str]:
    gateway = Gateway(retry=RetryPolicy(max_attempts=1))
    todo = {(m.name, m.api_base): m for r, m in models.items() if r not in skip}
    results = await asyncio.gather(*(_probe(m, gateway) for m in todo.values()))
    by_key = dict(zip(todo, results, strict=True))
    out = dict(skip)
    out.update({r: by_key[(m.name, m.api_base)] for r, m in models.items() if r not in skip})
    return out


def _model_cell(model: Model, source: str) -> str:
    where = f" @ {model.api_base}" if model.api_base else ""
    return f"{model.name}{where} [dim]({source})[/]"


@click.command()
@role_options
@click.option("--no-request", is_flag=True, help="Do not send the tiny test request.")
def doctor(no_request: bool, **options: Any) -> None:
    """Check each role's model, whether its key is set (by env var name) and one tiny request.

    Exits with status 1 when any probed model fails to answer.
    """
    roles = roles_from_options(options)
    console.print(
        f"sparring {_version('sparring')} | Python {platform.python_version()} | "
        f"litellm {_version('litellm')} | langgraph {_version('langgraph')}"
    )
    if _version("litellm") in _BAD_LITELLM:
        console.print("[bold red]litellm version is a known malicious release: uninstall it.[/]")
    if banner := simulator_banner(roles):
        console.print(banner)
    sources = {role: roles.source(role) for role in ROLE_NAMES}
    models = {role: src[0] for role, src in sources.items()}
    keys = {role: _key_status(model) for role, model in models.items()}
    skip = {r: "[red]✗ not sent: key missing[/]" for r, (_, ok) in keys.items() if not ok}
    probes = {} if no_request else asyncio.run(_probe_all(models, skip))
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    for column in ("role", "model", "key", "request"):
        table.add_column(column, overflow="fold")
    for role, (model, source) in sources.items():
        table.add_row(
            role,
            _model_cell(model, source),
            keys[role][0],
            probes.get(role, "[dim]not sent (--no-request)[/]"),
        )
    console.print(table)
    if any("answered" not in v for v in probes.values()):
        raise SystemExit(1)
