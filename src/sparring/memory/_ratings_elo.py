"""Classic online Elo over a sequence of battles."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sparring.memory._ratings_battle import Battle, collect_battles, item_ids
from sparring.memory._ratings_bt import rank

__all__ = ["EloRatings", "elo"]


@dataclass(frozen=True)
class EloRatings:
    """Ratings after playing a sequence of battles through online Elo (mappings read-only).

    Attributes:
        ratings: Rating per item.
        ranking: Ids, best first; equal ratings (to 12 decimals) are ordered by id.
        n_battles: Number of battles played.
        k: The K-factor used.
        scale: Rating gap that means 10:1 odds (400 in chess).
    """

    ratings: Mapping[str, float]
    ranking: tuple[str, ...]
    n_battles: int
    k: float
    scale: float

    @property
    def items(self) -> tuple[str, ...]:
        """All rated ids, sorted."""
        return tuple(sorted(self.ratings))

    def win_probability(self, a: str, b: str) -> float:
        """Elo's expected score of ``a`` against ``b``: ``1 / (1 + 10^((R_b - R_a) / scale))``.

        Raises:
            KeyError: If either id was not rated.
        """
        for x in (a, b):
            if x not in self.ratings:
                raise KeyError(f"unknown item {x!r}; rated items: {list(self.items)}")
        return _expected(self.ratings[a], self.ratings[b], self.scale)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (for events, the run store and exports)."""
        return {
            "method": "elo",
            "ratings": dict(self.ratings),
            "ranking": list(self.ranking),
            "n_battles": self.n_battles,
            "k": self.k,
            "scale": self.scale,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EloRatings:
        """Rebuild ratings from `to_dict` output."""
        return cls(
            ratings={str(x): float(r) for x, r in data["ratings"].items()},
            ranking=tuple(data["ranking"]),
            n_battles=int(data["n_battles"]),
            k=float(data["k"]),
            scale=float(data["scale"]),
        )


def elo(
    battles: Iterable[Battle],
    *,
    k: float = 32.0,
    initial: float = 1000.0,
    scale: float = 400.0,
    start: Mapping[str, float] | None = None,
    items: Iterable[str] | None = None,
) -> EloRatings:
    """Play ``battles`` in order through classic online Elo.

    For each battle the first item's expected score is
    ``E = 1 / (1 + 10^((R_second - R_first) / scale))`` and its actual score ``S`` is 1 for a win,
    0 for a loss and 0.5 for a tie; the first item gains ``k · weight · (S - E)`` and the second
    item loses the same amount (ratings are zero-sum). A tie therefore moves the two ratings
    toward each other.

    Unlike `bradley_terry`, the result depends on the order of the battles (recent battles count
    more) and is not a maximum-likelihood fit; prefer `bradley_terry` to rank a fixed batch, and
    use this for a running rating that is updated as battles arrive.

    Args:
        battles: The battles, in the order they happened; consumed once.
        k: K-factor (>= 0): the largest change one battle of weight 1 can make.
        initial: Rating of an item not in ``start``.
        scale: Rating gap that means 10:1 odds (> 0).
        start: Ratings to continue from (e.g. a previous result's ``ratings``).
        items: Extra ids to rate even if they never battled (they keep their start rating).

    Returns:
        The ratings after the last battle.

    Raises:
        ValueError: On no battles or an out-of-range argument.
        TypeError: If an element of ``battles`` is not a `Battle`.
    """
    data = collect_battles(battles, "elo")
    for name, value in (("k", k), ("initial", initial), ("scale", scale)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
    if k < 0 or scale <= 0:
        raise ValueError(f"need k >= 0 and scale > 0, got k={k!r}, scale={scale!r}")
    base = dict(start or {})
    ratings = {x: float(base.get(x, initial)) for x in item_ids(data, [*base, *(items or ())])}
    for b in data:
        expected = _expected(ratings[b.first], ratings[b.second], scale)
        actual = {"first": 1.0, "second": 0.0, "tie": 0.5}[b.outcome]
        delta = k * b.weight * (actual - expected)
        ratings[b.first] += delta
        ratings[b.second] -= delta
    return EloRatings(
        ratings=ratings,
        ranking=rank(ratings),
        n_battles=len(data),
        k=k,
        scale=scale,
    )


def _expected(r_a: float, r_b: float, scale: float) -> float:
    """Expected score of a player rated ``r_a`` against one rated ``r_b``."""
    exponent = min(max((r_b - r_a) / scale, -300.0), 300.0)  # no OverflowError on absurd gaps
    return 1.0 / (1.0 + math.pow(10.0, exponent))
