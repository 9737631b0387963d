"""Battle records, input checks and win tallies shared by the rating methods."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "Battle",
    "Outcome",
    "collect_battles",
    "item_ids",
    "pair_wins",
    "position_weights",
]

Outcome: TypeAlias = Literal["first", "second", "tie"]
_OUTCOMES: frozenset[str] = frozenset(("first", "second", "tie"))


@dataclass(frozen=True, slots=True)
class Battle:
    """One pairwise judgement between two items.

    Attributes:
        first: Id of the item shown to the judge first (position A).
        second: Id of the item shown second (position B).
        outcome: ``"first"`` or ``"second"`` for the item the judge preferred, ``"tie"`` when it
            preferred neither. An unscored verdict (parse failure, refusal) is not a battle:
            leave it out rather than recording a tie.
        weight: Non-negative multiplicity of the battle, e.g. the number of judges who agreed.

    Raises:
        ValueError: On an empty id, an item battling itself, an unknown outcome, or a negative or
            non-finite weight.
    """

    first: str
    second: str
    outcome: Outcome
    weight: float = 1.0

    def __post_init__(self) -> None:
        for name, value in (("first", self.first), ("second", self.second)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"Battle.{name} must be a non-empty string id, got {value!r}")
        if self.first == self.second:
            raise ValueError(f"an item cannot battle itself: {self.first!r}")
        if self.outcome not in _OUTCOMES:
            raise ValueError(
                f"Battle.outcome must be 'first', 'second' or 'tie', got {self.outcome!r}"
            )
        if not math.isfinite(self.weight) or self.weight < 0:
            raise ValueError(f"Battle.weight must be finite and >= 0, got {self.weight!r}")

    @property
    def winner(self) -> str | None:
        """Id of the preferred item, or None for a tie."""
        if self.outcome == "tie":
            return None
        return self.first if self.outcome == "first" else self.second

    @property
    def loser(self) -> str | None:
        """Id of the item not preferred, or None for a tie."""
        if self.outcome == "tie":
            return None
        return self.second if self.outcome == "first" else self.first


def collect_battles(battles: Iterable[Battle], what: str) -> list[Battle]:
    """Materialise ``battles`` and check that it is a non-empty sequence of `Battle`.

    Args:
        battles: Any iterable of battles (it is consumed once).
        what: Name of the calling function, for the error message.

    Returns:
        The battles as a list, in their original order.

    Raises:
        ValueError: If there are no battles.
        TypeError: If an element is not a `Battle`.
    """
    out = list(battles)
    if not out:
        raise ValueError(f"{what}() needs at least one Battle; got none")
    for battle in out:
        if not isinstance(battle, Battle):
            raise TypeError(f"{what}() expects Battle records, got {type(battle).__name__}")
    return out


def item_ids(battles: Iterable[Battle], extra: Iterable[str] | None = None) -> tuple[str, ...]:
    """Sorted ids of every item in ``battles`` plus ``extra``.

    Args:
        battles: The battles.
        extra: Further ids to include even if they never battled.

    Returns:
        The ids, sorted, without duplicates.

    Raises:
        ValueError: If an id in ``extra`` is not a non-empty string.
    """
    ids = {x for b in battles for x in (b.first, b.second)}
    for x in extra or ():
        if not isinstance(x, str) or not x:
            raise ValueError(f"item ids must be non-empty strings, got {x!r}")
        ids.add(x)
    return tuple(sorted(ids))


def position_weights(battles: Iterable[Battle]) -> tuple[float, float]:
    """Meta-Rewarding position weights ``(ω1, ω2)`` for wins as first and as second.

    With ``win_1st`` and ``win_2nd`` the total (weighted) wins of the first-shown and the
    second-shown item, ``ω1 = win_2nd / (win_1st + win_2nd)`` and
    ``ω2 = win_1st / (win_1st + win_2nd)``: wins in the position the judge favours count less.
    A batch without any decisive battle gets ``(0.5, 0.5)``.

    Args:
        battles: The battles of one batch.

    Returns:
        ``(ω1, ω2)``, which sum to 1.
    """
    win_1st = win_2nd = 0.0
    for b in battles:
        if b.outcome == "first":
            win_1st += b.weight
        elif b.outcome == "second":
            win_2nd += b.weight
    total = win_1st + win_2nd
    if total <= 0:
        return 0.5, 0.5
    return win_2nd / total, win_1st / total


def pair_wins(
    battles: Sequence[Battle], weights: tuple[float, float] = (1.0, 1.0)
) -> dict[tuple[str, str], float]:
    """Tally weighted wins per ordered pair; a tie gives each side half its weight.

    Args:
        battles: The battles.
        weights: Multipliers for a win as first and a win as second (ties are not scaled).

    Returns:
        ``{(a, b): wins of a over b}`` for every ordered pair that met (zero entries included, so
        both orders of every pair that met are present).
    """
    wins: dict[tuple[str, str], float] = {}
    for b in battles:
        fs, sf = (b.first, b.second), (b.second, b.first)
        wins.setdefault(fs, 0.0)
        wins.setdefault(sf, 0.0)
        if b.outcome == "first":
            wins[fs] += weights[0] * b.weight
        elif b.outcome == "second":
            wins[sf] += weights[1] * b.weight
        else:
            wins[fs] += 0.5 * b.weight
            wins[sf] += 0.5 * b.weight
    return wins
