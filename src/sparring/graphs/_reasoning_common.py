"""Shared pieces of the reasoning graphs: samples, answer clusters, votes, gold checks.

Self-consistency, Iterative RPO and FOBAR all sample several solutions, read their final
answers and group answers that mean the same (``sparring.verify.is_equiv``). This module holds
that machinery plus the typed errors the reasoning graphs raise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from typing_extensions import TypedDict

from sparring.errors import LogprobsUnavailableError, MissingGoldError
from sparring.graphs._nodes import add_traced as add_node
from sparring.graphs._options import check_choice, check_range
from sparring.models import CompletionSet, Roles
from sparring.verify import extract_answer, is_equiv

__all__ = [
    "LogprobsUnavailableError",
    "MissingGoldError",
    "Sample",
    "VoteBucket",
    "add_node",
    "check_choice",
    "check_range",
    "cluster",
    "grade",
    "model_names",
    "pass_at_k",
    "pass_at_ks",
    "plurality",
    "require_gold",
    "samples_from",
]


S = TypeVar("S")
U = TypeVar("U")


class Sample(TypedDict):
    """One sampled solution.

    Attributes:
        index: The sample index (stable across retries and cache hits).
        text: The full solution text.
        answer: The final answer read with ``extract_answer`` (None when there is none).
        correct: Whether ``answer`` matches the gold answer (None when no gold is known).
    """

    index: int
    text: str
    answer: str | None
    correct: bool | None


class VoteBucket(TypedDict):
    """Samples whose answers are equivalent.

    Attributes:
        answer: The answer as the bucket's first sample wrote it.
        count: How many samples gave it.
        indices: Their sample indices, in order.
        weight: The votes it holds (``count`` for plain voting; weighted for Borda).
        correct: Whether the answer matches the gold answer (None when unknown).
    """

    answer: str
    count: int
    indices: list[int]
    weight: float
    correct: bool | None


def grade(answer: str | None, gold: str | None) -> bool | None:
    """Whether ``answer`` matches ``gold``; None when no gold is known."""
    if gold is None or not str(gold).strip():
        return None
    return is_equiv(answer, gold)


def require_gold(state: Mapping[str, Any], technique: str, why: str) -> str:
    """The item's gold answer, or ``MissingGoldError`` naming the item and the reason.

    Args:
        state: The graph state (an ``ItemInput``).
        technique: The graph's name, for the message.
        why: What the gold answer is needed for.
    """
    gold = state.get("answer")
    if gold is None or not str(gold).strip():
        item = state.get("item_id") or "(no item_id)"
        raise MissingGoldError(
            f"{technique}: item {item} has no gold 'answer', which is needed {why}; "
            "give every item an 'answer' field or choose an option that needs none"
        )
    return str(gold)


def samples_from(result: CompletionSet, gold: str | None) -> list[Sample]:
    """Read the final answer of every completion and grade it when gold is known."""
    out: list[Sample] = []
    for completion in result.completions:
        answer = extract_answer(completion.text)
        out.append(
            {
                "index": completion.index,
                "text": completion.text,
                "answer": answer,
                "correct": grade(answer, gold),
            }
        )
    return out


def cluster(
    samples: Sequence[Sample],
    weights: Mapping[int, float] | None = None,
    gold: str | None = None,
) -> list[VoteBucket]:
    """Group samples whose answers are equivalent, in order of first appearance.

    Samples without an answer cast no vote. Each answer is compared with the first answer of
    every bucket so far (``is_equiv``), so the buckets do not depend on chained similarity.

    Args:
        samples: The samples, in sample order.
        weights: Votes per sample index (1.0 each when None; a missing index counts 0).
        gold: The gold answer, to mark each bucket correct or not.

    Returns:
        The buckets, ordered by the index of their first sample.
    """
    buckets: list[VoteBucket] = []
    for sample in samples:
        answer = sample["answer"]
        if answer is None:
            continue
        weight = 1.0 if weights is None else float(weights.get(sample["index"], 0.0))
        home = next((b for b in buckets if is_equiv(answer, b["answer"])), None)
        if home is None:
            buckets.append(
                {
                    "answer": answer,
                    "count": 1,
                    "indices": [sample["index"]],
                    "weight": weight,
                    "correct": grade(answer, gold),
                }
            )
        else:
            home["count"] += 1
            home["indices"].append(sample["index"])
            home["weight"] += weight
    return buckets


def plurality(buckets: Sequence[VoteBucket]) -> VoteBucket | None:
    """The bucket with the most votes (``weight``).

    Ties go to the bucket whose first sample came earliest (the lowest sample index), which
    is deterministic and does not favour any answer by its value. None when no sample voted.
    """
    best: VoteBucket | None = None
    for bucket in buckets:
        if best is None or _beats(bucket, best):
            best = bucket
    return best


def _beats(bucket: VoteBucket, best: VoteBucket) -> bool:
    if bucket["weight"] > best["weight"] + 1e-12:
        return True
    tied = abs(bucket["weight"] - best["weight"]) <= 1e-12
    return tied and bucket["indices"][0] < best["indices"][0]


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimate from ``n`` samples of which ``c`` are correct.

    ``1 - C(n - c, k) / C(n, k)``: the chance that at least one of ``k`` samples drawn without
    replacement from the ``n`` is correct.
    """
    if k < 1 or k > n:
        raise ValueError(f"k must be in [1, {n}], got {k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_at_ks(n: int, c: int) -> dict[str, float]:
    """pass@k for k = 1, 2, 4, ... up to ``n``, and for ``n`` itself (keys are strings)."""
    ks = sorted({*(2**i for i in range(n.bit_length()) if 2**i <= n), n})
    return {str(k): pass_at_k(n, c, k) for k in ks if k >= 1}


def model_names(roles: Roles, *role_names: str) -> dict[str, str]:
    """Role name to the model string it resolves to (for record provenance)."""
    return {role: roles.resolve(role).name for role in role_names}
