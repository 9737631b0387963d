"""Maximum-likelihood Bradley–Terry fit with a pseudo-count prior (pure Python).

The model: item ``i`` has strength ``π_i = exp(θ_i)`` and beats ``j`` with probability
``π_i / (π_i + π_j)``. The prior adds, for every item, ``prior`` virtual tied battles
(``prior / 2`` wins and ``prior / 2`` losses) against a fixed reference item of strength 1, so
the log-posterior is strictly concave in ``θ``: the maximum exists and is unique even when an item
wins every battle or the comparison graph is disconnected.

Solver: sweeps of Newman's (2023, JMLR 24:238) fixed-point update, each followed by an exact
one-dimensional step along the common shift of all ``θ`` (the data term ignores that direction
and the weak prior alone pins it, which is what makes plain Zermelo iterations crawl). A sweep that
would lower the objective is replaced by a Zermelo minorise-maximise sweep, which never does, so
the objective increases monotonically to its unique maximum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Fit", "centre", "fit_strengths"]

# (opponent index, wins over it, losses to it)
_Opponents = list[tuple[int, float, float]]


@dataclass(frozen=True, slots=True)
class Fit:
    """Raw result of one solve.

    Attributes:
        log_strength: ``θ`` per item, relative to the prior's reference item (``θ = 0``).
        iterations: Sweeps performed.
        converged: Whether the largest change of a ``θ`` in the last sweep was below tolerance.
    """

    log_strength: dict[str, float]
    iterations: int
    converged: bool


def _schedule(items: Sequence[str], wins: Mapping[tuple[str, str], float]) -> list[_Opponents]:
    """Index the tallies as per-item opponent lists in a fixed (sorted) order."""
    index = {x: i for i, x in enumerate(items)}
    table: list[dict[int, list[float]]] = [{} for _ in items]
    for (a, b), w in wins.items():
        i, j = index[a], index[b]
        table[i].setdefault(j, [0.0, 0.0])[0] += w
        table[j].setdefault(i, [0.0, 0.0])[1] += w
    return [sorted((j, w, lo) for j, (w, lo) in row.items() if w + lo > 0) for row in table]


def _log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def _objective(games: list[_Opponents], theta: Sequence[float], prior: float) -> float:
    """Log-likelihood of the data plus the prior's virtual battles."""
    total = 0.0
    for i, opponents in enumerate(games):
        total += 0.5 * prior * (_log_sigmoid(theta[i]) + _log_sigmoid(-theta[i]))
        for j, w, _ in opponents:
            total += w * _log_sigmoid(theta[i] - theta[j])
    return total


def _newman_sweep(games: list[_Opponents], p: list[float], prior: float) -> None:
    half = prior / 2.0
    for i, opponents in enumerate(games):
        pi = p[i]
        num = den = half / (pi + 1.0)
        for j, w, lo in opponents:
            s = pi + p[j]
            num += w * p[j] / s
            den += lo / s
        p[i] = num / den


def _zermelo_sweep(games: list[_Opponents], p: list[float], prior: float) -> None:
    for i, opponents in enumerate(games):
        pi = p[i]
        won = prior / 2.0
        den = prior / (pi + 1.0)
        for j, w, lo in opponents:
            won += w
            den += (w + lo) / (pi + p[j])
        p[i] = won / den


def _best_shift(theta: Sequence[float]) -> float:
    """The ``c`` maximising the prior term at ``θ + c``: the root of ``Σ tanh((θ_i + c) / 2)``.

    Safeguarded Newton inside the bracket ``[-max θ, -min θ]``, which always holds the root.
    """
    lo, hi = -max(theta), -min(theta)
    c = -math.fsum(theta) / len(theta)
    for _ in range(200):
        t = [math.tanh((x + c) / 2.0) for x in theta]
        f = math.fsum(t)
        if f == 0.0:
            return c
        if f > 0.0:
            hi = c
        else:
            lo = c
        slope = 0.5 * math.fsum(1.0 - v * v for v in t)
        nxt = c - f / slope if slope > 0.0 else math.nan
        if not lo < nxt < hi:  # also catches nan
            nxt = 0.5 * (lo + hi)
        if abs(nxt - c) <= 1e-15 * (1.0 + abs(c)):
            return nxt
        c = nxt
    return c


def fit_strengths(
    items: Sequence[str],
    wins: Mapping[tuple[str, str], float],
    *,
    prior: float,
    max_iter: int,
    tol: float,
    start: Mapping[str, float] | None = None,
) -> Fit:
    """Maximise the Bradley–Terry posterior of ``wins`` (see the module docstring).

    Args:
        items: Ids to fit; every id in ``wins`` must be among them.
        wins: ``{(a, b): weighted wins of a over b}``.
        prior: Pseudo-count, > 0.
        max_iter: Maximum number of sweeps.
        tol: Stop when no ``θ`` moved by more than this in a sweep.
        start: Optional starting ``θ`` (warm start); missing ids start at 0.

    Returns:
        The fit.
    """
    games = _schedule(items, wins)
    p = [math.exp((start or {}).get(x, 0.0)) for x in items]
    best = _objective(games, [math.log(v) for v in p], prior)
    for sweep in range(1, max_iter + 1):
        old = list(p)
        _newman_sweep(games, p, prior)
        theta = _shifted(p)
        value = _objective(games, theta, prior)
        if value < best - 1e-12 * (1.0 + abs(best)):
            p = old
            _zermelo_sweep(games, p, prior)
            theta = _shifted(p)
            value = _objective(games, theta, prior)
        best = max(best, value)
        delta = max(abs(t - math.log(v)) for t, v in zip(theta, old, strict=True))
        p = [math.exp(t) for t in theta]
        if delta < tol:
            return Fit(dict(zip(items, theta, strict=True)), sweep, True)
    return Fit(dict(zip(items, [math.log(v) for v in p], strict=True)), max_iter, False)


def _shifted(p: Sequence[float]) -> list[float]:
    """Log-strengths moved by the optimal common shift."""
    theta = [math.log(v) for v in p]
    c = _best_shift(theta)
    return [t + c for t in theta]


def centre(log_strength: Mapping[str, float]) -> dict[str, float]:
    """Shift log-strengths so that they average 0 (win probabilities are unchanged)."""
    mean = math.fsum(log_strength.values()) / len(log_strength)
    return {x: s - mean for x, s in log_strength.items()}
