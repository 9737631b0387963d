"""Self-certainty from token log probabilities, and Borda voting weighted by it.

Self-certainty (Kang, Zhao & Song, 2025) is the mean over response tokens of
KL(uniform over the vocabulary || the model's next-token distribution): the more peaked the
distributions, the more confident the model. It needs the full distribution at every
position; chat APIs return at most the top 5-20 alternatives, and some only the sampled
token's log probability. So:

- with top-k alternatives, the mass outside the top k is spread evenly over the other
  ``vocab_size - k`` tokens and the KL is computed from that reconstruction (``topk_kl``;
  an approximation, not validated against the full-vocabulary value);
- with only the sampled token's log probability, the mean token log probability is used as
  a confidence proxy (``mean_logprob``), which the paper reports as weaker than true
  self-certainty.

The method used is recorded with every score, and one method is used for all samples of an
item so their scores compare.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from sparring.graphs._reasoning_common import LogprobsUnavailableError, Sample
from sparring.models import Completion, CompletionSet, TokenLogprob

__all__ = [
    "CertaintyMethod",
    "borda_weights",
    "certainty_method",
    "certainty_scores",
    "mean_logprob",
    "topk_self_certainty",
]

CertaintyMethod = Literal["topk_kl", "mean_logprob"]
_FLOOR = 1e-12


def mean_logprob(tokens: Sequence[TokenLogprob]) -> float:
    """The mean log probability of the sampled tokens (-inf for an empty completion)."""
    if not tokens:
        return -math.inf
    return sum(t.logprob for t in tokens) / len(tokens)


def _position_kl(token: TokenLogprob, vocab_size: int) -> float:
    probs = {alt.token: math.exp(alt.logprob) for alt in token.top_logprobs}
    probs.setdefault(token.token, math.exp(token.logprob))
    k = min(len(probs), vocab_size - 1)
    top = sorted(probs.values(), reverse=True)[:k]
    rest = max(1.0 - sum(top), _FLOOR)
    log_sum = sum(math.log(max(p, _FLOOR)) for p in top)
    log_sum += (vocab_size - k) * math.log(rest / (vocab_size - k))
    return -math.log(vocab_size) - log_sum / vocab_size


def topk_self_certainty(tokens: Sequence[TokenLogprob], vocab_size: int) -> float:
    """Self-certainty reconstructed from top-k alternatives (-inf for an empty completion).

    Args:
        tokens: The completion's tokens, each with its top alternatives.
        vocab_size: The model's vocabulary size V.
    """
    if not tokens:
        return -math.inf
    return sum(_position_kl(t, vocab_size) for t in tokens) / len(tokens)


def certainty_method(result: CompletionSet) -> CertaintyMethod:
    """The method the completions allow; ``LogprobsUnavailableError`` when they carry none.

    Raises:
        LogprobsUnavailableError: A completion came back without log probabilities.
    """
    missing = [c.index for c in result.completions if c.logprobs is None]
    if missing:
        raise LogprobsUnavailableError(
            f"self-certainty selection needs token log probabilities, but model "
            f"{result.model!r} returned none for sample(s) {missing}. Use a backend that "
            "returns them (OpenAI-compatible servers such as vLLM, or the simulator), or "
            "choose selection='majority', 'judge' or 'verifier'."
        )
    with_tops = all(
        c.logprobs and all(t.top_logprobs for t in c.logprobs) for c in result.completions
    )
    return "topk_kl" if with_tops else "mean_logprob"


def _score(completion: Completion, method: CertaintyMethod, vocab_size: int) -> float:
    tokens = completion.logprobs or []
    if method == "topk_kl":
        return topk_self_certainty(tokens, vocab_size)
    return mean_logprob(tokens)


def certainty_scores(
    result: CompletionSet, vocab_size: int
) -> tuple[dict[int, float], CertaintyMethod]:
    """Sample index to its certainty score, and the method used for all of them."""
    method = certainty_method(result)
    return {c.index: _score(c, method, vocab_size) for c in result.completions}, method


def borda_weights(
    samples: Sequence[Sample], scores: dict[int, float], power: float
) -> dict[int, float]:
    """Borda votes by certainty rank: rank r (1 = most certain) of N gets ``(N - r + 1)**power``.

    Only samples with an answer are ranked (the paper gives the others -inf certainty);
    ties in certainty keep sample order. ``power = 0`` is plain majority voting.
    """
    ranked = sorted(
        (s for s in samples if s["answer"] is not None),
        key=lambda s: (-scores.get(s["index"], -math.inf), s["index"]),
    )
    n = len(ranked)
    return {s["index"]: float((n - r) ** power) for r, s in enumerate(ranked)}
