"""``sparring serve-sim``: the simulator behind an OpenAI-compatible HTTP API, with faults."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sparring.cli._console import console

__all__ = ["serve_sim"]

F = TypeVar("F", bound=Callable[..., Any])


def _rate(name: str, help_text: str) -> Callable[[F], F]:
    return click.option(
        f"--{name}", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True, help=help_text
    )


@click.command("serve-sim")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind (loopback only unless --allow-remote).",
)
@click.option("--port", type=int, default=8000, show_default=True, help="Port (0: any free port).")
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the simulated world and of fault injection.",
)
@click.option(
    "--profile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON file of skill overrides, e.g. {"judge": {"position_bias": 1.0}}.',
)
@click.option(
    "--latency",
    type=click.FloatRange(0.0),
    default=0.0,
    show_default=True,
    help="Mean added latency per request, in seconds.",
)
@_rate("rate-429", "Share of requests answered 429 with Retry-After.")
@click.option(
    "--retry-after",
    type=click.FloatRange(0.0),
    default=1.0,
    show_default=True,
    help="Seconds sent in the Retry-After header of injected 429s.",
)
@_rate("rate-500", "Share of requests answered 500.")
@_rate("rate-hang", "Share of requests that hang for --hang-s before answering.")
@click.option(
    "--hang-s",
    type=click.FloatRange(0.0),
    default=30.0,
    show_default=True,
    help="How long a hanging request hangs.",
)
@_rate("rate-malformed", "Share of requests answered 200 with a body that is not JSON.")
@_rate("rate-truncated", "Share of requests whose body (or stream) is cut short.")
@click.option(
    "--require-key-env",
    metavar="VAR",
    help="Answer 401 unless requests carry the key held in env var VAR (tests auth handling).",
)
@click.option(
    "--max-n",
    type=click.IntRange(1),
    help="Return at most this many choices per request, as servers that ignore n do.",
)
@click.option("--allow-remote", is_flag=True, help="Allow binding a non-loopback interface.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
def serve_sim(
    host: str,
    port: int,
    seed: int,
    profile: Path | None,
    latency: float,
    rate_429: float,
    retry_after: float,
    rate_500: float,
    rate_hang: float,
    hang_s: float,
    rate_malformed: float,
    rate_truncated: float,
    require_key_env: str | None,
    max_n: int | None,
    allow_remote: bool,
    verbose: bool,
) -> None:
    """Serve the offline simulator as an OpenAI-compatible API (/v1/chat/completions, /v1/models).

    It is a simulator, not a language model: use it to test clients, retries and whole runs
    offline. Point any role at it, for example:

        sparring doctor --judge openai/judge --api-base http://127.0.0.1:8000/v1
    """
    from sparring.sim import FaultConfig, SimEngine, serve

    overrides = json.loads(profile.read_text(encoding="utf-8")) if profile else None
    api_key = os.environ.get(require_key_env) if require_key_env else None
    if require_key_env and not api_key:
        raise click.BadParameter(f"{require_key_env} is not set", param_hint="--require-key-env")
    try:
        faults = FaultConfig(
            latency_s=latency,
            rate_429=rate_429,
            retry_after_s=retry_after,
            rate_500=rate_500,
            rate_hang=rate_hang,
            hang_s=hang_s,
            rate_malformed=rate_malformed,
            rate_truncated=rate_truncated,
            seed=seed,
        )
        engine = SimEngine(seed=seed, profile=overrides)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None

    def ready(base_url: str) -> None:
        console.print(
            f"[bold yellow]SIMULATOR[/] (not a language model) serving an "
            f"OpenAI-compatible API at [bold]{base_url}[/]  (Ctrl-C to stop)"
        )
        active = {k: v for k, v in vars(faults).items() if k.startswith("rate") and v}
        if active or latency:
            console.print(f"fault injection: latency={latency}s {active}")

    serve(
        host,
        port,
        faults=faults,
        engine=engine,
        verbose=verbose,
        on_ready=ready,
        allow_remote=allow_remote,
        api_key=api_key,
        max_n=max_n,
    )
