"""FOBAR: forward-backward verification of candidate answers (Jiang et al., 2024).

Forward: the actor samples ``n_forward`` solutions; equivalent answers are grouped into
candidates (``is_equiv``). If at most one candidate has ``threshold`` votes, or the question
has no number to mask, the self-consistency answer stands. Backward: for every candidate and
every number in the question, the number is replaced by an unknown and the actor, told that
the candidate is the answer, works back to the unknown ``n_backward`` times (one ``Send``
branch per candidate and mask). A candidate earns a backward hit each time the masked number
comes back. Combine: ``P_F`` is the candidate's share of forward votes, ``P_B`` its smoothed
share of backward hits, and the candidate with the largest ``P_F**alpha * P_B**(1-alpha)``
wins (alpha = 0.5 as in the paper; ties: more forward votes, then earlier).

Outputs: the candidates with their forward and backward figures, the selected answer and
chain, the plain self-consistency answer for comparison, and correctness of both when gold is
known. Records: a label-free preference pair (a chain of the selected answer over a chain of
the lowest-scoring candidate) when the selected answer earned more backward hits than that
candidate (else ``refused: {"no backward signal": 1}``); its meta says
``verified_by: "fobar"`` and, when gold is known, whether gold agrees (filter on it before
training if you have gold).

Failures: forward calls raise ``ModelCallError`` (the runner records a failed item). A failed
backward call never raises: it counts for nothing, and is counted as unscored for the
``actor`` role together with unreadable backward answers (``judged`` counts backward samples).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from langgraph.types import Send
from typing_extensions import TypedDict

from sparring.agents import GSM8K_FORMAT, Actor
from sparring.errors import ModelCallError
from sparring.graphs._nodes import add_route
from sparring.graphs._reasoning_common import (
    Sample,
    VoteBucket,
    add_node,
    check_range,
    cluster,
    grade,
    model_names,
    plurality,
    samples_from,
)
from sparring.graphs._reasoning_fobar import (
    BackwardResult,
    CandidateScore,
    Mask,
    combine_scores,
    mask_numbers,
    parse_backward,
)
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.records import RecordRefused, make_pair
from sparring.verify import is_equiv

__all__ = [
    "BACKWARD",
    "COMBINE",
    "FORWARD",
    "BackwardTask",
    "FobarState",
    "create_fobar_graph",
]

TECHNIQUE = "fobar"
FORWARD, BACKWARD, COMBINE = "forward", "backward", "combine"


class BackwardTask(TypedDict):
    """One fanned-out backward check: a candidate answer against one masked question."""

    candidate: int
    answer: str
    mask: Mask


class FobarState(ItemInput, RecordsState, total=False):
    """State of the FOBAR graph.

    Attributes:
        samples: The forward solutions.
        candidates: Buckets of equivalent forward answers with at least ``threshold`` votes.
        masks: The backward questions (one per masked number).
        backward: The backward results, per candidate and mask.
        scores: The combined figures per candidate (empty when backward was skipped).
        used_backward: Whether backward checks ran.
        sc_answer: The plain majority answer.
        selected_answer: FOBAR's answer.
        selected_text: A forward chain that gave it.
        correct: Whether ``selected_answer`` matches the gold answer (None without gold).
        sc_correct: Whether ``sc_answer`` matches the gold answer (None without gold).
    """

    samples: list[Sample]
    candidates: list[VoteBucket]
    masks: list[Mask]
    backward: Annotated[list[BackwardResult], operator.add]
    scores: list[CandidateScore]
    used_backward: bool
    sc_answer: str | None
    selected_answer: str | None
    selected_text: str | None
    correct: bool | None
    sc_correct: bool | None


def _best(scores: list[CandidateScore]) -> int:
    return max(range(len(scores)), key=lambda i: (scores[i]["score"], scores[i]["votes"], -i))


def _text_of(samples: list[Sample], bucket: VoteBucket) -> str:
    first = bucket["indices"][0]
    return next(s["text"] for s in samples if s["index"] == first)


class _FobarNodes:
    """The graph's nodes and router, bound to the roles and options."""

    def __init__(
        self,
        roles: Roles,
        *,
        n_forward: int,
        n_backward: int,
        alpha: float,
        threshold: int,
        max_masks: int | None,
        max_candidates: int | None,
        temperature: float | None,
        answer_format: str,
    ) -> None:
        self.roles, self.n_forward, self.n_backward = roles, n_forward, n_backward
        self.alpha, self.threshold = alpha, threshold
        self.max_masks, self.max_candidates = max_masks, max_candidates
        self.temperature, self.answer_format = temperature, answer_format
        self.actor = Actor(roles)
        self.models = model_names(roles, "actor")

    async def forward(self, state: FobarState) -> dict[str, Any]:
        result = await self.actor.answer(
            state["prompt"],
            n=self.n_forward,
            answer_format=self.answer_format,
            temperature=self.temperature,
        )
        gold = state.get("answer")
        samples = samples_from(result, gold)
        ranked = sorted(cluster(samples, gold=gold), key=lambda b: (-b["count"], b["indices"][0]))
        candidates = [b for b in ranked if b["count"] >= self.threshold][: self.max_candidates]
        return {
            "samples": samples,
            "candidates": candidates,
            "masks": mask_numbers(state["prompt"], self.max_masks),
        }

    def fan_out(self, state: FobarState) -> list[Send] | str:
        candidates, masks = state.get("candidates", []), state.get("masks", [])
        if len(candidates) <= 1 or not masks:
            return COMBINE
        return [
            Send(BACKWARD, {"candidate": i, "answer": c["answer"], "mask": m})
            for i, c in enumerate(candidates)
            for m in masks
        ]

    async def backward(self, task: BackwardTask) -> dict[str, Any]:
        mask, n_backward = task["mask"], self.n_backward
        messages = load_prompt("actor/fobar_backward").render(
            question=Untrusted(mask["question"], "MASKED QUESTION"),
            candidate=Untrusted(task["answer"], "CANDIDATE ANSWER"),
            symbol=mask["symbol"],
        )
        entry: BackwardResult = {
            "candidate": task["candidate"],
            "answer": task["answer"],
            "mask": mask["index"],
            "predictions": [],
            "hits": 0,
            "total": 0,
            "failed": True,
        }
        try:
            result = await self.roles.complete(
                "actor", messages, n=n_backward, temperature=self.temperature
            )
        except ModelCallError:
            return {
                "backward": [entry],
                "judged": {"actor": n_backward},
                "unscored": {"actor": n_backward},
            }
        preds = [parse_backward(text, mask["symbol"]) for text in result.texts]
        entry["predictions"], entry["failed"] = preds, False
        entry["total"] = sum(p is not None for p in preds)
        entry["hits"] = sum(is_equiv(p, mask["value"]) for p in preds if p is not None)
        unread = len(preds) - entry["total"]
        return {"backward": [entry], "judged": {"actor": len(preds)}, "unscored": {"actor": unread}}

    async def combine(self, state: FobarState) -> dict[str, Any]:
        samples, gold = state.get("samples", []), state.get("answer")
        candidates = state.get("candidates", [])
        top = plurality(cluster(samples, gold=gold))
        sc_answer = None if top is None else top["answer"]
        results = state.get("backward", [])
        update: dict[str, Any] = {
            "used_backward": bool(results),
            "sc_answer": sc_answer,
            "sc_correct": grade(sc_answer, gold),
            "scores": [],
        }
        if not results or not candidates:
            best = top
            update["selected_text"] = None if top is None else _text_of(samples, top)
        else:
            scores = combine_scores(candidates, results, self.alpha)
            best = candidates[_best(scores)]
            update["scores"] = scores
            update["selected_text"] = _text_of(samples, best)
            update.update(_pair(state, samples, candidates, scores, self.models))
        answer = None if best is None else best["answer"]
        update["selected_answer"], update["correct"] = answer, grade(answer, gold)
        return update


