"""Self-consistency and best-of-N selection (Wang et al., 2022; Kang, Zhao & Song, 2025).

The actor samples ``n_samples`` solutions; one is selected by:

- ``majority``: a vote over *equivalent* final answers (``is_equiv`` clustering). Ties go to
  the answer that appeared first in sample order (deterministic, independent of the values).
- ``judge``: a pointwise ``Judge`` scores every sample; the best mean score wins. Unscored
  verdicts are excluded; a sample with no scored verdict cannot win; score ties go to the
  answer with more votes, then to the earlier sample. If no sample is scored at all the
  majority vote decides, and ``selection_used`` says so.
- ``verifier``: the first sample whose answer matches the item's gold ``answer`` (oracle
  best-of-N, for pass@k-style reporting); none correct: the majority vote. Needs gold.
- ``self_certainty``: confidence from token log probabilities (see ``_reasoning_certainty``):
  Borda voting over equivalent answers by certainty rank (the paper's default, power 0.5),
  or the single most certain sample (``certainty_rule="argmax"``). A backend that returns no
  log probabilities raises ``LogprobsUnavailableError`` (a ``ConfigError``).

Outputs: the selected sample and answer, the vote distribution, correctness and pass@k when
gold is known; records: an RL record per sample (reward +1/-1 by the gold answer) and an SFT
record of the selected solution when it is verified correct.

Failures: an actor call that fails raises ``ModelCallError`` out of the graph (there is
nothing to select from; the runner records a failed item). Judge failures never raise: they
are counted as unscored.

Example:
    >>> graph = create_self_consistency_graph(Roles.sim(seed=0), n_samples=8)  # doctest: +SKIP
    >>> out = await graph.ainvoke({"prompt": question, "answer": "42"})  # doctest: +SKIP
    >>> out["selected_answer"], out["votes"][0]["count"], out["pass_at_k"]["8"]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import operator
from statistics import fmean
from typing import Annotated, Any, Literal, NotRequired

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from langgraph.types import Send
from typing_extensions import TypedDict

from sparring.agents import GSM8K_FORMAT, Actor, Judge, verdict_counts
from sparring.graphs._nodes import add_route
from sparring.graphs._reasoning_certainty import borda_weights, certainty_scores
from sparring.graphs._reasoning_common import (
    LogprobsUnavailableError,
    Sample,
    VoteBucket,
    add_node,
    check_choice,
    check_range,
    cluster,
    model_names,
    pass_at_ks,
    plurality,
    require_gold,
    samples_from,
)
from sparring.graphs._reasoning_records import outcome_records
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import Roles

__all__ = [
    "JUDGE",
    "SAMPLE",
    "SELECT",
    "SELECTIONS",
    "JudgeTask",
    "SampleScore",
    "Selection",
    "SelfConsistencyState",
    "create_self_consistency_graph",
]

TECHNIQUE = "self-consistency"
SAMPLE, JUDGE, SELECT = "sample", "judge", "select"
Selection = Literal["majority", "judge", "verifier", "self_certainty"]
SELECTIONS: tuple[Selection, ...] = ("majority", "judge", "verifier", "self_certainty")


class SampleScore(TypedDict):
    """A score given to one sample.

    Attributes:
        index: The sample index.
        score: The mean judge score or the certainty; None when every verdict was unscored
            (or, for certainty, when the completion was empty).
        source: ``judge``, ``topk_kl`` or ``mean_logprob``.
        verdicts: The judge's verdicts (``Verdict.model_dump()``), for judge scores.
    """

    index: int
    score: float | None
    source: str
    verdicts: NotRequired[list[dict[str, Any]]]


class JudgeTask(TypedDict):
    """What one fanned-out judge call sees."""

    prompt: str
    reference: str | None
    index: int
    text: str


class SelfConsistencyState(ItemInput, RecordsState, total=False):
    """State of the self-consistency graph.

    Attributes:
        samples: The sampled solutions with their answers (and correctness when gold known).
        judgments: Judge scores per sample (``judge`` selection).
        certainty: Certainty per sample (``self_certainty`` selection).
        votes: The vote distribution: buckets of equivalent answers, most votes first
            (``weight`` is the Borda vote under self-certainty, else the count).
        selected_index: The selected sample's index.
        selected_text: The selected solution.
        selected_answer: Its final answer.
        selection_used: The rule that actually decided (a fallback says so).
        correct: Whether the selected answer matches the gold answer (None without gold).
        n_correct: Samples matching the gold answer (None without gold).
        pass_at_k: Unbiased pass@k for k = 1, 2, 4, ..., n (empty without gold).
    """

    samples: list[Sample]
    judgments: Annotated[list[SampleScore], operator.add]
    certainty: list[SampleScore]
    votes: list[VoteBucket]
    selected_index: int | None
    selected_text: str | None
    selected_answer: str | None
    selection_used: str
    correct: bool | None
    n_correct: int | None
    pass_at_k: dict[str, float]


def _sorted_votes(buckets: list[VoteBucket]) -> list[VoteBucket]:
    return sorted(buckets, key=lambda b: (-b["weight"], b["indices"][0]))


def _pick_judged(judgments: list[SampleScore], buckets: list[VoteBucket]) -> int | None:
    votes = {i: b["count"] for b in buckets for i in b["indices"]}
    scored = [(j["score"], j["index"]) for j in judgments if j["score"] is not None]
    if not scored:
        return None
    return max(scored, key=lambda s: (s[0], votes.get(s[1], 0), -s[1]))[1]


def _pick_certain(
    samples: list[Sample],
    certainty: list[SampleScore],
    rule: str,
    power: float,
    gold: str | None,
) -> tuple[int | None, list[VoteBucket]]:
    ninf = float("-inf")
    scores = {c["index"]: ninf if c["score"] is None else c["score"] for c in certainty}
    if rule == "argmax":
        answered = [s for s in samples if s["answer"] is not None]
        buckets = cluster(samples, gold=gold)
        if not answered:
            return None, buckets
        best = max(answered, key=lambda s: (scores.get(s["index"], ninf), -s["index"]))
        return best["index"], buckets
    buckets = cluster(samples, borda_weights(samples, scores, power), gold)
    top = plurality(buckets)
    if top is None:
        return None, buckets
    return max(top["indices"], key=lambda i: (scores.get(i, ninf), -i)), buckets


def _choose(
    selection: Selection,
    state: SelfConsistencyState,
    certainty_rule: str,
    borda_power: float,
) -> tuple[int | None, str, list[VoteBucket]]:
    """The selected sample index, the rule that decided, and the vote buckets."""
    samples, gold = state.get("samples", []), state.get("answer")
    buckets = cluster(samples, gold=gold)
    top = plurality(buckets)
    majority = None if top is None else top["indices"][0]
    if selection == "judge":
        picked = _pick_judged(state.get("judgments", []), buckets)
        if picked is None:
            return majority, "majority (no judge score)", buckets
        return picked, "judge", buckets
    if selection == "verifier":
        right = next((s["index"] for s in samples if s["correct"]), None)
        if right is None:
            return majority, "majority (none verified)", buckets
        return right, "verifier", buckets
    if selection == "self_certainty":
        chosen, weighted = _pick_certain(
            samples, state.get("certainty", []), certainty_rule, borda_power, gold
        )
        return chosen, f"self_certainty ({certainty_rule})", weighted
    return majority, "majority", buckets


def _gold_stats(samples: list[Sample], gold: str | None) -> dict[str, Any]:
    if gold is None:
        return {"n_correct": None, "pass_at_k": {}}
    c = sum(bool(s["correct"]) for s in samples)
    return {"n_correct": c, "pass_at_k": pass_at_ks(len(samples), c)}


class _SelfConsistencyNodes:
    """The graph's nodes and router, bound to the roles and options."""

    def __init__(
        self,
        roles: Roles,
        *,
        n_samples: int,
        selection: Selection,
        temperature: float | None,
        answer_format: str,
        judge_samples: int,
        certainty_rule: str,
        borda_power: float,
        top_logprobs: int | None,
        vocab_size: int,
    ) -> None:
        self.n_samples, self.selection, self.answer_format = n_samples, selection, answer_format
        self.judge_samples, self.certainty_rule = judge_samples, certainty_rule
        self.borda_power, self.vocab_size = borda_power, vocab_size
        self.actor, self.judge = Actor(roles), Judge(roles)
        self.sampling: dict[str, Any] = {"temperature": temperature}
        if selection == "self_certainty":
            self.sampling.update(logprobs=True, top_logprobs=top_logprobs)
        self.models = model_names(roles, "actor", *(("judge",) if selection == "judge" else ()))

    async def sample(self, state: SelfConsistencyState) -> dict[str, Any]:
        if self.selection == "verifier":
            require_gold(state, TECHNIQUE, "for selection='verifier'")
        result = await self.actor.answer(
            state["prompt"], n=self.n_samples, answer_format=self.answer_format, **self.sampling
        )
        update: dict[str, Any] = {"samples": samples_from(result, state.get("answer"))}
        if self.selection == "self_certainty":
            scores, method = certainty_scores(result, self.vocab_size)
            update["certainty"] = [
                {"index": i, "score": s if math.isfinite(s) else None, "source": method}
                for i, s in sorted(scores.items())
            ]
        return update

    def route(self, state: SelfConsistencyState) -> list[Send] | str:
        if self.selection != "judge":
            return SELECT
        sends = [
            Send(
                JUDGE,
                {
                    "prompt": state["prompt"],
                    "reference": state.get("reference"),
                    "index": s["index"],
                    "text": s["text"],
                },
            )
            for s in state.get("samples", [])
        ]
        return sends or SELECT

    async def judge_one(self, task: JudgeTask) -> dict[str, Any]:
        verdicts = await self.judge.score(
            task["prompt"], task["text"], n=self.judge_samples, reference=task["reference"]
        )
        scored = [v.require_score() for v in verdicts if v.is_scored]
        entry: SampleScore = {
            "index": task["index"],
            "score": fmean(scored) if scored else None,
            "source": "judge",
            "verdicts": [v.model_dump() for v in verdicts],
        }
        return {"judgments": [entry], **verdict_counts("judge", verdicts)}

    async def select(self, state: SelfConsistencyState) -> dict[str, Any]:
        samples, gold = state.get("samples", []), state.get("answer")
        chosen, used, buckets = _choose(
            self.selection, state, self.certainty_rule, self.borda_power
        )
        best = next((s for s in samples if s["index"] == chosen), None)
        records = outcome_records(
            state, samples, best, technique=TECHNIQUE, models=self.models, selection=used
        )
        return {
            "votes": _sorted_votes(buckets),
            "selected_index": chosen,
            "selected_text": None if best is None else best["text"],
            "selected_answer": None if best is None else best["answer"],
            "selection_used": used,
            "correct": None if best is None or gold is None else bool(best["correct"]),
            **_gold_stats(samples, gold),
            **records,
        }


