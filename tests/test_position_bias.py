"""Position bias through the pairwise-judge graph: single order shows it, both orders cancel it.

The simulated judge's pairwise model (``sim/behaviours/_judge.py``): with the responses shown
as (X, Y) it draws the margin ``z = s*(q_X - q_Y) + p + e`` (``s`` sharpness, ``p`` position
bias toward the first-shown, ``e ~ N(0, sigma)``), says X if ``z > t``, Y if ``z < -t`` and a tie
otherwise (``t`` the tie band). Verbosity bias is set to 0 here so only quality and position
count. With ``d = s*(q_A - q_B)`` and ``Phi`` the standard normal CDF:

* order (A, B):  P(A) = Phi((d + p - t)/sigma),  P(B) = Phi((-d - p - t)/sigma)
* order (B, A):  P(A) = Phi((d - p - t)/sigma),  P(B) = Phi((-d + p - t)/sigma)
* swap agreement = P1(A)P2(A) + P1(B)P2(B) + P1(tie)P2(tie)

(a tie in both orders counts as agreement, as in ``combine_orders``). At the set bias
``p = 1.5`` (``sigma = 1``, ``t = 0.25``), on pairs of equal quality the first-shown response
wins ``Phi(1.25) = 0.894`` of single-order comparisons and the orders agree on ``0.076`` of
pairs; both-order judging gives each side ``Phi(1.25) Phi(-1.75) = 0.036`` wins, so the
tie-as-half score of response A is 0.5. Tolerances are four standard errors of the quantity
measured (binomial, or per-pair Bernoulli variances summed), stated next to each assertion.
A malformed judge output is re-asked once (a fresh draw from the same model), so it does not
change these rates. The simulator is deterministic for a given seed and prompt (fence nonces
are ignored), so the runs below are reproducible; judging a pair given as (B, A) in both orders
replays the two prompts of (A, B), which is why the both-order shift comes out exactly 0 here.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import pytest

from sparring import Roles
from sparring.graphs.pairwise_judge import create_pairwise_judge_graph
from sparring.sim import OpenTask, SimProfile, SimWorld, quality

SEED = 17
N_EQUAL = 200
N_UNEQUAL = 100
BIAS = 1.5
PHI = NormalDist().cdf
PROFILE: dict[str, Any] = {"judge": {"position_bias": BIAS, "verbosity_bias": 0.0}}


@dataclass(frozen=True)
class Pair:
    prompt: str
    a: str
    b: str
    d: float  # sharpness * (q_a - q_b), the quality part of the margin


def _answer(task: OpenTask, indices: range) -> str:
    intro = f"Here is an overview of the {task.topic} for {task.audience}."
    facts = [f"The {task.topic} {task.key_points[i].phrase}." for i in indices]
    return " ".join([intro, *facts])


def _pairs(count: int, *, equal: bool, start: int) -> list[Pair]:
    world, sharpness = SimWorld(SEED), SimProfile().judge.sharpness
    out = []
    for i in range(start, start + count):
        task = world.instruction(i)
        a = _answer(task, range(0, 2) if equal else range(0, 3))
        b = _answer(task, range(2, 4) if equal else range(1, 3))
        d = sharpness * (quality(task, a) - quality(task, b))
        out.append(Pair(task.question, a, b, d))
    return out


def _probs(d: float, p: float) -> tuple[tuple[float, float], tuple[float, float]]:
    judge = SimProfile().judge
    t, sigma = judge.tie_band, judge.pairwise_noise
    first = (PHI((d + p - t) / sigma), PHI((-d - p - t) / sigma))
    swapped = (PHI((d - p - t) / sigma), PHI((-d + p - t) / sigma))
    return first, swapped


def expected_agreement(d: float, p: float) -> float:
    """P(both orders give the same verdict) under the simulator's pairwise model."""
    (a1, b1), (a2, b2) = _probs(d, p)
    return a1 * a2 + b1 * b2 + (1 - a1 - b1) * (1 - a2 - b2)


async def _judge(
    pairs: list[Pair], *, both: bool, flip: bool = False, bias: float = BIAS
) -> list[Any]:
    profile = {"judge": {**PROFILE["judge"], "position_bias": bias}}
    graph = create_pairwise_judge_graph(Roles.sim(SEED, profile=profile), both_orders=both)
    runs = [
        graph.ainvoke(
            {
                "prompt": p.prompt,
                "response_a": p.b if flip else p.a,
                "response_b": p.a if flip else p.b,
            }
        )
        for p in pairs
    ]
    return list(await asyncio.gather(*runs))


def _score(outs: list[Any], side: str) -> float:
    """Tie-as-half win rate of ``side`` over the scored outcomes."""
    scored = [o["choice"] for o in outs if o["choice"] is not None]
    return sum(1.0 if c == side else 0.5 if c == "tie" else 0.0 for c in scored) / len(scored)


