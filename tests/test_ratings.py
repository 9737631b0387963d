"""Tests for sparring.memory.ratings: Bradley–Terry, online Elo and the tournament graph.

Everything is offline and deterministic: battles are simulated with seeded ``random.Random``.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import pickle
import random
import subprocess
import sys

import networkx as nx  # type: ignore[import-untyped, unused-ignore]
import pytest

from sparring.memory import _ratings_solve
from sparring.memory.ratings import (
    ELO_BASE,
    Battle,
    EloRatings,
    Ratings,
    bradley_terry,
    elo,
    position_weights,
    tournament,
)


def _p(true: dict[str, float], a: str, b: str) -> float:
    return 1.0 / (1.0 + math.exp(true[b] - true[a]))


def _simulate(
    rng: random.Random, true: dict[str, float], n: int, first_bias: float = 0.0
) -> list[Battle]:
    """``n`` battles between random pairs; with prob ``first_bias`` the judge just picks first."""
    ids = sorted(true)
    out = []
    for _ in range(n):
        a, b = rng.sample(ids, 2)
        if rng.random() < first_bias:
            out.append(Battle(a, b, "first"))
        else:
            out.append(Battle(a, b, "first" if rng.random() < _p(true, a, b) else "second"))
    return out


def _kendall_tau(ranking: tuple[str, ...], truth: list[str]) -> float:
    pos = {x: i for i, x in enumerate(ranking)}
    pairs = list(itertools.combinations(truth, 2))  # truth order: a before b
    concordant = sum(pos[a] < pos[b] for a, b in pairs)
    return (2 * concordant - len(pairs)) / len(pairs)


# ---------------------------------------------------------------- Bradley–Terry


def test_bt_recovers_known_ranking_and_win_probabilities() -> None:
    rng = random.Random(20240)
    ids = [f"model-{c}" for c in "abcdefgh"]
    levels = [-1.75 + 0.5 * i for i in range(8)]  # gaps of 0.5: a 62% head-to-head edge
    rng.shuffle(levels)
    true = dict(zip(ids, levels, strict=True))
    ratings = bradley_terry(_simulate(rng, true, 4000))

    truth = sorted(ids, key=lambda x: -true[x])
    assert ratings.ranking == tuple(truth)
    assert _kendall_tau(ratings.ranking, truth) == 1.0
    assert ratings.converged
    assert ratings.n_battles == 4000
    # With ~140 battles per pair the largest pairwise error here is ~0.04; allow 0.06.
    for a, b in itertools.permutations(ids, 2):
        assert ratings.win_probability(a, b) == pytest.approx(_p(true, a, b), abs=0.06)
    # True strengths are centred too (mean 0), so scores estimate them directly.
    assert max(abs(ratings.scores[x] - true[x]) for x in ids) < 0.15
    assert math.fsum(ratings.scores.values()) == pytest.approx(0.0, abs=1e-9)


def test_bt_matches_closed_form_for_two_items() -> None:
    battles = [Battle("a", "b", "first")] * 3 + [Battle("a", "b", "second")]
    ratings = bradley_terry(battles, prior=1e-9)
    assert ratings.scores["a"] - ratings.scores["b"] == pytest.approx(math.log(3.0), abs=1e-6)
    assert ratings.win_probability("a", "b") == pytest.approx(0.75, abs=1e-6)
    elo_gap = ratings.elo_scale["a"] - ratings.elo_scale["b"]
    assert elo_gap == pytest.approx(400 * math.log10(3.0), abs=1e-3)
    assert ratings.elo_scale["a"] + ratings.elo_scale["b"] == pytest.approx(2 * ELO_BASE)


@pytest.mark.parametrize("prior", [1.0, 1e-6])
def test_bt_always_winning_item_stays_finite(prior: float) -> None:
    rng = random.Random(7)
    true = {"b": 0.3, "c": 0.0, "d": -0.4}
    battles = _simulate(rng, true, 60)
    for other in true:
        battles += [Battle("champ", other, "first"), Battle(other, "champ", "second")] * 5
    ratings = bradley_terry(battles, prior=prior)

    assert ratings.converged
    assert all(math.isfinite(s) for s in ratings.scores.values())
    assert ratings.ranking[0] == "champ"
    assert 0.5 < ratings.win_probability("champ", "b") < 1.0


def test_bt_ties_count_half_and_all_ties_give_equal_scores() -> None:
    ratings = bradley_terry([Battle("y", "x", "tie"), Battle("x", "z", "tie")] * 3)
    assert all(s == pytest.approx(0.0, abs=1e-9) for s in ratings.scores.values())
    assert ratings.ranking == ("x", "y", "z")  # equal scores: by id

    # one win plus two ties each way is the same evidence as two wins and one loss
    tied = [Battle("a", "b", "first"), Battle("a", "b", "tie"), Battle("b", "a", "tie")]
    decisive = [Battle("a", "b", "first"), Battle("a", "b", "first"), Battle("b", "a", "first")]
    assert bradley_terry(tied).scores == pytest.approx(bradley_terry(decisive).scores)


def test_bt_is_order_independent_and_weights_multiply() -> None:
    rng = random.Random(3)
    battles = _simulate(rng, {"a": 1.0, "b": 0.0, "c": -0.5, "d": 0.2}, 200)
    shuffled = list(battles)
    rng.shuffle(shuffled)
    assert bradley_terry(shuffled).scores == pytest.approx(bradley_terry(battles).scores, abs=1e-9)

    doubled = [Battle(b.first, b.second, b.outcome, weight=2.0) for b in battles]
    assert bradley_terry(doubled).scores == pytest.approx(
        bradley_terry(battles + battles).scores, abs=1e-9
    )


def test_bt_extra_items_and_disconnected_groups() -> None:
    battles = [Battle("a", "b", "first")] * 4 + [Battle("c", "d", "second")] * 2
    ratings = bradley_terry(battles, items=["ghost"])
    assert set(ratings.items) == {"a", "b", "c", "d", "ghost"}
    assert ratings.converged
    assert ratings.ranking.index("ghost") == 2  # above the losers, below the winners
    assert ratings.win_probability("ghost", "ghost") == 0.5


def test_bt_sparse_newton_solve_agrees_with_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    true = {f"i{k:02d}": rng.gauss(0.0, 1.0) for k in range(12)}
    battles = [*_simulate(rng, true, 300), Battle("i00", "i01", "tie")]
    dense = bradley_terry(battles, tol=1e-12)
    monkeypatch.setattr(_ratings_solve, "DENSE_MAX_ITEMS", 1)  # conjugate gradients instead
    sparse = bradley_terry(battles, tol=1e-12)
    assert sparse.converged
    assert sparse.scores == pytest.approx(dense.scores, abs=1e-9)


# ------------------------------------------------------------ position weights

_TRUE4 = {"A": 0.6, "B": 0.2, "C": -0.2, "D": -0.6}
# The batch as a whole is position-balanced (so win_1st / win_2nd reflects the judge), but the
# weakest item D is mostly shown first and the strongest A mostly second.
_DESIGN = [
    ("D", "A", 90), ("A", "D", 10), ("B", "C", 90), ("C", "B", 10),
    ("A", "B", 50), ("B", "A", 50), ("C", "D", 50), ("D", "C", 50),
    ("A", "C", 50), ("C", "A", 50), ("B", "D", 50), ("D", "B", 50),
]  # fmt: skip


def _first_biased_batch(seed: int, bias: float) -> list[Battle]:
    rng = random.Random(seed)
    out = []
    for first, second, count in _DESIGN:
        for _ in range(count):
            if rng.random() < bias or rng.random() < _p(_TRUE4, first, second):
                out.append(Battle(first, second, "first"))
            else:
                out.append(Battle(first, second, "second"))
    return out


def test_position_weights_formula() -> None:
    battles = [
        *[Battle("a", "b", "first")] * 3,
        Battle("a", "b", "second"),
        Battle("a", "b", "tie"),
    ]
    assert position_weights(battles) == pytest.approx((0.25, 0.75))
    assert position_weights([Battle("a", "b", "tie")]) == (0.5, 0.5)  # no decisive battle
    assert bradley_terry(battles, position_weighted=True).position_weights == pytest.approx(
        (0.25, 0.75)
    )


def test_position_weighting_undoes_a_first_position_judge() -> None:
    truth = ["A", "B", "C", "D"]
    taus_plain, taus_weighted = [], []
    for seed in range(6):
        battles = _first_biased_batch(seed, bias=0.5)
        plain = bradley_terry(battles)
        weighted = bradley_terry(battles, position_weighted=True)
        assert weighted.position_weights is not None
        assert weighted.position_weights[0] < 0.35  # wins as first are discounted
        tau_plain = _kendall_tau(plain.ranking, truth)
        tau_weighted = _kendall_tau(weighted.ranking, truth)
        assert tau_weighted >= tau_plain
        taus_plain.append(tau_plain)
        taus_weighted.append(tau_weighted)
    seed0 = _first_biased_batch(0, 0.5)
    assert _kendall_tau(bradley_terry(seed0).ranking, truth) < 0.5
    assert bradley_terry(seed0, position_weighted=True).ranking == tuple(truth)
    assert sum(taus_weighted) >= sum(taus_plain) + 2.0


def test_position_weighting_is_neutral_for_an_unbiased_balanced_batch() -> None:
    battles = [Battle("a", "b", "first"), Battle("b", "a", "second"), Battle("b", "c", "tie")]
    weighted = bradley_terry(battles, position_weighted=True)
    assert weighted.position_weights == (0.5, 0.5)
    assert weighted.scores == pytest.approx(bradley_terry(battles).scores)


# ------------------------------------------------------------------- bootstrap


def test_bootstrap_intervals_contain_estimate_and_are_reproducible() -> None:
    rng = random.Random(5)
    battles = _simulate(rng, {"a": 0.8, "b": 0.0, "c": -0.3, "d": -0.5}, 300)
    ratings = bradley_terry(battles, bootstrap=200, seed=42)
    assert ratings.intervals is not None
    assert ratings.bootstrap == 200
    assert ratings.confidence == 0.95
    for item, (low, high) in ratings.intervals.items():
        assert low <= ratings.scores[item] <= high
        assert high - low < 1.0
    assert ratings.elo_intervals is not None
    assert ratings.elo_intervals["a"][0] < ratings.elo_scale["a"] < ratings.elo_intervals["a"][1]

    again = bradley_terry(battles, bootstrap=200, seed=42)
    assert again.intervals == ratings.intervals
    other = bradley_terry(battles, bootstrap=200, seed=43)
    assert other.intervals != ratings.intervals
    assert other.scores == ratings.scores  # the point estimate does not depend on the seed
    narrow = bradley_terry(battles, bootstrap=200, seed=42, confidence=0.5)
    assert narrow.intervals is not None
    for item, (low, high) in narrow.intervals.items():
        assert ratings.intervals[item][0] <= low <= high <= ratings.intervals[item][1]


def test_ratings_round_trip_through_json_and_pickle() -> None:
    battles = [Battle("a", "b", "first"), Battle("b", "c", "second"), Battle("c", "a", "tie")]
    ratings = bradley_terry(battles, bootstrap=20, position_weighted=True)
    restored = Ratings.from_dict(json.loads(json.dumps(ratings.to_dict())))
    assert restored == ratings
    assert pickle.loads(pickle.dumps(ratings)) == ratings


# ------------------------------------------------------------------------- Elo


def test_elo_repeated_wins_order_items() -> None:
    cycle = [Battle("a", "b", "first"), Battle("b", "c", "first"), Battle("c", "a", "second")]
    battles = cycle * 10
    result = elo(battles)
    assert result.ranking == ("a", "b", "c")
    assert result.ratings["a"] > 1000 > result.ratings["c"]
    assert math.fsum(result.ratings.values()) == pytest.approx(3000.0)  # zero-sum updates
    assert result.win_probability("a", "c") > 0.5
    assert result.n_battles == 30
    restored = EloRatings.from_dict(json.loads(json.dumps(result.to_dict())))
    assert restored == result


def test_elo_single_battle_and_ties_pull_ratings_together() -> None:
    one = elo([Battle("a", "b", "first")], k=32)
    assert one.ratings == pytest.approx({"a": 1016.0, "b": 984.0})

    tie = elo([Battle("strong", "weak", "tie")], start={"strong": 1200.0, "weak": 1000.0})
    assert tie.ratings["strong"] < 1200.0
    assert tie.ratings["weak"] > 1000.0
    assert tie.ratings["strong"] - tie.ratings["weak"] < 200.0
    assert elo([Battle("a", "b", "tie")]).ratings == {"a": 1000.0, "b": 1000.0}


def test_elo_depends_on_order_unlike_bradley_terry() -> None:
    early = [Battle("a", "b", "first")] * 5 + [Battle("a", "b", "second")] * 5
    late = list(reversed(early))
    assert elo(early).ratings["a"] < elo(late).ratings["a"]  # recent results count more
    assert bradley_terry(early).scores == pytest.approx(bradley_terry(late).scores)


# ------------------------------------------------------------------ tournament


def test_rock_paper_scissors_is_one_cycle_and_one_tier() -> None:
    battles = [
        Battle("rock", "scissors", "first"),
        Battle("paper", "scissors", "second"),
        Battle("paper", "rock", "first"),
    ]
    t = tournament(battles)
    assert t.cycles() == [("paper", "rock", "scissors")]
    assert t.tiers() == [("paper", "rock", "scissors")]
    assert not t.is_transitive
    assert t.copeland() == {"paper": 0, "rock": 0, "scissors": 0}


def test_transitive_set_has_no_cycle_and_ordered_tiers() -> None:
    order = ["d", "b", "a", "c"]  # best first, deliberately not alphabetical
    battles = [Battle(lo, hi, "second") for hi, lo in itertools.combinations(order, 2)]
    battles += [Battle("b", "d", "first")]  # one upset; d still leads on balance (1 vs 2 wins)
    battles += [Battle("d", "b", "first")]
    t = tournament(battles)
    assert t.is_transitive
    assert t.cycles() == []
    assert t.tiers() == [("d",), ("b",), ("a",), ("c",)]
    assert t.copeland() == {"d": 3, "b": 1, "a": -1, "c": -3}
    assert t.wins("d", "b") == 2.0
    assert t.wins("b", "d") == 1.0
    assert t.graph["d"]["b"]["weight"] == 1.0
    assert t.to_dict()["tiers"] == [["d"], ["b"], ["a"], ["c"]]


def test_tournament_draws_and_isolated_items() -> None:
    t = tournament([Battle("a", "b", "first"), Battle("b", "a", "first")], items=["z"])
    assert t.graph.number_of_edges() == 0  # a 1-1 draw on balance
    assert t.tiers() == [("a",), ("b",), ("z",)]
    assert t.is_transitive
    with pytest.raises(nx.NetworkXError):
        t.graph.add_edge("a", "z")  # frozen


def _random_tournament(seed: int, n: int) -> list[Battle]:
    rng = random.Random(seed)
    ids = [f"m{k:02d}" for k in range(n)]
    return [
        Battle(a, b, rng.choice(["first", "second"])) for a, b in itertools.combinations(ids, 2)
    ]


def test_cycles_are_normalised_bounded_and_match_networkx() -> None:
    t = tournament(_random_tournament(1, 7))
    every = t.cycles(max_length=7, limit=10_000)
    expected = sorted((_rotate(c) for c in nx.simple_cycles(t.graph)), key=lambda c: (len(c), c))
    assert every == expected
    assert every, "a random 7-tournament this seed has cycles"
    for cycle in every:
        assert cycle[0] == min(cycle)
        for u, v in itertools.pairwise((*cycle, cycle[0])):
            assert t.graph.has_edge(u, v)

    capped = t.cycles(max_length=4, limit=5)
    assert capped == [c for c in every if len(c) <= 4][:5]
    with pytest.raises(ValueError, match="max_length"):
        t.cycles(max_length=2)


def _rotate(cycle: list[str]) -> tuple[str, ...]:
    k = cycle.index(min(cycle))
    return tuple(cycle[k:] + cycle[:k])


def test_cycles_and_tiers_do_not_depend_on_hash_seed() -> None:
    code = (
        "import random, itertools\n"
        "from sparring.memory.ratings import Battle, tournament\n"
        "rng = random.Random(9)\n"
        "ids = [f'item{k}' for k in range(9)]\n"
        "bs = [Battle(a, b, rng.choice(['first', 'second'])) "
        "for a, b in itertools.combinations(ids, 2)]\n"
        "t = tournament(bs)\n"
        "print(t.cycles(limit=7), t.tiers())\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in ("1", "2", "3")
    }
    assert len(outputs) == 1


# ----------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("fn", [bradley_terry, elo, tournament])
def test_empty_input_is_a_clear_value_error(fn: object) -> None:
    with pytest.raises(ValueError, match="needs at least one Battle"):
        fn([])  # type: ignore[operator]
    with pytest.raises(ValueError, match="needs at least one Battle"):
        fn(iter(()))  # type: ignore[operator]


def test_invalid_battles_and_arguments() -> None:
    with pytest.raises(ValueError, match="cannot battle itself"):
        Battle("a", "a", "tie")
    with pytest.raises(ValueError, match="outcome"):
        Battle("a", "b", "A")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weight"):
        Battle("a", "b", "first", weight=-1.0)
    with pytest.raises(ValueError, match="non-empty string"):
        Battle("", "b", "first")
    with pytest.raises(TypeError, match="Battle records"):
        bradley_terry([("a", "b", "first")])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="prior"):
        bradley_terry([Battle("a", "b", "first")], prior=0.0)
    with pytest.raises(KeyError, match="unknown item"):
        bradley_terry([Battle("a", "b", "first")]).win_probability("a", "nope")
    battle = Battle("x", "y", "second")
    assert (battle.winner, battle.loser) == ("y", "x")
