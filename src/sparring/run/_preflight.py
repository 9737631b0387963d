"""The preflight: before the first item, check that every role's model can be used.

A misconfigured role otherwise shows up as every item failing (and a hosted API billing for
the roles that did work). Three checks, cheapest first: the model string resolves to a
LiteLLM provider; a hosted provider's key is in the environment (named, never shown); each
``api_base`` answers one tiny request. Hosted APIs are not sent a request (it would cost).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sparring.errors import ModelCallError, PreflightError
from sparring.models import Gateway, Model, RetryPolicy, Roles, is_fast_route
from sparring.models._keys import key_status

__all__ = ["preflight", "preflight_problems"]

_PROBE_TIMEOUT_S = 30.0


def _resolve_problem(model: Model) -> str | None:
    # Fast-route models (OpenAI-compatible servers) never go through LiteLLM: importing it
    # (about 2 s) only to resolve them would be the slowest part of a local run's start.
    if model.chat_model is not None or model.is_simulated or is_fast_route(model):
        return None
    from sparring.models._litellm import litellm_module

    try:
        litellm_module().get_llm_provider(model.name, api_base=model.api_base)
    except Exception:
        return (
            f"model {model.name!r} names no provider LiteLLM knows "
            "(write it as provider/model, e.g. openai/gpt-4o-mini or hosted_vllm/NAME)"
        )
    return None


def _key_problem(model: Model) -> str | None:
    status = key_status(model)
    if status.ok:
        return None
    names = " or ".join(status.missing)
    return f"model {model.name!r} needs {names}, which is not set"


async def _probe(model: Model, gateway: Gateway) -> str | None:
    try:
        await gateway.complete(
            model, "Reply with OK.", max_tokens=1, temperature=0.0, timeout_s=_PROBE_TIMEOUT_S
        )
    except ModelCallError as err:
        return f"model {model.name!r} at {model.api_base} did not answer: {err.kind}: {err.cause}"
    return None


async def preflight_problems(roles: Roles, names: Iterable[str]) -> list[str]:
    """One line per problem with the models ``names`` resolve to (empty when all is well)."""
    by_model: dict[tuple[str, str | None], tuple[Model, list[str]]] = {}
    for role in names:
        model = roles.resolve(role)
        by_model.setdefault((model.name, model.api_base), (model, []))[1].append(role)
    problems: list[str] = []
    probes: list[tuple[str, Model]] = []
    for model, used_by in by_model.values():
        who = f"role{'s' if len(used_by) > 1 else ''} {', '.join(used_by)}"
        problem = _resolve_problem(model) or _key_problem(model)
        if problem is not None:
            problems.append(f"{who}: {problem}")
        elif model.api_base and not model.is_simulated and model.chat_model is None:
            probes.append((who, model))
    gateway = Gateway(retry=RetryPolicy(max_attempts=2, initial_delay_s=0.2))
    answers = await asyncio.gather(*(_probe(m, gateway) for _, m in probes))
    problems += [f"{who}: {p}" for (who, _), p in zip(probes, answers, strict=True) if p]
    return problems


async def preflight(roles: Roles, names: Iterable[str]) -> None:
    """Check the models ``names`` resolve to; raise when any cannot be used.

    Raises:
        PreflightError: One or more problems (``problems`` lists them, one line each).
    """
    problems = await preflight_problems(roles, names)
    if problems:
        raise PreflightError(problems)