def create_self_consistency_graph(
    roles: Roles,
    *,
    n_samples: int = 8,
    selection: Selection = "majority",
    temperature: float | None = 0.7,
    answer_format: str = GSM8K_FORMAT,
    judge_samples: int = 1,
    certainty_rule: Literal["borda", "argmax"] = "borda",
    borda_power: float = 0.5,
    top_logprobs: int | None = None,
    vocab_size: int = 128_256,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the self-consistency / best-of-N graph.

    Args:
        roles: Role bindings; uses ``actor`` (and ``judge`` for judge selection).
        n_samples: Solutions sampled per item (the paper used 40; 8 is a cheap default).
        selection: ``majority``, ``judge``, ``verifier`` or ``self_certainty``.
        temperature: Sampling temperature (0.7 as in the paper's GPT-3 runs); None keeps
            the actor model's own setting.
        answer_format: The final-answer instruction given to the actor.
        judge_samples: Verdicts per sample under judge selection (their scored mean counts).
        certainty_rule: ``borda`` (vote weighted by certainty rank) or ``argmax``.
        borda_power: Borda exponent p (0.5 in the paper; 0 is plain majority voting).
        top_logprobs: Alternatives per token to ask for under self-certainty; with them the
            top-k KL approximation is used, without them the mean token log probability.
        vocab_size: Vocabulary size V for the top-k KL approximation (Llama-3's by default).
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: The compiled graph's name.

    Returns:
        The compiled graph; input ``{"prompt", "answer"?, "reference"?, "item_id"?}``.

    Raises:
        ConfigError: An option is out of range.
        LogprobsUnavailableError: Self-certainty with an actor bound to a LangChain chat
            model (it cannot return log probabilities).
    """
    check_range("n_samples", n_samples, 1, 1024)
    check_choice("selection", selection, SELECTIONS)
    check_choice("certainty_rule", certainty_rule, ("borda", "argmax"))
    check_range("judge_samples", judge_samples, 1, 64)
    check_range("borda_power", borda_power, 0.0, 10.0)
    check_range("vocab_size", vocab_size, 2)
    if temperature is not None:
        check_range("temperature", temperature, 0.0, 5.0)
    if top_logprobs is not None:
        check_range("top_logprobs", top_logprobs, 1, 20)
    if selection == "self_certainty" and roles.resolve("actor").chat_model is not None:
        raise LogprobsUnavailableError(
            "selection='self_certainty' needs token log probabilities, but the actor is bound "
            "to a LangChain chat model, which returns none through sparring; bind a LiteLLM "
            "model (or the simulator) or choose another selection"
        )
    nodes = _SelfConsistencyNodes(
        roles,
        n_samples=n_samples,
        selection=selection,
        temperature=temperature,
        answer_format=answer_format,
        judge_samples=judge_samples,
        certainty_rule=certainty_rule,
        borda_power=borda_power,
        top_logprobs=top_logprobs,
        vocab_size=vocab_size,
    )
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(SelfConsistencyState)
    add_node(builder, SAMPLE, nodes.sample, roles)
    add_node(builder, JUDGE, nodes.judge_one, roles, input_schema=JudgeTask)
    add_node(builder, SELECT, nodes.select, roles)
    builder.add_edge(START, SAMPLE)
    add_route(builder, SAMPLE, nodes.route, [JUDGE, SELECT])
    builder.add_edge(JUDGE, SELECT)
    builder.add_edge(SELECT, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)
