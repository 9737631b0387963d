"""Thought Preference Optimization (TPO): think privately, be judged on the reply alone.

After Wu et al., 2024 ("Thinking LLMs"): the actor answers with private notes, a fixed
separator line, then the reply (prompt ``actor/tpo_think``), ``n_responses`` times. Each
output is split at the separator; the judge sees **only the reply** (and the item's
``reference`` when given), never the notes, so thinking is rewarded only through what it does
to the reply. An output that cannot be split (no separator, more than one, or nothing after
it) is a forced rejected example, as in the paper.

Scoring (``judge_mode``): ``pointwise`` scores each reply (``n_judgments`` samples, mean of
the scored ones), like the paper's reward model; ``pairwise`` judges every pair of replies in
both orders and fits Bradley-Terry strengths to the single-order verdicts (the paper's
pairwise judge with "Elo"). Selection uses ``s = z(score) - length_penalty * z(length)`` over
the scored replies (z over this item's candidates; length in characters of the reply).

Pair: chosen = the highest ``s``; rejected = an unsplittable output when there is one, else
the lowest ``s``. Both sides are the **full** outputs (notes + separator + reply) and the
prompt is the whole thought prompt, so the pair stays on-policy. ``chosen_score`` and
``rejected_score`` are the judge's scores (None for a forced rejected), so a pair whose chosen
side the judge scored no higher than its rejected side is refused. Unscored replies (judge
failure, degenerate reply) are never chosen and never rejected. Judge failures never raise;
an actor failure raises, so the runner records the item as failed and can retry it.

Graph::

    START -> think -> judge (x replies, Send) | compare (x pairs, Send) -> select -> END
"""

from __future__ import annotations

import operator
import statistics
from itertools import combinations
from typing import Annotated, Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from langgraph.types import Send
from typing_extensions import TypedDict

from sparring.agents import Judge, PairwiseJudge, verdict_counts
from sparring.errors import ConfigError
from sparring.graphs._judging_common import (
    add_traced,
    answer_format_for,
    flatten_messages,
    judgment_update,
    provenance,
)
from sparring.graphs._judging_tpo import (
    BattleRecord,
    TpoCandidate,
    battle_outcome,
    bt_scores,
    make_candidate,
    split_thought,
    zscores,
)
from sparring.graphs._nodes import add_route
from sparring.graphs._options import check_choice, check_range
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import ChatMessage, Roles
from sparring.prompts import load_prompt
from sparring.records import RecordRefused, make_pair

__all__ = [
    "COMPARE",
    "DEFAULT_SEPARATOR",
    "JUDGE",
    "SELECT",
    "TECHNIQUE",
    "THINK",
    "BattleRecord",
    "ReplyScore",
    "Selection",
    "TpoCandidate",
    "TpoState",
    "create_tpo_graph",
    "split_thought",
]

TECHNIQUE = "tpo"
THINK = "think"
JUDGE = "judge"
COMPARE = "compare"
SELECT = "select"
DEFAULT_SEPARATOR = "<<<REPLY>>>"
JudgeMode = Literal["pointwise", "pairwise"]


class ReplyScore(TypedDict):
    """A reply's pointwise judgments and their mean (None when none was scored)."""

    index: int
    score: float | None
    verdicts: list[dict[str, Any]]


class Selection(TypedDict):
    """Which candidates became the pair and why.

    Attributes:
        chosen: Index of the chosen candidate, if any.
        rejected: Index of the rejected candidate, if any.
        forced: Whether the rejected side is an unsplittable output.
        scores: Judge score per scored candidate (pointwise mean, or Bradley-Terry strength).
        values: Selection value ``s`` per scored candidate.
    """

    chosen: int | None
    rejected: int | None
    forced: bool
    scores: dict[str, float]
    values: dict[str, float]


class TpoState(ItemInput, RecordsState, total=False):
    """Input, candidates, judgments and the selection of the TPO graph.

    Attributes:
        candidates: The actor's outputs, split into notes and reply.
        scores: Pointwise judgments per reply (``judge_mode="pointwise"``).
        battles: Single-order pairwise verdicts (``judge_mode="pairwise"``).
        selection: The chosen and rejected candidates.
    """

    candidates: list[TpoCandidate]
    scores: Annotated[list[ReplyScore], operator.add]
    battles: Annotated[list[BattleRecord], operator.add]
    selection: Selection


