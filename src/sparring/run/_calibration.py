"""Calibration monitors: how well a graph's stated ``confidence`` tracks its ``correct``ness.

Any graph whose item output holds a ``confidence`` in [0, 1] and a boolean ``correct`` (and,
optionally, a boolean ``abstained``) is counted; nothing here knows which graph wrote it.
Items are binned into integer counters that add up across items and resumes (the run store
keeps counters, not lists): per 1% of confidence the right and wrong items, and per 10% the
summed confidence. From them come ECE over ten equal-width bins (Guo et al., 2017), AUROC
(the chance a right item is rated above a wrong one; items in the same 1% bin count as ties),
accuracy, and, where the graph can abstain, the abstention rate and the accuracy on the items
it answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["auroc", "calibration_counters", "calibration_metrics", "ece"]

_MICRO = 1_000_000
_PREFIX = "health/calib"


def ece(pairs: Sequence[tuple[float, bool]], bins: int = 10) -> float | None:
    """Expected calibration error of ``(confidence, correct)`` pairs over equal-width bins."""
    if not pairs:
        return None
    conf, right, count = [0.0] * bins, [0] * bins, [0] * bins
    for p, ok in pairs:
        b = min(bins - 1, int(p * bins))
        conf[b] += p
        right[b] += int(ok)
        count[b] += 1
    return sum(abs(conf[b] - right[b]) for b in range(bins) if count[b]) / len(pairs)


def auroc(pairs: Sequence[tuple[float, bool]]) -> float | None:
    """The chance that a right item's confidence is above a wrong one's (ties count half)."""
    pos = [p for p, ok in pairs if ok]
    neg = [p for p, ok in pairs if not ok]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def calibration_counters(output: Mapping[str, Any]) -> dict[str, int]:
    """One item's calibration counters (empty when it states no confidence or correctness)."""
    confidence, correct = output.get("confidence"), output.get("correct")
    if not isinstance(confidence, int | float) or not isinstance(correct, bool):
        return {}
    p = min(1.0, max(0.0, float(confidence)))
    side = "pos" if correct else "neg"
    out = {
        f"{_PREFIX}_items": 1,
        f"{_PREFIX}_{side}{min(99, int(p * 100)):02d}": 1,
        f"{_PREFIX}_conf{min(9, int(p * 10))}_micro": round(p * _MICRO),
    }
    abstained = output.get("abstained")
    if isinstance(abstained, bool):
        out[f"{_PREFIX}_decided"] = 1
        out[f"{_PREFIX}_abstained"] = int(abstained)
        out[f"{_PREFIX}_answered_right"] = int(not abstained and correct)
    return out


def _binned(counters: Mapping[str, int], side: str) -> list[int]:
    return [counters.get(f"{_PREFIX}_{side}{b:02d}", 0) for b in range(100)]


def _binned_auroc(pos: list[int], neg: list[int]) -> float | None:
    n_pos, n_neg = sum(pos), sum(neg)
    if not n_pos or not n_neg:
        return None
    below, wins = 0, 0.0
    for b in range(100):
        wins += pos[b] * (below + 0.5 * neg[b])
        below += neg[b]
    return wins / (n_pos * n_neg)


def calibration_metrics(counters: Mapping[str, int]) -> dict[str, float]:
    """ECE, AUROC, accuracy and abstention figures from a run's summed counters."""
    n = counters.get(f"{_PREFIX}_items", 0)
    if not n:
        return {}
    pos, neg = _binned(counters, "pos"), _binned(counters, "neg")
    gap = 0.0
    for d in range(10):
        conf = counters.get(f"{_PREFIX}_conf{d}_micro", 0) / _MICRO
        gap += abs(conf - sum(pos[10 * d : 10 * d + 10]))
    out = {"calibrated_items": float(n), "ece": gap / n, "accuracy": sum(pos) / n}
    if (area := _binned_auroc(pos, neg)) is not None:
        out["auroc"] = area
    decided = counters.get(f"{_PREFIX}_decided", 0)
    if decided:
        abstained = counters.get(f"{_PREFIX}_abstained", 0)
        out["abstention_rate"] = abstained / decided
        if decided > abstained:
            right = counters.get(f"{_PREFIX}_answered_right", 0)
            out["answered_accuracy"] = right / (decided - abstained)
    return out
