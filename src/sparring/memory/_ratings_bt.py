"""Bradley–Terry ratings from pairwise battles, with position weights and bootstrap intervals."""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sparring.memory._ratings_battle import (
    Battle,
    collect_battles,
    item_ids,
    pair_wins,
    position_weights,
)
from sparring.memory._ratings_solve import Fit, centre, fit_strengths

__all__ = ["ELO_BASE", "ELO_PER_NAT", "Ratings", "bradley_terry", "rank", "to_elo_scale"]

ELO_PER_NAT = 400.0 / math.log(10.0)
"""Elo points per unit of log-strength: a 400-point gap is 10:1 odds."""

ELO_BASE = 1000.0
"""Elo-scale value of the average item."""


@dataclass(frozen=True)
class Ratings:
    """A fitted Bradley–Terry model (treat its mappings as read-only).

    Attributes:
        scores: Log-strength per item, centred so that the scores average 0. Item ``a`` beats
            ``b`` with probability ``σ(scores[a] - scores[b])``.
        ranking: Ids, best first; equal scores (to 12 decimals) are ordered by id.
        n_battles: Number of battle records used.
        iterations: Newton steps taken by the point estimate.
        converged: Whether the point estimate met the solver's tolerance.
        prior: The pseudo-count used.
        position_weights: ``(ω1, ω2)`` of the Meta-Rewarding weighting, or None when unweighted.
        intervals: Per-item ``(low, high)`` percentile bootstrap interval of the score, or None.
        confidence: Coverage of ``intervals`` (e.g. 0.95), or None.
        bootstrap: Number of bootstrap resamples (0 when none).
    """

    scores: Mapping[str, float]
    ranking: tuple[str, ...]
    n_battles: int
    iterations: int
    converged: bool
    prior: float
    position_weights: tuple[float, float] | None = None
    intervals: Mapping[str, tuple[float, float]] | None = None
    confidence: float | None = None
    bootstrap: int = 0

    @property
    def items(self) -> tuple[str, ...]:
        """All rated ids, sorted."""
        return tuple(sorted(self.scores))

    @property
    def elo_scale(self) -> dict[str, float]:
        """Scores on the Elo scale: ``400 / ln 10 · score + 1000``."""
        return {x: to_elo_scale(s) for x, s in self.scores.items()}

    @property
    def elo_intervals(self) -> dict[str, tuple[float, float]] | None:
        """``intervals`` on the Elo scale, or None when not bootstrapped."""
        if self.intervals is None:
            return None
        return {x: (to_elo_scale(lo), to_elo_scale(hi)) for x, (lo, hi) in self.intervals.items()}

    def win_probability(self, a: str, b: str) -> float:
        """Model probability that ``a`` is preferred to ``b``.

        Raises:
            KeyError: If either id was not rated.
        """
        return _sigmoid(self._score(a) - self._score(b))

    def _score(self, item: str) -> float:
        try:
            return self.scores[item]
        except KeyError:
            raise KeyError(f"unknown item {item!r}; rated items: {list(self.items)}") from None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (for events, the run store and exports)."""
        return {
            "method": "bradley_terry",
            "scores": dict(self.scores),
            "elo_scale": self.elo_scale,
            "ranking": list(self.ranking),
            "n_battles": self.n_battles,
            "iterations": self.iterations,
            "converged": self.converged,
            "prior": self.prior,
            "position_weights": list(self.position_weights) if self.position_weights else None,
            "intervals": {x: list(v) for x, v in self.intervals.items()}
            if self.intervals is not None
            else None,
            "confidence": self.confidence,
            "bootstrap": self.bootstrap,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ratings:
        """Rebuild ratings from `to_dict` output (derived fields are ignored)."""
        weights, intervals = data.get("position_weights"), data.get("intervals")
        return cls(
            scores={str(x): float(s) for x, s in data["scores"].items()},
            ranking=tuple(data["ranking"]),
            n_battles=int(data["n_battles"]),
            iterations=int(data["iterations"]),
            converged=bool(data["converged"]),
            prior=float(data["prior"]),
            position_weights=(float(weights[0]), float(weights[1])) if weights else None,
            intervals={str(x): (float(v[0]), float(v[1])) for x, v in intervals.items()}
            if intervals is not None
            else None,
            confidence=data.get("confidence"),
            bootstrap=int(data.get("bootstrap", 0)),
        )


def to_elo_scale(score: float) -> float:
    """Map a centred log-strength to the Elo scale (average item = 1000)."""
    return ELO_PER_NAT * score + ELO_BASE


def bradley_terry(
    battles: Iterable[Battle],
    *,
    prior: float = 1.0,
    position_weighted: bool = False,
    items: Iterable[str] | None = None,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
    max_iter: int = 200,
    tol: float = 1e-9,
) -> Ratings:
    """Fit a Bradley–Terry model to pairwise battles by maximum a posteriori.

    Item ``a`` beats ``b`` with probability ``σ(s_a - s_b)``. A tie counts as half a win for each
    side (the likelihood treats it as one half-weight win each way), and ``Battle.weight``
    multiplies a battle's contribution. The prior adds ``prior`` virtual tied battles between
    every item and an average reference item, so an item that wins (or loses) every battle gets a
    large but finite score, and the fit is unique and deterministic. Items that never battled
    (see ``items``) sit at the prior's reference level, which is roughly average; groups of items
    that never met each other are each anchored there too, so comparisons across groups reflect
    the prior, not evidence (`tournament` shows which pairs are connected).

    With ``position_weighted=True`` (Meta-Rewarding), wins as first-shown count
    ``ω1 = win_2nd / (win_1st + win_2nd)`` and wins as second-shown ``ω2 = win_1st / (...)``,
    where ``win_1st``/``win_2nd`` are the batch's total wins by the first/second-shown item: wins
    in the position the judge favours count less. Both are scaled by 2 (so an unbiased batch keeps
    weight 1 and the prior keeps its meaning); ties are not reweighted. A batch with no decisive
    battle is left unweighted; a judge that always picks one position carries no information, so
    its wins weigh 0 and only ties and the prior remain.

    Args:
        battles: The battles; consumed once.
        prior: Pseudo-count (> 0): the weight of the virtual tied battles per item. 1.0 is one
            tie against an average item, negligible next to tens of real battles.
        position_weighted: Apply the Meta-Rewarding position weights.
        items: Extra ids to rate even if they never battled.
        bootstrap: Number of resamples (with replacement, of whole battles) for percentile
            intervals; 0 for none. Position weights are recomputed for each resample.
        confidence: Coverage of the bootstrap intervals, in (0, 1).
        seed: Seed of the bootstrap's ``random.Random``.
        max_iter: Cap on Newton steps (a handful usually suffice; rarely more than 30).
        tol: Converged when a full Newton step moves no log-strength by more than this.

    Returns:
        The ratings. A fit that hits ``max_iter`` is returned with ``converged=False`` and a
        `RuntimeWarning`.

    Raises:
        ValueError: On no battles or an out-of-range argument.
        TypeError: If an element of ``battles`` is not a `Battle`.
    """
    data = collect_battles(battles, "bradley_terry")
    _check_args(prior, bootstrap, confidence, max_iter, tol)
    ids = item_ids(data, items)
    weights = position_weights(data) if position_weighted else None
    fit = _fit(data, ids, position_weighted, prior, max_iter, tol, None)
    if not fit.converged:
        warnings.warn(
            f"bradley_terry did not converge in {max_iter} iterations", RuntimeWarning, stacklevel=2
        )
    scores = centre(fit.log_strength)
    intervals = None
    if bootstrap:
        resampled = _bootstrap(
            data, ids, position_weighted, prior, max_iter, tol, fit, bootstrap, seed
        )
        intervals = _percentiles(resampled, confidence)
    return Ratings(
        scores=scores,
        ranking=rank(scores),
        n_battles=len(data),
        iterations=fit.iterations,
        converged=fit.converged,
        prior=prior,
        position_weights=weights,
        intervals=intervals,
        confidence=confidence if bootstrap else None,
        bootstrap=bootstrap,
    )


def rank(scores: Mapping[str, float]) -> tuple[str, ...]:
    """Ids by descending score; scores equal to 12 decimals are ordered by id."""
    return tuple(sorted(scores, key=lambda x: (-round(scores[x], 12), x)))


def _check_args(prior: float, bootstrap: int, confidence: float, max_iter: int, tol: float) -> None:
    if not (math.isfinite(prior) and prior > 0):
        raise ValueError(f"prior must be a positive finite pseudo-count, got {prior!r}")
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be >= 0 resamples, got {bootstrap!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter!r}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol!r}")


def _fit(
    data: Sequence[Battle],
    ids: Sequence[str],
    weighted: bool,
    prior: float,
    max_iter: int,
    tol: float,
    start: Mapping[str, float] | None,
) -> Fit:
    scale = (1.0, 1.0)
    if weighted:
        w1, w2 = position_weights(data)
        scale = (2.0 * w1, 2.0 * w2)
    return fit_strengths(
        ids, pair_wins(data, scale), prior=prior, max_iter=max_iter, tol=tol, start=start
    )


def _bootstrap(
    data: Sequence[Battle],
    ids: Sequence[str],
    weighted: bool,
    prior: float,
    max_iter: int,
    tol: float,
    point: Fit,
    rounds: int,
    seed: int,
) -> dict[str, list[float]]:
    """Centred scores of ``rounds`` fits to resamples of ``data`` (warm-started at ``point``)."""
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {x: [] for x in ids}
    failed = 0
    for _ in range(rounds):
        resample = rng.choices(data, k=len(data))
        fit = _fit(resample, ids, weighted, prior, max_iter, tol, point.log_strength)
        failed += not fit.converged
        for x, s in centre(fit.log_strength).items():
            samples[x].append(s)
    if failed:
        warnings.warn(
            f"bradley_terry: {failed} of {rounds} bootstrap fits did not converge",
            RuntimeWarning,
            stacklevel=3,
        )
    return samples


def _percentiles(
    samples: Mapping[str, list[float]], confidence: float
) -> dict[str, tuple[float, float]]:
    tail = (1.0 - confidence) / 2.0
    return {x: (_quantile(v, tail), _quantile(v, 1.0 - tail)) for x, v in samples.items()}


def _quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default method)."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
