"""Numeric ground truth for behaviours that judge final answers: the gold, equality, near misses.

Shared by the multi-turn behaviours (debate, try-again); it registers nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from sparring.sim._context import SimContext
from sparring.sim._reading import parse_number

__all__ = ["gold_number", "same", "wrong_near"]


def gold_number(ctx: SimContext) -> float | None:
    """The task's gold answer as a number: the world problem's, else the hidden gold's."""
    if ctx.arithmetic is not None:
        return ctx.arithmetic.answer
    gold = ctx.gold
    return None if gold is None else parse_number(gold.strip())


def same(a: float | None, b: float | None) -> bool:
    """Whether two answers are the same number (None is never the same as anything)."""
    return a is not None and b is not None and abs(a - b) < 1e-6


def wrong_near(gold: float, rng: random.Random, avoid: Iterable[float | None] = ()) -> float:
    """A plausible wrong number near ``gold``, trying a few times to miss those in ``avoid``."""
    taken = [a for a in avoid if a is not None]
    candidate = gold + 1
    for _ in range(6):
        base = abs(gold) if gold else 10.0
        delta = rng.choice((1, 2, 3, 5, 10)) if base >= 10 else rng.choice((1, 2))
        candidate = gold + rng.choice((-1, 1)) * delta
        if rng.random() < 0.3:
            candidate = gold * rng.choice((2, 0.5))
        if same(candidate, gold):
            candidate = gold + 1
        if not any(same(candidate, t) for t in taken):
            return candidate
    return candidate
