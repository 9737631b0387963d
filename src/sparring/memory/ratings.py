"""Ratings from pairwise battles: Bradley–Terry, online Elo and the tournament graph.

A `Battle` records one pairwise judgement in the order the judge saw the two items. From a batch
of battles:

- `bradley_terry` fits the Bradley–Terry model (the "Elo" of Meta-Rewarding and TPO) by maximum a
  posteriori with a small pseudo-count prior, optionally with Meta-Rewarding's position weights
  and bootstrap confidence intervals. Use it to rank a fixed batch.
- `elo` plays the battles in order through classic online Elo (order-dependent).
- `tournament` builds the net-win graph (networkx) to find intransitive preference cycles, tiers
  and Copeland scores.

Everything is pure Python and deterministic: the same battles (and seed) give the same result.

Example:
    >>> from sparring.memory.ratings import Battle, bradley_terry
    >>> battles = [Battle("a", "b", "first"), Battle("b", "a", "second"),  # a wins both orders
    ...            Battle("b", "c", "first"), Battle("c", "b", "tie")]
    >>> ratings = bradley_terry(battles)
    >>> ratings.ranking
    ('a', 'b', 'c')
    >>> round(ratings.win_probability("a", "c"), 2)
    0.91
"""

from __future__ import annotations

from sparring.memory._ratings_battle import Battle, Outcome, position_weights
from sparring.memory._ratings_bt import ELO_BASE, ELO_PER_NAT, Ratings, bradley_terry
from sparring.memory._ratings_elo import EloRatings, elo
from sparring.memory._ratings_graph import Tournament, tournament

__all__ = [
    "ELO_BASE",
    "ELO_PER_NAT",
    "Battle",
    "EloRatings",
    "Outcome",
    "Ratings",
    "Tournament",
    "bradley_terry",
    "elo",
    "position_weights",
    "tournament",
]
