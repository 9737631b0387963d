"""The Meta-Rewarding length-control tier rule on hand-made cases (techniques.md §0.4)."""

from __future__ import annotations

import pytest

from sparring.graphs.meta_rewarding import length_controlled_pair


@pytest.mark.parametrize(
    ("scores", "lengths", "rho", "expected"),
    [
        # rho = 0: plain best vs worst, whatever the lengths
        ([4.0, 3.7, 2.0, 2.5], [900, 300, 500, 100], 0.0, (0, 2)),
        # rho = 0 with equal best scores: the shorter of the best; equal worst: the longer
        ([4.0, 4.0, 2.0], [500, 300, 100], 0.0, (1, 2)),
        ([4.0, 2.0, 2.0], [100, 300, 500], 0.0, (0, 2)),
        # rho = 0.4, S_max 5, S_min 1: top tier [3.4, 5], bottom tier [1, 2.6]
        ([5.0, 4.5, 3.0, 1.5, 1.0], [800, 200, 100, 900, 300], 0.4, (1, 3)),
        # a score exactly on a tier bound is inside the tier
        ([5.0, 3.4, 2.6, 1.0], [500, 100, 900, 50], 0.4, (1, 2)),
        # equally short chosen: the higher score; equally long rejected: the lower score
        ([5.0, 4.0, 1.0], [200, 200, 50], 0.4, (0, 2)),
        ([5.0, 1.0, 2.0], [100, 400, 400], 0.4, (0, 1)),
        # rho = 1: every response is in both tiers: shortest vs longest
        ([5.0, 3.0, 1.0], [300, 100, 700], 1.0, (1, 2)),
    ],
)
def test_picks(
    scores: list[float], lengths: list[int], rho: float, expected: tuple[int, int]
) -> None:
    assert length_controlled_pair(scores, lengths, rho) == expected


@pytest.mark.parametrize(
    ("scores", "lengths", "rho"),
    [
        ([3.0, 3.0, 3.0], [100, 200, 300], 0.0),  # all equal: a tie
        ([3.0, 3.0, 3.0], [100, 200, 300], 0.4),
        ([3.0, 3.0], [100, 100], 1.0),
        ([4.0], [100], 0.0),  # one response
        ([], [], 0.4),  # none
        ([5.0, 1.0, 3.0], [300, 100, 700], 1.0),  # the shortest scores below the longest
        ([5.0, 3.0, 1.0], [600, 300, 200], 0.5),  # the midpoint response is both picks
    ],
)
def test_no_pair(scores: list[float], lengths: list[int], rho: float) -> None:
    assert length_controlled_pair(scores, lengths, rho) is None


def test_rho_zero_is_best_versus_worst() -> None:
    scores = [2.5, 4.75, 1.25, 3.0, 4.0]
    lengths = [10, 2000, 5000, 30, 40]
    assert length_controlled_pair(scores, lengths, 0.0) == (1, 2)


@pytest.mark.parametrize(
    ("scores", "lengths", "rho"),
    [
        ([4.0, 3.0], [100], 0.0),
        ([4.0, 3.0], [100, 200], -0.1),
        ([4.0, 3.0], [100, 200], 1.5),
        ([4.0, float("nan")], [100, 200], 0.2),
        ([4.0, 3.0], [100, -1], 0.2),
    ],
)
def test_bad_arguments(scores: list[float], lengths: list[int], rho: float) -> None:
    with pytest.raises(ValueError):
        length_controlled_pair(scores, lengths, rho)
