"""Iterative Reasoning Preference Optimization data (Pang et al., 2024).

For each problem the actor samples ``n_samples`` chains of thought; each final answer is
checked against the item's gold ``answer`` (exact verification, no LLM judge). Correct chains
(winners) are paired with incorrect ones (losers) into up to ``max_pairs`` preference pairs;
every winner used is also emitted as an SFT record, the NLL target of the DPO+NLL loss. An item
whose samples are all correct or all incorrect gives no pair (counted under ``refused``).

Training: the pairs are TRL DPO rows; the paper's loss is DPO plus a length-normalised NLL
term on the chosen side. TRL 1.16 has no ``rpo_alpha`` (``DPOConfig`` rejects it); the same loss
is ``DPOConfig(loss_type=["sigmoid", "sft"], loss_weights=[1.0, rpo_alpha], beta=beta)``, whose
``sft`` term is the chosen side's token-mean NLL (tests/trainers trains it). Each pair's
``meta.extra`` carries what a trainer needs: ``loss``, ``rpo_alpha`` (the paper's alpha),
``trl_loss_type`` and ``trl_loss_weights`` (the DPOConfig fields), ``beta``,
``nll_target`` ("chosen"), ``nll_length_normalised``, the answers, the gold answer, the
sample counts, the sampling temperature and the ``iteration`` (also ``meta.round``). Run the
outer loop (train M_t+1 on M_t's data with M_t as the reference, then sample again) outside
the graph.

Pairing: winners and losers are deduplicated by text, then paired in a balanced order (each
round pairs every winner once, the losers rotating), so ``max_pairs`` spreads over all chains
rather than reusing the first winner. A loser is a chain whose answer is wrong or missing
(``meta.extra.rejected_reason``).

Failures: items without gold raise ``MissingGoldError`` before any call; an actor call that
fails raises ``ModelCallError`` (the runner records a failed item).
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore

from sparring.agents import GSM8K_FORMAT, Actor
from sparring.graphs._reasoning_common import (
    Sample,
    add_node,
    check_range,
    model_names,
    require_gold,
    samples_from,
)
from sparring.graphs._reasoning_records import merge_refusals, sft_target
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import Roles
from sparring.records import PreferencePair, RecordRefused, make_pair

__all__ = ["PAIR", "SAMPLE", "IrpoState", "balanced_pairs", "create_irpo_graph"]

TECHNIQUE = "irpo"
SAMPLE, PAIR = "sample", "pair"


class IrpoState(ItemInput, RecordsState, total=False):
    """State of the Iterative RPO data graph.

    Attributes:
        samples: The sampled chains, graded against the gold answer.
        n_correct: How many chains are correct.
        accuracy: ``n_correct / n_samples``.
        dropped: Why the item gave no pair (``all correct``, ``all incorrect``), else None.
    """

    samples: list[Sample]
    n_correct: int
    accuracy: float
    dropped: str | None


def _unique(samples: list[Sample]) -> list[Sample]:
    seen: set[str] = set()
    out = []
    for s in samples:
        key = s["text"].strip()
        if key and key not in seen:
            seen.add(key)
            out.append(s)
    return out


def balanced_pairs(n_winners: int, n_losers: int, limit: int) -> list[tuple[int, int]]:
    """Up to ``limit`` distinct (winner, loser) index pairs, spread evenly over both sides.

    Round ``d`` pairs winner ``i`` with loser ``(i + d) % n_losers``; the rounds together
    cover every pair exactly once.

    Example:
        >>> balanced_pairs(2, 3, 4)
        [(0, 0), (1, 1), (0, 1), (1, 2)]
    """
    out: list[tuple[int, int]] = []
    for d in range(n_losers):
        for i in range(n_winners):
            if len(out) >= limit:
                return out
            out.append((i, (i + d) % n_losers))
    return out


class _IrpoNodes:
    """The graph's nodes, bound to the roles and options."""

    def __init__(
        self,
        roles: Roles,
        *,
        n_samples: int,
        max_pairs: int,
        temperature: float | None,
        rpo_alpha: float,
        beta: float,
        iteration: int,
        answer_format: str,
    ) -> None:
        self.n_samples, self.max_pairs, self.temperature = n_samples, max_pairs, temperature
        self.rpo_alpha, self.beta, self.iteration = rpo_alpha, beta, iteration
        self.answer_format = answer_format
        self.actor = Actor(roles)
        self.models = model_names(roles, "actor")
        self.seed = roles.resolve("actor").seed

    async def sample(self, state: IrpoState) -> dict[str, Any]:
        gold = require_gold(state, TECHNIQUE, "to verify the sampled chains")
        result = await self.actor.answer(
            state["prompt"],
            n=self.n_samples,
            answer_format=self.answer_format,
            temperature=self.temperature,
        )
        samples = samples_from(result, gold)
        n_correct = sum(bool(s["correct"]) for s in samples)
        return {"samples": samples, "n_correct": n_correct, "accuracy": n_correct / self.n_samples}

    def pair_meta(self, state: IrpoState, win: Sample, lose: Sample) -> dict[str, Any]:
        extra = {
            "loss": "dpo+nll",
            "rpo_alpha": self.rpo_alpha,
            "trl_loss_type": ["sigmoid", "sft"],  # TRL >= 1.x: rpo_alpha became a loss term
            "trl_loss_weights": [1.0, self.rpo_alpha],
            "beta": self.beta,
            "nll_target": "chosen",
            "nll_length_normalised": True,
            "chosen_answer": win["answer"],
            "rejected_answer": lose["answer"],
            "rejected_reason": "no_answer" if lose["answer"] is None else "wrong_answer",
            "gold": state.get("answer"),
            "n_samples": self.n_samples,
            "n_correct": state.get("n_correct"),
            "temperature": self.temperature,
            "chosen_sample": win["index"],
            "rejected_sample": lose["index"],
        }
        item_id = state.get("item_id")
        return {"item_id": item_id, "seed": self.seed, "round": self.iteration, "extra": extra}

    async def build_pairs(self, state: IrpoState) -> dict[str, Any]:
        samples = state.get("samples", [])
        winners = _unique([s for s in samples if s["correct"]])
        losers = _unique([s for s in samples if not s["correct"]])
        if not winners or not losers:
            reason = "all correct" if winners else "all incorrect"
            return {"dropped": reason, "refused": {f"no pair: {reason}": 1}}
        refused: dict[str, int] = {}
        pairs: list[PreferencePair] = []
        used: dict[int, Sample] = {}
        for i, j in balanced_pairs(len(winners), len(losers), self.max_pairs):
            win, lose = winners[i], losers[j]
            try:
                pairs.append(
                    make_pair(
                        state["prompt"],
                        win["text"],
                        lose["text"],
                        technique=TECHNIQUE,
                        models=self.models,
                        chosen_score=1.0,
                        rejected_score=0.0,
                        **self.pair_meta(state, win, lose),
                    )
                )
                used[win["index"]] = win
            except RecordRefused as exc:
                merge_refusals(refused, exc.reason)
        sft = [record for win in used.values() for record in self._sft(state, win, refused)]
        update: dict[str, Any] = {"pairs": pairs, "sft": sft, "dropped": None}
        return {**update, "refused": refused} if refused else update

    def _sft(self, state: IrpoState, win: Sample, refused: dict[str, int]) -> list[dict[str, Any]]:
        return sft_target(
            state["prompt"],
            win["text"],
            refused,
            technique=TECHNIQUE,
            purpose="nll_target",
            models=self.models,
            item_id=state.get("item_id"),
            round=self.iteration,
            sample=win["index"],
            answer=win["answer"],
        )


