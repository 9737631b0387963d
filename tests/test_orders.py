"""combine_orders: both-order pairwise judging in the original labels."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import ValidationError

from sparring.agents import (
    Choice,
    PairOutcome,
    Strength,
    UnscoredReason,
    Verdict,
    combine_orders,
    parse_verdict,
    swap_choice,
)


def _v(
    choice: Choice, strength: Strength | None = None, kind: Literal["pairwise", "meta"] = "pairwise"
) -> Verdict:
    return Verdict.from_choice(kind, choice, strength=strength)


def _failed(
    reason: UnscoredReason = "parse_failure", kind: Literal["pairwise", "meta"] = "pairwise"
) -> Verdict:
    return Verdict.unscored(kind, reason, "no verdict here")


def test_swap_choice() -> None:
    assert swap_choice("A") == "B"
    assert swap_choice("B") == "A"
    assert swap_choice("tie") == "tie"
    assert swap_choice(None) is None


# (first order's choice, swapped order's choice as the judge wrote it,
#  expected choice, swap_agreement, flipped)
CASES = [
    ("consistent-a", "A", "B", "A", True, False),
    ("consistent-b", "B", "A", "B", True, False),
    ("consistent-tie", "tie", "tie", "tie", True, False),
    ("flip-first-slot", "A", "A", "tie", False, True),
    ("flip-second-slot", "B", "B", "tie", False, True),
    ("partial-win-then-tie", "A", "tie", "tie", False, False),
    ("partial-tie-then-win", "tie", "A", "tie", False, False),
]


@pytest.mark.parametrize(
    ("first", "swapped", "choice", "agreement", "flipped"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_scored_orders(
    first: Choice, swapped: Choice, choice: Choice, agreement: bool, flipped: bool
) -> None:
    outcome = combine_orders(_v(first), _v(swapped))
    assert outcome.status == "scored"
    assert outcome.is_scored
    assert outcome.choice == choice
    assert outcome.swap_agreement is agreement
    assert outcome.flipped is flipped
    assert outcome.first == first
    assert outcome.second == swap_choice(swapped)
    assert outcome.reason is None


def test_partial_agreement_can_be_a_weak_win() -> None:
    outcome = combine_orders(_v("tie"), _v("A"), tie_on_partial=False)
    assert outcome.choice == "B"  # the swapped judge's "A" is the original B
    assert outcome.strength == "weak"
    assert outcome.swap_agreement is False
    assert not outcome.flipped
    outcome = combine_orders(_v("A", "strong"), _v("tie"), tie_on_partial=False)
    assert outcome.choice == "A"
    assert outcome.strength == "weak"


def test_a_flip_is_a_tie_even_without_tie_on_partial() -> None:
    outcome = combine_orders(_v("A"), _v("A"), tie_on_partial=False)
    assert outcome.choice == "tie"
    assert outcome.flipped


def test_strength_needs_both_orders() -> None:
    assert combine_orders(_v("A", "strong"), _v("B", "strong")).strength == "strong"
    assert combine_orders(_v("A", "strong"), _v("B", "weak")).strength == "weak"
    assert combine_orders(_v("A"), _v("B")).strength is None
    assert combine_orders(_v("B", "weak"), _v("A")).strength == "weak"
    assert combine_orders(_v("A", "strong"), _v("A", "strong")).strength is None  # a flip


@pytest.mark.parametrize(
    ("first", "swapped", "reason"),
    [
        (_failed(), _v("A"), "parse_failure"),
        (_v("B"), _failed("refusal"), "refusal"),
        (_failed("backend_error"), _failed("refusal"), "backend_error"),
        (_v("tie"), _failed("conflicting_verdicts"), "conflicting_verdicts"),
        (_failed("degenerate_candidate"), _v("B"), "degenerate_candidate"),
    ],
)
def test_unscored_orders(first: Verdict, swapped: Verdict, reason: str) -> None:
    outcome = combine_orders(first, swapped)
    assert outcome.status == "unscored"
    assert not outcome.is_scored
    assert outcome.choice is None
    assert outcome.swap_agreement is None
    assert outcome.flipped is False
    assert outcome.reason == reason


def test_meta_verdicts_combine_too() -> None:
    outcome = combine_orders(_v("B", kind="meta"), _v("A", kind="meta"))
    assert outcome.kind == "meta"
    assert outcome.choice == "B"


def test_parsed_outputs_end_to_end() -> None:
    first = parse_verdict("A keeps units right.\n[[A>>B]]", "pairwise")
    swapped = parse_verdict("The second one keeps units right.\n[[B>>A]]", "pairwise")
    outcome = combine_orders(first, swapped)
    assert (outcome.choice, outcome.swap_agreement, outcome.strength) == ("A", True, "strong")
    biased = combine_orders(
        parse_verdict("The first is better.\n[[A]]", "pairwise"),
        parse_verdict("The first is better.\n[[A]]", "pairwise"),
    )
    assert (biased.choice, biased.flipped) == ("tie", True)


def test_mismatched_kinds_are_rejected() -> None:
    with pytest.raises(ValueError, match="pairwise or two meta"):
        combine_orders(_v("A"), _v("A", kind="meta"))
    with pytest.raises(ValueError, match="pairwise or two meta"):
        combine_orders(Verdict.from_score(3), Verdict.from_score(4))


def test_outcome_invariants() -> None:
    with pytest.raises(ValidationError):
        PairOutcome(kind="pairwise", status="scored")
    with pytest.raises(ValidationError):
        PairOutcome(kind="pairwise", status="unscored", reason="refusal", choice="A")
    with pytest.raises(ValidationError):
        PairOutcome(kind="pairwise", status="unscored", reason="refusal", swap_agreement=False)
    with pytest.raises(ValidationError):
        PairOutcome(kind="pairwise", status="scored", choice="tie", strength="weak")
    outcome = combine_orders(_v("A"), _v("B"))
    with pytest.raises(ValidationError):
        outcome.choice = "B"  # type: ignore[misc]