def create_fobar_graph(
    roles: Roles,
    *,
    n_forward: int = 10,
    n_backward: int = 8,
    alpha: float = 0.5,
    threshold: int = 1,
    max_masks: int | None = None,
    max_candidates: int | None = None,
    temperature: float | None = 0.7,
    answer_format: str = GSM8K_FORMAT,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the FOBAR graph.

    Args:
        roles: Role bindings; uses ``actor`` forward and backward.
        n_forward: Forward samples M_F (10 in the paper's code).
        n_backward: Backward samples M_B per candidate and mask (8).
        alpha: Weight of the forward probability (0.5); 1 is plain self-consistency.
        threshold: Votes a forward answer needs to be a candidate (1).
        max_masks: Numbers of the question masked at most (all when None; each mask costs
            one backward call per candidate).
        max_candidates: Candidates checked at most, most voted first (all when None).
        temperature: Sampling temperature forward and backward (0.7).
        answer_format: The final-answer instruction for the forward solutions.
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: The compiled graph's name.

    Returns:
        The compiled graph; input ``{"prompt", "answer"?, "item_id"?}``.

    Raises:
        ConfigError: An option is out of range.
    """
    check_range("n_forward", n_forward, 1, 1024)
    check_range("n_backward", n_backward, 1, 1024)
    check_range("alpha", alpha, 0.0, 1.0)
    check_range("threshold", threshold, 1, n_forward)
    if max_masks is not None:
        check_range("max_masks", max_masks, 1, 1000)
    if max_candidates is not None:
        check_range("max_candidates", max_candidates, 1, 1000)
    if temperature is not None:
        check_range("temperature", temperature, 0.0, 5.0)
    nodes = _FobarNodes(
        roles,
        n_forward=n_forward,
        n_backward=n_backward,
        alpha=alpha,
        threshold=threshold,
        max_masks=max_masks,
        max_candidates=max_candidates,
        temperature=temperature,
        answer_format=answer_format,
    )
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(FobarState)
    add_node(builder, FORWARD, nodes.forward, roles)
    add_node(builder, BACKWARD, nodes.backward, roles, input_schema=BackwardTask)
    add_node(builder, COMBINE, nodes.combine, roles)
    builder.add_edge(START, FORWARD)
    add_route(builder, FORWARD, nodes.fan_out, [BACKWARD, COMBINE])
    builder.add_edge(BACKWARD, COMBINE)
    builder.add_edge(COMBINE, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)


def _pair(
    state: FobarState,
    samples: list[Sample],
    candidates: list[VoteBucket],
    scores: list[CandidateScore],
    models: dict[str, str],
) -> dict[str, Any]:
    """A (best candidate's chain over worst candidate's chain) pair, labelled by FOBAR."""
    order = sorted(range(len(scores)), key=lambda i: (scores[i]["score"], scores[i]["votes"], -i))
    worst, best = order[0], _best(scores)
    if scores[best]["hits"] <= scores[worst]["hits"]:
        return {"refused": {"no backward signal": 1}}
    gold = state.get("answer")
    try:
        pair = make_pair(
            state["prompt"],
            _text_of(samples, candidates[best]),
            _text_of(samples, candidates[worst]),
            technique=TECHNIQUE,
            models=models,
            chosen_score=scores[best]["score"],
            rejected_score=scores[worst]["score"],
            item_id=state.get("item_id"),
            extra={
                "verified_by": "fobar",
                "chosen_answer": candidates[best]["answer"],
                "rejected_answer": candidates[worst]["answer"],
                "chosen_hits": scores[best]["hits"],
                "rejected_hits": scores[worst]["hits"],
                "gold": gold,
                "gold_agrees": None if gold is None else bool(candidates[best]["correct"]),
            },
        )
    except RecordRefused as exc:
        return {"refused": {exc.reason: 1}}
    return {"pairs": [pair]}
