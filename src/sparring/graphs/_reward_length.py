"""Length-controlled choice of an actor preference pair (the Meta-Rewarding tier rule).

With ``S_max`` and ``S_min`` the best and worst mean scores of the candidates and ``rho`` in
[0, 1], the chosen response is the *shortest* one whose score lies in the top tier
``[(1 - rho) * S_max + rho * S_min, S_max]`` and the rejected response is the *longest* one whose
score lies in the bottom tier ``[S_min, (1 - rho) * S_min + rho * S_max]``. ``rho = 0`` is the
plain best-versus-worst choice (length only breaks ties between equal scores); a larger ``rho``
trades score for brevity, which keeps a DPO loop from rewarding ever longer answers.

Example:
    >>> length_controlled_pair([4.0, 3.7, 2.0], [900, 300, 500], rho=0.0)
    (0, 2)
    >>> length_controlled_pair([4.0, 3.7, 2.0], [900, 300, 500], rho=0.4)
    (1, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["length_controlled_pair"]

_EPS = 1e-9


def _check(scores: Sequence[float], lengths: Sequence[int], rho: float) -> None:
    if len(scores) != len(lengths):
        raise ValueError(
            f"scores and lengths must have the same size, got {len(scores)} and {len(lengths)}"
        )
    if not (isinstance(rho, int | float) and 0.0 <= rho <= 1.0):
        raise ValueError(f"rho must be a number in [0, 1], got {rho!r}")
    if any(not math.isfinite(s) for s in scores):
        raise ValueError("scores must be finite numbers")
    if any(n < 0 for n in lengths):
        raise ValueError("lengths must be >= 0")


def length_controlled_pair(
    scores: Sequence[float], lengths: Sequence[int], rho: float
) -> tuple[int, int] | None:
    """Pick (chosen, rejected) indices with the Meta-Rewarding length-control tier rule.

    Ties are broken deterministically: among equally short chosen candidates the higher score,
    then the lower index wins; among equally long rejected candidates the lower score, then the
    lower index is taken.

    Args:
        scores: Mean score of each candidate.
        lengths: Length of each candidate (characters).
        rho: Tier width in [0, 1]; 0 picks the best and the worst score.

    Returns:
        ``(chosen, rejected)`` indices into ``scores``, or ``None`` when there is no pair: fewer
        than two candidates, all scores equal, or (for ``rho`` of 0.5 and above) tiers so wide
        that the picks coincide or the chosen one does not score strictly above the rejected one.

    Raises:
        ValueError: Sizes differ, ``rho`` is outside [0, 1], a score is not finite or a length
            is negative.
    """
    _check(scores, lengths, rho)
    if len(scores) < 2:
        return None
    top, bottom = max(scores), min(scores)
    if top - bottom <= _EPS:
        return None
    top_floor = (1.0 - rho) * top + rho * bottom
    bottom_ceiling = (1.0 - rho) * bottom + rho * top
    upper = [i for i, s in enumerate(scores) if s >= top_floor - _EPS]
    lower = [i for i, s in enumerate(scores) if s <= bottom_ceiling + _EPS]
    chosen = min(upper, key=lambda i: (lengths[i], -scores[i], i))
    rejected = min(lower, key=lambda i: (-lengths[i], scores[i], i))
    if chosen == rejected or scores[chosen] <= scores[rejected] + _EPS:
        return None
    return chosen, rejected
