"""FOBAR helpers: masking numbers in a question, reading backward answers, combining votes."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from typing_extensions import TypedDict

from sparring.graphs._reasoning_common import VoteBucket

__all__ = [
    "BackwardResult",
    "CandidateScore",
    "Mask",
    "combine_scores",
    "mask_numbers",
    "parse_backward",
    "unknown_symbol",
]

EPSILON = 1e-8
"""Smoothing of the backward counts before they are normalised (as in the FOBAR code)."""

_NUMBER_RE = re.compile(r"(?<![\w.,])\d+(?:\.\d+)?(?![\w,]|\.\d)")
_SYMBOLS = ("x", "y", "z", "w")


class Mask(TypedDict):
    """A backward question: the prompt with one number replaced by an unknown.

    Attributes:
        index: Which number of the prompt (0 = first) was masked.
        question: The masked prompt.
        value: The masked number as written.
        symbol: The unknown's name.
    """

    index: int
    question: str
    value: str
    symbol: str


class BackwardResult(TypedDict):
    """The backward samples for one (candidate answer, mask).

    Attributes:
        candidate: The candidate's position in the vote buckets.
        answer: The candidate answer.
        mask: The mask's index.
        predictions: The unknown's value read from each sample (None when unreadable).
        hits: Samples that recovered the masked number.
        total: Samples that could be read.
        failed: Whether the call failed (then nothing counts).
    """

    candidate: int
    answer: str
    mask: int
    predictions: list[str | None]
    hits: int
    total: int
    failed: bool


class CandidateScore(TypedDict):
    """How one candidate answer fared forward and backward.

    Attributes:
        answer: The candidate answer.
        votes: Forward samples that gave it.
        forward: Its forward probability (share of the answered forward samples).
        hits: Backward samples, over all masks, that recovered the masked number.
        backward: Its smoothed, normalised backward probability.
        score: ``forward**alpha * backward**(1 - alpha)``.
    """

    answer: str
    votes: int
    forward: float
    hits: int
    backward: float
    score: float


def unknown_symbol(text: str) -> str | None:
    """A one-letter unknown that does not already appear as a word in ``text``."""
    return next((s for s in _SYMBOLS if not re.search(rf"\b{s}\b", text)), None)


def mask_numbers(text: str, limit: int | None = None) -> list[Mask]:
    """One masked copy of ``text`` per number in it (at most ``limit``, first ones first).

    Numbers inside words or thousands-separated numbers are left alone; no masks at all when
    every candidate unknown symbol is already used in the text.
    """
    symbol = unknown_symbol(text)
    if symbol is None:
        return []
    out: list[Mask] = []
    for i, match in enumerate(_NUMBER_RE.finditer(text)):
        if limit is not None and len(out) >= limit:
            break
        masked = text[: match.start()] + symbol + text[match.end() :]
        out.append({"index": i, "question": masked, "value": match.group(0), "symbol": symbol})
    return out


def parse_backward(text: str, symbol: str) -> str | None:
    """The value on the last "The value of <symbol> is N" line, or None."""
    pattern = rf"value of {re.escape(symbol)} is\s*\$?\s*(-?[\d,]*\.?\d+)"
    found = re.findall(pattern, text, re.IGNORECASE)
    return found[-1].replace(",", "") if found else None


def combine_scores(
    candidates: Sequence[VoteBucket],
    results: Sequence[BackwardResult],
    alpha: float,
) -> list[CandidateScore]:
    """Combine forward votes and backward hits per candidate (FOBAR's weighting).

    ``P_F`` is a candidate's share of the candidates' forward votes; ``P_B`` is its backward
    hits plus ``EPSILON``, normalised over the candidates; the score is
    ``P_F**alpha * P_B**(1 - alpha)``. With no backward hit anywhere ``P_B`` is uniform and
    the forward votes decide.
    """
    votes = sum(c["count"] for c in candidates) or 1
    hits = [sum(r["hits"] for r in results if r["candidate"] == i) for i in range(len(candidates))]
    norm = sum(h + EPSILON for h in hits)
    out: list[CandidateScore] = []
    for cand, h in zip(candidates, hits, strict=True):
        forward, backward = cand["count"] / votes, (h + EPSILON) / norm
        score = math.exp(alpha * math.log(forward) + (1 - alpha) * math.log(backward))
        out.append(
            {
                "answer": cand["answer"],
                "votes": cand["count"],
                "forward": forward,
                "hits": h,
                "backward": backward,
                "score": score,
            }
        )
    return out
