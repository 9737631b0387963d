"""The three-outcome verdict: a judge's result is scored, or unscored with a reason.

A ``Verdict`` is what every judge, pairwise judge and meta-judge call produces. It is either
``scored`` (a pointwise ``score``, or a pairwise/meta ``choice``) or ``unscored`` with a
``reason`` (parse failure, refusal, backend error, degenerate candidate, conflicting verdicts)
and, for parse failures, a ``detail`` that says what the parser expected; the graphs send that
detail back to the judge once as a repair hint.

An unscored verdict is never a number. It has no score and no choice, it cannot be converted
with ``float()`` or ``int()`` and takes part in no arithmetic or ordering; read it with
:meth:`Verdict.value_or_none` (``None`` when unscored) or with :meth:`Verdict.require_score` /
:meth:`Verdict.require_choice`, which raise :class:`UnscoredVerdictError`. Never write
``verdict.score or 0``: that is exactly the bug that turns "the judge failed" into "the judge
said bad".

Example:
    >>> from sparring.agents import Verdict
    >>> Verdict.from_score(4.0).value_or_none()
    4.0
    >>> failed = Verdict.unscored("pointwise", "refusal", raw="I cannot evaluate this.")
    >>> failed.value_or_none() is None
    True
"""

from __future__ import annotations

import math
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from sparring.errors import UnscoredVerdictError

__all__ = [
    "Choice",
    "Strength",
    "UnscoredReason",
    "UnscoredVerdictError",
    "Verdict",
    "VerdictKind",
    "VerdictStatus",
]

VerdictKind = Literal["pointwise", "pairwise", "meta"]
"""What was judged: one response (pointwise), two responses (pairwise), two judgments (meta)."""

VerdictStatus = Literal["scored", "unscored"]
"""Whether the verdict carries a value."""

Choice = Literal["A", "B", "tie"]
"""A pairwise or meta choice, in the labels the judge saw."""

Strength = Literal["strong", "weak"]
"""How strongly a pairwise win was stated (Arena-Hard ``>>`` is strong, ``>`` weak)."""

UnscoredReason = Literal[
    "parse_failure",
    "refusal",
    "backend_error",
    "degenerate_candidate",
    "conflicting_verdicts",
]
"""Why a verdict carries no value."""


def _scored_problem(v: Verdict) -> str | None:
    if v.reason is not None or v.detail is not None:
        return "a scored verdict has no reason and no detail"
    if v.kind == "pointwise":
        if v.score is None:
            return "a scored pointwise verdict needs a score"
        if v.choice is not None or v.strength is not None:
            return "a pointwise verdict has no choice and no strength"
        return None
    if v.choice is None:
        return f"a scored {v.kind} verdict needs a choice"
    if v.score is not None:
        return f"a {v.kind} verdict has no score"
    if v.strength is not None and v.choice == "tie":
        return "a tie has no strength"
    return None


def _unscored_problem(v: Verdict) -> str | None:
    if v.reason is None:
        return "an unscored verdict needs a reason"
    if v.score is not None or v.choice is not None or v.strength is not None:
        return "an unscored verdict has no score, no choice and no strength"
    return None


class Verdict(BaseModel):
    """One judge result: scored with a value, or unscored with a reason.

    Attributes:
        kind: ``pointwise``, ``pairwise`` or ``meta``.
        status: ``scored`` or ``unscored``.
        score: The pointwise score (scored pointwise verdicts only), clipped to the scale.
        choice: ``A``, ``B`` or ``tie`` in the labels the judge saw (scored pairwise and
            meta verdicts only).
        reasoning: The judge's text before its verdict line, trimmed (the whole trimmed
            output when unscored).
        raw: The judge's whole output, unchanged.
        reason: Why the verdict is unscored (unscored verdicts only).
        detail: What the parser expected, phrased so it can be sent back to the judge as a
            repair hint (unscored verdicts only, optional).
        strength: ``strong`` for ``A>>B``, ``weak`` for ``A>B`` (pairwise/meta wins in a
            format that states strength; otherwise ``None``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: VerdictKind
    status: VerdictStatus
    score: float | None = None
    choice: Choice | None = None
    reasoning: str = ""
    raw: str = ""
    reason: UnscoredReason | None = None
    detail: str | None = None
    strength: Strength | None = None

    @field_validator("score", mode="before")
    @classmethod
    def _finite_number(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("a score must be a number, not a bool")
        if isinstance(value, int | float) and not math.isfinite(value):
            raise ValueError("a score must be finite")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problem = _scored_problem(self) if self.status == "scored" else _unscored_problem(self)
        if problem is not None:
            raise ValueError(problem)
        return self

    @classmethod
    def from_score(cls, score: float, *, reasoning: str = "", raw: str = "") -> Verdict:
        """A scored pointwise verdict."""
        return cls(kind="pointwise", status="scored", score=score, reasoning=reasoning, raw=raw)

    @classmethod
    def from_choice(
        cls,
        kind: Literal["pairwise", "meta"],
        choice: Choice,
        *,
        strength: Strength | None = None,
        reasoning: str = "",
        raw: str = "",
    ) -> Verdict:
        """A scored pairwise or meta verdict."""
        return cls(
            kind=kind,
            status="scored",
            choice=choice,
            strength=strength,
            reasoning=reasoning,
            raw=raw,
        )

    @classmethod
    def unscored(
        cls,
        kind: VerdictKind,
        reason: UnscoredReason,
        raw: str = "",
        *,
        detail: str | None = None,
        reasoning: str | None = None,
    ) -> Verdict:
        """An unscored verdict.

        Args:
            kind: What was being judged.
            reason: Why there is no value.
            raw: The judge's whole output (empty when there was none, e.g. a backend error).
            detail: What the parser expected, or the error text.
            reasoning: The judge's reasoning; defaults to ``raw`` trimmed.
        """
        return cls(
            kind=kind,
            status="unscored",
            reason=reason,
            raw=raw,
            detail=detail,
            reasoning=raw.strip() if reasoning is None else reasoning,
        )

    @property
    def is_scored(self) -> bool:
        """Whether the verdict carries a value."""
        return self.status == "scored"

    def value_or_none(self) -> float | Choice | None:
        """The score (pointwise) or the choice (pairwise, meta); ``None`` when unscored."""
        if self.status == "unscored":
            return None
        return self.score if self.kind == "pointwise" else self.choice

    def require_score(self) -> float:
        """The pointwise score.

        Raises:
            UnscoredVerdictError: The verdict is unscored.
            TypeError: The verdict is not pointwise.
        """
        if self.kind != "pointwise":
            raise TypeError(f"a {self.kind} verdict has a choice, not a score")
        if self.score is None:
            raise UnscoredVerdictError(f"the verdict is unscored ({self.reason})")
        return self.score

    def require_choice(self) -> Choice:
        """The pairwise or meta choice.

        Raises:
            UnscoredVerdictError: The verdict is unscored.
            TypeError: The verdict is pointwise.
        """
        if self.kind == "pointwise":
            raise TypeError("a pointwise verdict has a score, not a choice")
        if self.choice is None:
            raise UnscoredVerdictError(f"the verdict is unscored ({self.reason})")
        return self.choice