def test_formula_matches_the_stated_figures() -> None:
    assert expected_agreement(0.0, BIAS) == pytest.approx(0.076, abs=0.001)
    assert expected_agreement(0.0, 0.0) == pytest.approx(0.361, abs=0.001)
    assert PHI(1.25) == pytest.approx(0.894, abs=0.001)


def test_equal_pairs_single_order_shows_the_bias_and_both_orders_cancel_it() -> None:
    pairs = _pairs(N_EQUAL, equal=True, start=0)
    assert all(p.d == 0.0 for p in pairs)
    single = asyncio.run(_judge(pairs, both=False))
    scored = [o for o in single if o["choice"] is not None]
    first_wins = sum(o["choice"] == "A" for o in scored) / len(scored)
    expected = PHI((BIAS - SimProfile().judge.tie_band) / SimProfile().judge.pairwise_noise)
    tol = 4 * math.sqrt(expected * (1 - expected) / len(scored))  # ≈ 0.09 for 200 pairs
    print(
        f"\nsingle order, equal pairs: first-shown wins {first_wins:.3f} "
        f"(expected {expected:.3f} ± {tol:.3f})"
    )
    assert first_wins > 0.75
    assert abs(first_wins - expected) < tol

    both = asyncio.run(_judge(pairs, both=True))
    score_a = _score(both, "A")
    wins_a = sum(o["choice"] == "A" for o in both) / len(both)
    wins_b = sum(o["choice"] == "B" for o in both) / len(both)
    # per-pair score is 1 / 0.5 / 0 with P(win) ≈ 0.036 each side: sd ≈ 0.134, 4 SE ≈ 0.038
    tol = 4 * 0.134 / math.sqrt(len(both))
    print(
        f"both orders, equal pairs: A score {score_a:.3f} (0.5 ± {tol:.3f}), "
        f"A wins {wins_a:.3f}, B wins {wins_b:.3f} (each expected 0.036)"
    )
    assert abs(score_a - 0.5) < tol
    agreed = [o["swap_agreement"] for o in both if o["swap_agreement"] is not None]
    agreement, expected = sum(agreed) / len(agreed), expected_agreement(0.0, BIAS)
    tol = 4 * math.sqrt(expected * (1 - expected) / len(agreed))  # ≈ 0.075
    print(f"both orders, equal pairs: swap agreement {agreement:.3f} ({expected:.3f} ± {tol:.3f})")
    assert abs(agreement - expected) < tol


def test_unequal_pairs_single_order_rates_shift_with_order_and_both_orders_do_not() -> None:
    pairs = _pairs(N_UNEQUAL, equal=False, start=1000)
    assert all(p.d > 0.5 for p in pairs)
    better_first = _score(asyncio.run(_judge(pairs, both=False)), "A")
    better_second = _score(asyncio.run(_judge(pairs, both=False, flip=True)), "B")
    shift_single = better_first - better_second
    both_first = _score(asyncio.run(_judge(pairs, both=True)), "A")
    both_second = _score(asyncio.run(_judge(pairs, both=True, flip=True)), "B")
    shift_both = both_first - both_second
    # both-order score per pair: sd ≈ 0.23, so the difference of two means of 100 has
    # SE ≈ 0.033; 4 SE ≈ 0.13
    tol = 4 * 0.23 * math.sqrt(2 / len(pairs))
    print(
        f"\nunequal pairs, better response's tie-as-half score: single order "
        f"{better_first:.3f} shown first vs {better_second:.3f} shown second "
        f"(shift {shift_single:.3f}); both orders {both_first:.3f} vs {both_second:.3f} "
        f"(shift {shift_both:.3f}, tolerance {tol:.3f})"
    )
    assert shift_single > 0.3
    assert abs(shift_both) < tol
    assert min(both_first, both_second) > 0.5  # the better response still comes out ahead


@pytest.mark.parametrize("bias", [BIAS, 0.0])
def test_measured_swap_agreement_matches_the_model(bias: float) -> None:
    pairs = _pairs(N_EQUAL // 2, equal=True, start=2000) + _pairs(
        N_UNEQUAL, equal=False, start=3000
    )
    outs = asyncio.run(_judge(pairs, both=True, bias=bias))
    kept = [(p, o) for p, o in zip(pairs, outs, strict=True) if o["swap_agreement"] is not None]
    measured = sum(o["swap_agreement"] for _, o in kept) / len(kept)
    probs = [expected_agreement(p.d, bias) for p, _ in kept]
    expected = sum(probs) / len(probs)
    tol = 4 * math.sqrt(sum(q * (1 - q) for q in probs)) / len(probs)
    swaps = sum(o["swaps"] for _, o in kept)
    agreed = sum(o["swap_agreed"] for _, o in kept)
    print(
        f"\nbias {bias}: swap agreement {measured:.3f} measured vs {expected:.3f} expected "
        f"(± {tol:.3f}) over {len(kept)} pairs"
    )
    assert agreed / swaps == pytest.approx(measured)
    assert abs(measured - expected) < tol