def create_irpo_graph(
    roles: Roles,
    *,
    n_samples: int = 8,
    max_pairs: int = 10,
    temperature: float | None = 0.8,
    rpo_alpha: float = 1.0,
    beta: float = 0.1,
    iteration: int = 1,
    answer_format: str = GSM8K_FORMAT,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the Iterative RPO data graph.

    Args:
        roles: Role bindings; uses ``actor``.
        n_samples: Chains sampled per problem (the paper used 30 on GSM8K).
        max_pairs: Pairs kept per problem (the paper's K = 10).
        temperature: Sampling temperature (0.8 in the paper's first iteration, higher
            later); None keeps the actor model's own setting.
        rpo_alpha: Weight of the NLL term, written into the pair meta (the paper's alpha = 1;
            TRL's ``loss_weights=[1.0, rpo_alpha]`` with ``loss_type=["sigmoid", "sft"]``).
        beta: DPO beta, written into the pair meta (0.1).
        iteration: The outer-loop iteration this data is for (meta ``round``).
        answer_format: The final-answer instruction given to the actor.
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: The compiled graph's name.

    Returns:
        The compiled graph; input ``{"prompt", "answer", "item_id"?}`` (gold is required).

    Raises:
        ConfigError: An option is out of range.
    """
    check_range("n_samples", n_samples, 2, 1024)
    check_range("max_pairs", max_pairs, 1, 10_000)
    check_range("rpo_alpha", rpo_alpha, 0.0, 100.0)
    check_range("beta", beta, 0.0, 100.0)
    check_range("iteration", iteration, 0)
    if temperature is not None:
        check_range("temperature", temperature, 0.0, 5.0)
    nodes = _IrpoNodes(
        roles,
        n_samples=n_samples,
        max_pairs=max_pairs,
        temperature=temperature,
        rpo_alpha=rpo_alpha,
        beta=beta,
        iteration=iteration,
        answer_format=answer_format,
    )
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(IrpoState)
    add_node(builder, SAMPLE, nodes.sample, roles)
    add_node(builder, PAIR, nodes.build_pairs, roles)
    builder.add_edge(START, SAMPLE)
    builder.add_edge(SAMPLE, PAIR)
    builder.add_edge(PAIR, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)
