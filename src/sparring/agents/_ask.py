"""Ask a role for verdicts: call, parse, re-ask once with the parser's complaint, never raise.

A judge that fails (the backend gave up, or the output cannot be read even after one repair)
yields an unscored verdict with the reason, so one bad call never takes a graph down and an
unreadable judgment never turns into a low score.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from sparring.agents._verdict import Verdict, VerdictKind
from sparring.errors import ModelCallError
from sparring.models import ChatMessage, ModelLike, Roles
from sparring.prompts import load_prompt

__all__ = ["VerdictParser", "ask_verdicts", "reask_once", "verdict_counts"]

VerdictParser = Callable[[str], Verdict]
_REPAIRABLE = ("parse_failure", "conflicting_verdicts")


async def reask_once(
    roles: Roles,
    role: str,
    messages: Sequence[ChatMessage],
    raw: str,
    problem: str,
    *,
    model: ModelLike | None = None,
) -> str | None:
    """The one repair turn every reader uses: show the output, name what was missing, ask again.

    Args:
        roles: The role bindings.
        role: The role that wrote ``raw``.
        messages: The prompt ``raw`` answered.
        raw: The output that could not be read.
        problem: What the parser missed and what it expects (goes into ``common/repair``).
        model: An explicit model for this call.

    Returns:
        The new output's text (at temperature 0), or None when the call failed: the caller
        keeps its first reading.
    """
    follow_up = load_prompt("common/repair").render(problem=problem)
    retry: list[ChatMessage] = [*messages, {"role": "assistant", "content": raw}, *follow_up]
    try:
        result = await roles.complete(role, retry, model=model, temperature=0.0)
    except ModelCallError:
        return None
    return result.text


async def _repair(
    roles: Roles,
    role: str,
    messages: Sequence[ChatMessage],
    first: Verdict,
    parse: VerdictParser,
    model: ModelLike | None,
) -> Verdict:
    problem = first.detail or "no verdict found"
    text = await reask_once(roles, role, messages, first.raw, problem, model=model)
    second = parse(text) if text is not None else first
    return second if second.is_scored else first


async def ask_verdicts(
    roles: Roles,
    role: str,
    messages: Sequence[ChatMessage],
    parse: VerdictParser,
    *,
    kind: VerdictKind,
    n: int = 1,
    model: ModelLike | None = None,
    repair: bool = True,
    **sampling: Any,
) -> list[Verdict]:
    """``n`` verdicts from ``role`` for ``messages`` (unscored ones carry their reason).

    Args:
        roles: The role bindings.
        role: The role to ask.
        messages: The rendered prompt.
        parse: Turns one output into a ``Verdict``.
        kind: The verdict kind (for backend-error verdicts).
        n: Samples.
        model: An explicit model for this call.
        repair: Re-ask once, with the parser's complaint, when an output cannot be read.
        **sampling: Call options (``temperature``, ``seed``, ...).
    """
    try:
        result = await roles.complete(role, messages, model=model, n=n, **sampling)
    except ModelCallError as err:
        return [Verdict.unscored(kind, "backend_error", detail=str(err)) for _ in range(n)]
    verdicts = [parse(text) for text in result.texts]
    if not repair:
        return verdicts
    fixes = [
        _repair(roles, role, messages, v, parse, model)
        for v in verdicts
        if not v.is_scored and v.reason in _REPAIRABLE
    ]
    fixed = iter(await asyncio.gather(*fixes))
    return [next(fixed) if not v.is_scored and v.reason in _REPAIRABLE else v for v in verdicts]


def verdict_counts(role: str, verdicts: Sequence[Verdict]) -> dict[str, dict[str, int]]:
    """A state update counting verdicts asked and unscored for ``role``."""
    unscored = sum(not v.is_scored for v in verdicts)
    return {"judged": {role: len(verdicts)}, "unscored": {role: unscored}}