class ReplyTask(TypedDict):
    """``Send`` payload: one reply to score."""

    index: int
    prompt: str
    response: str
    reference: str | None


class PairTask(TypedDict):
    """``Send`` payload: two replies to compare in both orders."""

    first: int
    second: int
    prompt: str
    a: str
    b: str
    reference: str | None


class _Nodes:
    """The graph's nodes, sharing the roles and options."""

    def __init__(self, roles: Roles, options: dict[str, Any]) -> None:
        self.roles, self.o = roles, options
        self.judge = Judge(roles)
        self.pairwise = PairwiseJudge(roles)

    def messages(self, state: TpoState) -> list[ChatMessage]:
        return load_prompt("actor/tpo_think").render(
            question=state["prompt"],
            answer_format=answer_format_for(state, self.o["answer_format"]),
            separator=self.o["separator"],
        )

    async def think(self, state: TpoState) -> dict[str, Any]:
        result = await self.roles.complete(
            "actor",
            self.messages(state),
            n=self.o["n_responses"],
            temperature=self.o["temperature"],
            top_p=self.o["top_p"],
        )
        sep = self.o["separator"]
        return {"candidates": [make_candidate(i, t, sep) for i, t in enumerate(result.texts)]}

    async def score(self, task: ReplyTask) -> dict[str, Any]:
        verdicts = await self.judge.score(
            task["prompt"], task["response"], n=self.o["n_judgments"], reference=task["reference"]
        )
        scored = [v.require_score() for v in verdicts if v.is_scored]
        entry: ReplyScore = {
            "index": task["index"],
            "score": statistics.fmean(scored) if scored else None,
            "verdicts": [v.model_dump() for v in verdicts],
        }
        return {"scores": [entry], **verdict_counts("judge", verdicts)}

    async def compare(self, task: PairTask) -> dict[str, Any]:
        judgment = await self.pairwise.compare(
            task["prompt"], task["a"], task["b"], reference=task["reference"]
        )
        battles: list[BattleRecord] = []
        i, j = task["first"], task["second"]
        for verdict, (x, y) in ((judgment.first, (i, j)), (judgment.swapped, (j, i))):
            outcome = None if verdict is None else battle_outcome(verdict)
            if outcome is not None:
                battles.append({"first": x, "second": y, "outcome": outcome})
        return {"battles": battles, **judgment_update("judge", [judgment])}

    async def select(self, state: TpoState) -> dict[str, Any]:
        candidates = state.get("candidates", [])
        scores = self._scores(state)
        lengths = {i: float(len(candidates[i]["response"] or "")) for i in scores}
        zs, zl = zscores(scores), zscores(lengths)
        values = {i: zs[i] - self.o["length_penalty"] * zl[i] for i in scores}
        forced = [c["index"] for c in candidates if c["response"] is None]
        ranked = sorted(values, key=lambda i: (-values[i], i))
        chosen = ranked[0] if ranked else None
        rejected = forced[0] if forced else (ranked[-1] if len(ranked) > 1 else None)
        selection: Selection = {
            "chosen": chosen,
            "rejected": rejected,
            "forced": bool(forced) and chosen is not None,
            "scores": {str(i): s for i, s in scores.items()},
            "values": {str(i): v for i, v in values.items()},
        }
        update: dict[str, Any] = {"selection": selection}
        if chosen is None or rejected is None:
            reason = "no scored reply" if chosen is None else "too few scored replies"
            return {**update, "refused": {reason: 1}}
        return {**update, **self._pair(state, selection, chosen, rejected, scores)}

    def _scores(self, state: TpoState) -> dict[int, float]:
        if self.o["judge_mode"] == "pairwise":
            return bt_scores(state.get("battles", []))
        return {s["index"]: s["score"] for s in state.get("scores", []) if s["score"] is not None}

    def _pair(
        self,
        state: TpoState,
        selection: Selection,
        chosen: int,
        rejected: int,
        scores: dict[int, float],
    ) -> dict[str, Any]:
        candidates = state["candidates"]
        extra = {
            "judge_mode": self.o["judge_mode"],
            "length_penalty": self.o["length_penalty"],
            "separator": self.o["separator"],
            "forced_rejected": selection["forced"],
            "chosen_index": chosen,
            "rejected_index": rejected,
            "values": selection["values"],
        }
        try:
            pair = make_pair(
                flatten_messages(self.messages(state)),
                candidates[chosen]["text"],
                candidates[rejected]["text"],
                technique=TECHNIQUE,
                chosen_score=scores[chosen],
                rejected_score=scores.get(rejected) if not selection["forced"] else None,
                **provenance(state, self.roles, ("actor", "judge")),
                extra=extra,
            )
        except RecordRefused as exc:
            return {"refused": {exc.reason: 1}}
        return {"pairs": [pair]}


