"""``sparring doctor``: each role's model, whether its key is set, and whether it answers."""

from __future__ import annotations

import asyncio
import importlib.metadata as md
import platform
import time
from typing import Any

import click
from rich.table import Table

from sparring.cli._console import console, simulator_banner
from sparring.cli._roles import role_options, roles_from_options
from sparring.errors import ModelCallError
from sparring.models import ROLE_NAMES, Gateway, Model, RetryPolicy, Roles

__all__ = ["doctor"]

_BAD_LITELLM = {"1.82.7", "1.82.8"}  # malicious releases (March 2026)
_NO_KEY_PROVIDERS = {"sim", "hosted_vllm", "ollama", "ollama_chat", "langchain", "lm_studio"}


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def _key_status(model: Model) -> str:
    """Names of the env vars the model needs and whether they are set; never their values."""
    if model.api_key is not None:
        return "[green]given in config[/]"
    if model.api_key_env:
        import os

        ok = bool(os.environ.get(model.api_key_env))
        return f"{model.api_key_env} {'[green]set[/]' if ok else '[red]missing[/]'}"
    if model.provider in _NO_KEY_PROVIDERS:
        return "[dim]none needed[/]"
    from sparring.models._litellm import litellm_module

    try:
        env = litellm_module().validate_environment(model=model.name, api_base=model.api_base)
    except Exception:
        return "[yellow]unknown provider[/]"
    missing = env.get("missing_keys") or []
    if missing:
        return ", ".join(f"{name} [red]missing[/]" for name in missing)
    return "[green]set[/]" if env.get("keys_in_environment") else "[dim]none needed[/]"


async def _probe(model: Model, gateway: Gateway) -> str:
    started = time.perf_counter()
    try:
        result = await gateway.complete(
            model, "Reply with the single word OK.", max_tokens=8, temperature=0.0, timeout_s=30.0
        )
    except ModelCallError as err:
        return f"[red]{err.kind}[/]: {err.cause[:80]}"
    text = result.text.strip().replace("\n", " ")[:30]
    return f"[green]answered[/] in {time.perf_counter() - started:.2f}s: {text!r}"


async def _probe_all(roles: Roles, models: dict[str, Model]) -> dict[str, str]:
    gateway = Gateway(retry=RetryPolicy(max_attempts=1))
    unique = {(m.name, m.api_base): m for m in models.values()}
    results = await asyncio.gather(*(_probe(m, gateway) for m in unique.values()))
    by_key = dict(zip(unique, results, strict=True))
    return {role: by_key[(m.name, m.api_base)] for role, m in models.items()}


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
    probes = {} if no_request else asyncio.run(_probe_all(roles, models))
    table = Table(title="Roles")
    for column in ("role", "model", "from", "api base", "key", "request"):
        table.add_column(column)
    for role, (model, source) in sources.items():
        table.add_row(
            role,
            model.name,
            source,
            model.api_base or "-",
            _key_status(model),
            probes.get(role, "[dim]skipped[/]"),
        )
    console.print(table)
    if any("answered" not in v for v in probes.values()):
        raise SystemExit(1)
