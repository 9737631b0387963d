"""B-STaR's monitors for one iteration: exploration, exploitation and the balance score.

Zeng et al., 2024 (B-STaR, arXiv 2412.17256) split what makes self-taught reasoning work into
*exploration* (can the model still sample varied right solutions?) and *exploitation* (does the
reward pick the right ones?), and fold both into a per-query **balance score**, as we read it::

    balance_i = min(u_i / n*, 1) * (c_i / s_i)        (0 when nothing is selected)

with ``s_i`` the query's samples the reward selects (reward >= threshold), ``c_i`` the right ones
among them and ``u_i`` the *distinct* right ones; ``n*`` is how many distinct right solutions a
query needs to count as fully explored. The run's balance score is the mean over queries.

Here the reward is the self-consistency vote: a sample's reward is the share of the item's
samples whose answer is equivalent to its own (no gold answer needed, as for a reward model).
Gold answers are used only to measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sparring.graphs._reasoning_common import Sample, cluster

__all__ = ["BalanceTotals", "ItemBalance", "item_balance", "vote_rewards"]


def _text_key(text: str) -> str:
    return " ".join(text.split())


def vote_rewards(samples: Sequence[Sample]) -> list[float]:
    """Each sample's reward: the share of samples agreeing with its answer (0 without one)."""
    share: dict[int, float] = {}
    for bucket in cluster(samples):
        for index in bucket["indices"]:
            share[index] = bucket["count"] / max(len(samples), 1)
    return [share.get(s["index"], 0.0) for s in samples]


@dataclass(frozen=True, slots=True)
class ItemBalance:
    """One item's monitors at one reward threshold.

    Attributes:
        samples: Samples drawn.
        distinct_correct: Distinct right samples among all drawn (exploration).
        passed: Whether any sample is right (pass@k).
        selected: Samples the reward selected.
        selected_correct: Right ones among them.
        selected_distinct: Selected samples whose text no other selected sample repeats.
        unique_correct_selected: Distinct right texts among the selected.
        balance: The item's balance score.
    """

    samples: int
    distinct_correct: int
    passed: bool
    selected: int
    selected_correct: int
    selected_distinct: int
    unique_correct_selected: int
    balance: float


def item_balance(
    samples: Sequence[Sample], rewards: Sequence[float], *, threshold: float, n_star: int
) -> ItemBalance:
    """The monitors of one item's samples, selecting those with reward >= ``threshold``."""
    right = {_text_key(s["text"]) for s in samples if s["correct"]}
    chosen = [s for s, r in zip(samples, rewards, strict=True) if r >= threshold]
    keys = [_text_key(s["text"]) for s in chosen]
    correct = [k for s, k in zip(chosen, keys, strict=True) if s["correct"]]
    unique = len(set(correct))
    balance = min(unique / n_star, 1.0) * len(correct) / len(chosen) if chosen else 0.0
    return ItemBalance(
        samples=len(samples),
        distinct_correct=len(right),
        passed=bool(right),
        selected=len(chosen),
        selected_correct=len(correct),
        selected_distinct=sum(keys.count(k) == 1 for k in keys),
        unique_correct_selected=unique,
        balance=balance,
    )


@dataclass(frozen=True, slots=True)
class BalanceTotals:
    """An iteration's monitors over its items.

    Attributes:
        items: Items counted.
        distinct_correct: Mean distinct right samples per item (exploration).
        pass_at_k: Share of items with a right sample.
        selection_accuracy: Share of the selected samples that are right (exploitation).
        selected_per_item: Mean selected samples per item.
        balance_score: Mean balance score.
        novelty: Mean of ``min(unique right selected / n*, 1)`` (what self-training gains).
    """

    items: int
    distinct_correct: float
    pass_at_k: float
    selection_accuracy: float | None
    selected_per_item: float
    balance_score: float
    novelty: float

    @classmethod
    def of(cls, rows: Sequence[ItemBalance], n_star: int) -> BalanceTotals:
        """Sum up ``rows`` (no rows: zeros)."""
        n = max(len(rows), 1)
        selected = sum(r.selected for r in rows)
        return cls(
            items=len(rows),
            distinct_correct=sum(r.distinct_correct for r in rows) / n,
            pass_at_k=sum(r.passed for r in rows) / n,
            selection_accuracy=sum(r.selected_correct for r in rows) / selected
            if selected
            else None,
            selected_per_item=selected / n,
            balance_score=sum(r.balance for r in rows) / n,
            novelty=sum(min(r.unique_correct_selected / n_star, 1.0) for r in rows) / n,
        )