def _pair_task(
    prompt: str, reference: str | None, first: tuple[int, str], second: tuple[int, str]
) -> PairTask:
    return {
        "first": first[0],
        "second": second[0],
        "prompt": prompt,
        "a": first[1],
        "b": second[1],
        "reference": reference,
    }


def _fan_out(state: TpoState, mode: str) -> list[Send] | str:
    replies = [(c["index"], c["response"]) for c in state.get("candidates", [])]
    ready = [(i, r) for i, r in replies if r is not None]
    ref = state.get("reference")
    if mode == "pointwise":
        sends = [
            Send(JUDGE, ReplyTask(index=i, prompt=state["prompt"], response=r, reference=ref))
            for i, r in ready
        ]
    else:
        sends = [
            Send(COMPARE, _pair_task(state["prompt"], ref, first, second))
            for first, second in combinations(ready, 2)
        ]
    return sends or SELECT


def create_tpo_graph(
    roles: Roles,
    *,
    n_responses: int = 4,
    judge_mode: JudgeMode = "pointwise",
    n_judgments: int = 1,
    length_penalty: float = 0.0,
    temperature: float = 0.8,
    top_p: float = 0.95,
    separator: str = DEFAULT_SEPARATOR,
    answer_format: str | None = None,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[TpoState, None, TpoState, TpoState]:
    """Build the TPO graph.

    Args:
        roles: Role bindings; calls ``actor`` and ``judge``.
        n_responses: Thought + reply samples per prompt (the paper used 8); 2 to 64.
        judge_mode: ``pointwise`` (a score per reply, as with the paper's reward model) or
            ``pairwise`` (all pairs in both orders, Bradley-Terry strengths).
        n_judgments: Pointwise judgments per reply, averaged; 1 to 16.
        length_penalty: ``rho`` in ``s = z(score) - rho * z(length)`` (the paper tuned it in
            [0, 0.5]); 0 to 1.
        temperature: Actor sampling temperature (paper: 0.8); 0 to 2.
        top_p: Actor nucleus sampling (paper: 0.95); 0 to 1.
        separator: The line between notes and reply that the prompt asks for (one line).
        answer_format: The answer-format line; None picks the GSM8K answer line for items
            with a gold ``answer`` and a plain "answer directly" otherwise.
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: The compiled graph's name.

    Returns:
        The compiled graph; input ``prompt`` (optionally ``reference``, ``answer``,
        ``item_id``).

    Raises:
        ConfigError: An option is out of range.
    """
    if not separator.strip() or "\n" in separator:
        raise ConfigError(f"separator must be one non-empty line, got {separator!r}")
    mode = check_choice("judge_mode", judge_mode, ("pointwise", "pairwise"))
    options: dict[str, Any] = {
        "n_responses": check_range("n_responses", n_responses, 2, 64, integer=True),
        "judge_mode": mode,
        "n_judgments": check_range("n_judgments", n_judgments, 1, 16, integer=True),
        "length_penalty": check_range("length_penalty", length_penalty, 0.0, 1.0),
        "temperature": check_range("temperature", temperature, 0.0, 2.0),
        "top_p": check_range("top_p", top_p, 0.0, 1.0),
        "separator": separator.strip(),
        "answer_format": answer_format,
    }
    nodes = _Nodes(roles, options)
    builder = StateGraph(TpoState)
    add_traced(builder, THINK, nodes.think, roles)
    add_traced(builder, JUDGE, nodes.score, roles, input_schema=ReplyTask)
    add_traced(builder, COMPARE, nodes.compare, roles, input_schema=PairTask)
    add_traced(builder, SELECT, nodes.select, roles)
    builder.add_edge(START, THINK)
    add_route(builder, THINK, lambda s: _fan_out(s, mode), [JUDGE, COMPARE, SELECT])
    builder.add_edge(JUDGE, SELECT)
    builder.add_edge(COMPARE, SELECT)
    builder.add_edge(SELECT, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name)
