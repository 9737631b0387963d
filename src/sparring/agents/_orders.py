"""Both-order pairwise judging: combine the verdicts of (A, B) and of the swapped (B, A).

A pairwise judge is asked twice: once with the original order and once with the two
responses swapped, so that in the second call the judge's "A" is the original B.
``combine_orders`` maps the swapped verdict back to the original labels and applies the
MT-Bench consistency rule:

=================================  ======================  ==============  =======
first (orig.)  swapped (orig.)     choice                  swap_agreement  flipped
=================================  ======================  ==============  =======
A              A                   A                       True            False
B              B                   B                       True            False
tie            tie                 tie                     True            False
A              B (or B, A)         tie (a flip)            False           True
A or B         tie (or the mirror) tie, or the win when    False           False
                                   ``tie_on_partial=False``
either unscored                    None (unscored)         None            False
=================================  ======================  ==============  =======

One order tie and the other a win is a *partial* agreement. It is a tie by default
(conservative: a win must hold in both orders, as in MT-Bench); with
``tie_on_partial=False`` it is a weak win for the response that won in one order.
``strength`` is ``strong`` only when both orders state a strong win for the same response.
"""

from __future__ import annotations

from typing import Literal, Self, overload

from pydantic import BaseModel, ConfigDict, model_validator

from sparring.agents._verdict import Choice, Strength, UnscoredReason, Verdict, VerdictStatus

__all__ = ["PairOutcome", "combine_orders", "swap_choice"]


@overload
def swap_choice(choice: Choice) -> Choice: ...
@overload
def swap_choice(choice: None) -> None: ...
def swap_choice(choice: Choice | None) -> Choice | None:
    """Map a choice made on swapped responses back to the original labels (A<->B)."""
    if choice == "A":
        return "B"
    if choice == "B":
        return "A"
    return choice


class PairOutcome(BaseModel):
    """The combined result of judging a pair in both orders, in the original labels.

    Attributes:
        kind: ``pairwise`` or ``meta``, as the two verdicts.
        status: ``scored`` when both orders were scored, else ``unscored``.
        choice: ``A``, ``B`` or ``tie`` in the original labels; ``None`` when unscored.
        reason: Why it is unscored (the first order's reason, else the swapped one's).
        swap_agreement: Both orders scored and gave the same choice; ``None`` when unscored.
        flipped: Each order picked a different response (A then B, or B then A).
        first: The first order's choice (original labels), if scored.
        second: The swapped order's choice mapped to the original labels, if scored.
        strength: ``strong``/``weak`` for a win where the orders state one, else ``None``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["pairwise", "meta"]
    status: VerdictStatus
    choice: Choice | None = None
    reason: UnscoredReason | None = None
    swap_agreement: bool | None = None
    flipped: bool = False
    first: Choice | None = None
    second: Choice | None = None
    strength: Strength | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.status == "scored" and (self.choice is None or self.reason is not None):
            raise ValueError("a scored outcome has a choice and no reason")
        if self.status == "unscored" and (
            self.reason is None or self.choice is not None or self.swap_agreement is not None
        ):
            raise ValueError("an unscored outcome has a reason, no choice, no swap agreement")
        if self.strength is not None and self.choice in (None, "tie"):
            raise ValueError("only a win has a strength")
        return self

    @property
    def is_scored(self) -> bool:
        """Whether both orders were scored."""
        return self.status == "scored"


def _kind(first: Verdict, swapped: Verdict) -> Literal["pairwise", "meta"]:
    if first.kind != swapped.kind or first.kind == "pointwise":
        raise ValueError(
            f"combine_orders needs two pairwise or two meta verdicts, not {first.kind} "
            f"and {swapped.kind}"
        )
    return "meta" if first.kind == "meta" else "pairwise"


def _win_strength(a: Verdict, b: Verdict) -> Strength | None:
    if a.strength is None or b.strength is None:
        return a.strength or b.strength
    return "strong" if a.strength == b.strength == "strong" else "weak"


def combine_orders(first: Verdict, swapped: Verdict, *, tie_on_partial: bool = True) -> PairOutcome:
    """Combine the verdicts of both presentation orders into one outcome.

    Args:
        first: The verdict on (A, B).
        swapped: The verdict on (B, A); its "A" means the original B.
        tie_on_partial: When one order is a tie and the other a win, return a tie (default)
            instead of a weak win.

    Returns:
        The outcome in the original labels (rules in the module docstring).

    Raises:
        ValueError: The verdicts are pointwise or of different kinds.
    """
    kind = _kind(first, swapped)
    if first.choice is None or swapped.choice is None:
        reason = first.reason if first.choice is None else swapped.reason
        return PairOutcome(kind=kind, status="unscored", reason=reason or "parse_failure")
    a, b = first.choice, swap_choice(swapped.choice)
    if a == b:
        strength = None if a == "tie" else _win_strength(first, swapped)
        return _scored(kind, a, b, a, agreement=True, strength=strength)
    if "tie" not in (a, b):
        return _scored(kind, a, b, "tie", agreement=False, flipped=True)
    if tie_on_partial:
        return _scored(kind, a, b, "tie", agreement=False)
    return _scored(kind, a, b, a if a != "tie" else b, agreement=False, strength="weak")


def _scored(
    kind: Literal["pairwise", "meta"],
    first: Choice,
    second: Choice,
    choice: Choice,
    *,
    agreement: bool,
    flipped: bool = False,
    strength: Strength | None = None,
) -> PairOutcome:
    return PairOutcome(
        kind=kind,
        status="scored",
        choice=choice,
        swap_agreement=agreement,
        flipped=flipped,
        first=first,
        second=second,
        strength=strength,
    )
