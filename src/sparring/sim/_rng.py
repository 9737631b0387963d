"""Deterministic randomness: the same seed, request and sample index give the same draw."""

from __future__ import annotations

import hashlib
import math
import random

__all__ = ["rng_for", "sigmoid", "stable_int"]


def stable_int(*parts: object) -> int:
    """A 64-bit integer hash of ``parts`` that is stable across processes and runs."""
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(str(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return int.from_bytes(h.digest(), "big")


def rng_for(*parts: object) -> random.Random:
    """A ``random.Random`` seeded from ``parts``."""
    return random.Random(stable_int(*parts))


def sigmoid(x: float) -> float:
    """The logistic function, safe for large magnitudes."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
