"""Pieces the judging graphs share: judgments as state, counters, provenance, option checks.

The judging graphs (``pairwise-judge``, ``eval-planner``, ``tpo``, ``branch-solve-merge``)
keep every judgment in state as plain JSON (``Verdict.model_dump()``), count verdicts and
swaps the same way, and stamp the records they emit with the same provenance.

Swap counting: ``swaps`` counts the comparisons whose two orders were both scored (the only
ones where swap agreement is defined), and ``swap_agreed`` those whose orders agreed, so
``swap_agreed / swaps`` is the positional agreement rate. A comparison left unscored in either
order is counted in ``unscored``, not in ``swaps``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from typing_extensions import TypedDict

from sparring.agents import (
    GSM8K_FORMAT,
    OPEN_FORMAT,
    PairJudgment,
    PairOutcome,
    Verdict,
    combine_orders,
    verdict_counts,
)
from sparring.errors import ConfigError
from sparring.graphs._nodes import add_traced
from sparring.graphs._options import check_choice
from sparring.models import ChatMessage, Roles
from sparring.records import RecordRefused, make_pair

__all__ = [
    "OPEN_FORMAT",
    "JudgmentState",
    "add_traced",
    "answer_format_for",
    "check_choice",
    "flatten_messages",
    "judgment_state",
    "judgment_update",
    "outcome_pair",
    "provenance",
    "recombine",
    "require_text",
    "swap_update",
]


"""The answer format for items without a gold answer (open instructions)."""


class JudgmentState(TypedDict):
    """A comparison of two responses as plain data.

    Attributes:
        first: The verdict on (A, B), as ``Verdict.model_dump()``.
        swapped: The verdict on (B, A), or None when judged in one order (or not at all).
        outcome: The combined outcome in the original labels, as ``PairOutcome.model_dump()``.
    """

    first: dict[str, Any]
    swapped: dict[str, Any] | None
    outcome: dict[str, Any]


def judgment_state(judgment: PairJudgment) -> JudgmentState:
    """``judgment`` as plain JSON data for the graph state."""
    return {
        "first": judgment.first.model_dump(),
        "swapped": None if judgment.swapped is None else judgment.swapped.model_dump(),
        "outcome": judgment.outcome.model_dump(),
    }


def recombine(judgment: PairJudgment, *, tie_on_partial: bool) -> PairJudgment:
    """``judgment`` with its orders combined under ``tie_on_partial`` (one order: unchanged)."""
    if judgment.swapped is None or tie_on_partial:
        return judgment
    outcome = combine_orders(judgment.first, judgment.swapped, tie_on_partial=False)
    return PairJudgment(first=judgment.first, swapped=judgment.swapped, outcome=outcome)


def swap_update(outcome: PairOutcome) -> dict[str, int]:
    """``swaps``/``swap_agreed`` for one combined comparison (empty when undefined)."""
    if outcome.swap_agreement is None:
        return {}
    return {"swaps": 1, "swap_agreed": int(outcome.swap_agreement)}


def judgment_update(role: str, judgments: Iterable[PairJudgment]) -> dict[str, Any]:
    """Verdict and swap counters for ``judgments`` made by ``role``, as one state update."""
    verdicts: list[Verdict] = []
    swaps = agreed = 0
    for judgment in judgments:
        verdicts += judgment.verdicts
        counted = swap_update(judgment.outcome)
        swaps += counted.get("swaps", 0)
        agreed += counted.get("swap_agreed", 0)
    update: dict[str, Any] = dict(verdict_counts(role, verdicts))
    if swaps:
        update.update(swaps=swaps, swap_agreed=agreed)
    return update


def provenance(state: Mapping[str, Any], roles: Roles, role_names: Sequence[str]) -> dict[str, Any]:
    """The ``models``, ``seed`` and ``item_id`` every record of an item carries.

    The seed is that of the first role's model (the simulator's seed under ``Roles.sim``).
    """
    models = {role: roles.resolve(role).name for role in role_names}
    seed = roles.resolve(role_names[0]).seed if role_names else None
    return {"models": models, "seed": seed, "item_id": state.get("item_id")}


def outcome_pair(
    prompt: str,
    response_a: str,
    response_b: str,
    outcome: PairOutcome,
    *,
    technique: str,
    meta: Mapping[str, Any],
) -> dict[str, Any]:
    """A preference-pair state update from a combined outcome, or the refusal counted.

    A win gives the pair (winner chosen); a tie is refused as ``tie`` and an unscored outcome
    as ``unscored``.
    """
    if not outcome.is_scored:
        return {"refused": {"unscored": 1}}
    won_a = outcome.choice == "A"
    chosen, rejected = (response_a, response_b) if won_a else (response_b, response_a)
    extra = {**meta.get("extra", {}), "outcome": outcome.model_dump()}
    try:
        pair = make_pair(
            prompt,
            chosen,
            rejected,
            technique=technique,
            tie=outcome.choice == "tie",
            swap_agreement=outcome.swap_agreement,
            **{**meta, "extra": extra},
        )
    except RecordRefused as exc:
        return {"refused": {exc.reason: 1}}
    return {"pairs": [pair]}


def flatten_messages(messages: Sequence[ChatMessage]) -> str:
    """A rendered prompt as one string (message contents, blank-line separated)."""
    return "\n\n".join(m["content"] for m in messages)


def require_text(state: Mapping[str, Any], key: str, technique: str) -> str:
    """The input field ``key`` as a string; ``ConfigError`` when it is missing or not text."""
    value = state.get(key)
    if not isinstance(value, str):
        raise ConfigError(f"{technique}: the input needs a text field {key!r}")
    return value


def answer_format_for(state: Mapping[str, Any], override: str | None) -> str:
    """``override``, else the GSM8K answer line when the item has a gold answer, else open."""
    if override is not None:
        return override
    return GSM8K_FORMAT if state.get("answer") not in (None, "") else OPEN_FORMAT
