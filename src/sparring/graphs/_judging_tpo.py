"""TPO pieces: splitting an output into thought and reply, and turning judgments into scores."""

from __future__ import annotations

import statistics
from typing import Literal

from typing_extensions import TypedDict

from sparring.agents import Verdict
from sparring.memory.ratings import Battle, bradley_terry

__all__ = [
    "BattleRecord",
    "TpoCandidate",
    "battle_outcome",
    "bt_scores",
    "make_candidate",
    "split_thought",
    "zscores",
]


class TpoCandidate(TypedDict):
    """One actor output.

    Attributes:
        index: The sample index.
        text: The whole output (notes, separator, reply).
        thought: The notes (None when the output cannot be split).
        response: The reply the judge sees (None when the output cannot be split).
    """

    index: int
    text: str
    thought: str | None
    response: str | None


class BattleRecord(TypedDict):
    """One single-order pairwise verdict between two replies (by candidate index)."""

    first: int
    second: int
    outcome: Literal["first", "second", "tie"]


def split_thought(text: str, separator: str) -> tuple[str, str] | None:
    r"""``(thought, reply)`` split at the one separator; None when it cannot be split.

    Example:
        >>> split_thought("notes\n<<<REPLY>>>\nHello.", "<<<REPLY>>>")
        ('notes', 'Hello.')
        >>> split_thought("Hello.", "<<<REPLY>>>") is None
        True
    """
    if text.count(separator) != 1:
        return None
    thought, reply = (part.strip() for part in text.split(separator))
    return (thought, reply) if reply else None


def make_candidate(index: int, text: str, separator: str) -> TpoCandidate:
    """The candidate for output ``index``, split at ``separator`` when it can be."""
    split = split_thought(text, separator)
    thought, reply = split if split is not None else (None, None)
    return {"index": index, "text": text, "thought": thought, "response": reply}


def zscores(values: dict[int, float]) -> dict[int, float]:
    """``(x - mean) / sd`` per key; all 0 when fewer than two values or no spread."""
    if len(values) < 2:
        return dict.fromkeys(values, 0.0)
    mean, sd = statistics.fmean(values.values()), statistics.pstdev(values.values())
    return {k: (v - mean) / sd if sd > 0 else 0.0 for k, v in values.items()}


def bt_scores(battles: list[BattleRecord]) -> dict[int, float]:
    """Bradley-Terry strength per candidate that took part in a scored battle."""
    if not battles:
        return {}
    fitted = bradley_terry(Battle(str(b["first"]), str(b["second"]), b["outcome"]) for b in battles)
    return {int(item): score for item, score in fitted.scores.items()}


def battle_outcome(verdict: Verdict) -> Literal["first", "second", "tie"] | None:
    """A single-order verdict as a battle outcome; None when unscored."""
    if not verdict.is_scored:
        return None
    return "first" if verdict.choice == "A" else "second" if verdict.choice == "B" else "tie"
