"""Pairwise judge: which of two responses to one prompt is better, judged in both orders.

The MT-Bench protocol (Zheng et al., 2023) as a graph: the judge sees (A, B) and then the
swapped (B, A); a win must hold in both orders, a flip is a tie, and swap agreement is
recorded per pair. When the item carries a ``reference`` the judge sees it
(``judge/pairwise_reference``). A win becomes a preference pair (winner chosen); a tie or an
unscored comparison is refused and counted, never exported.

Degenerate candidates (empty, punctuation only, a bare opener such as ``Solution``) are
unscored before any judge call.

Graph::

    START -> judge -> record -> END

Example:
    >>> graph = create_pairwise_judge_graph(Roles.sim(seed=0))  # doctest: +SKIP
    >>> out = await graph.ainvoke(                               # doctest: +SKIP
    ...     {"prompt": "What is 2 + 3?", "response_a": "5", "response_b": "6"})
    >>> out["choice"], out["swap_agreement"]                     # doctest: +SKIP
    ('A', True)
"""

from __future__ import annotations

from typing import Any, Required

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore

from sparring.agents import Choice, PairOutcome, PairwiseJudge
from sparring.graphs._judging_common import (
    JudgmentState,
    add_traced,
    judgment_state,
    judgment_update,
    outcome_pair,
    provenance,
    recombine,
    require_text,
)
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import Roles

__all__ = ["JUDGE", "RECORD", "TECHNIQUE", "PairwiseJudgeState", "create_pairwise_judge_graph"]

TECHNIQUE = "pairwise-judge"
JUDGE = "judge"
RECORD = "record"


class PairwiseJudgeState(ItemInput, RecordsState, total=False):
    """Input: the item plus the two responses; output: the judgment and a pair on a win.

    Attributes:
        response_a: The first response (input).
        response_b: The second response (input).
        judgment: Both orders' verdicts and the combined outcome.
        choice: ``A``, ``B`` or ``tie`` in the input's labels; None when unscored.
        swap_agreement: Whether both orders agreed; None when unscored or judged once.
    """

    response_a: Required[str]
    response_b: Required[str]
    judgment: JudgmentState
    choice: Choice | None
    swap_agreement: bool | None


def create_pairwise_judge_graph(
    roles: Roles,
    *,
    both_orders: bool = True,
    tie_on_partial: bool = True,
    prompt: str = "judge/pairwise",
    reference_prompt: str = "judge/pairwise_reference",
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[PairwiseJudgeState, None, PairwiseJudgeState, PairwiseJudgeState]:
    """Build the pairwise-judge graph.

    Args:
        roles: Role bindings; calls the ``judge`` role.
        both_orders: Judge (A, B) and (B, A) and combine them (MT-Bench; default). With
            False the judge is asked once and its position bias goes straight into the result.
        tie_on_partial: When one order is a tie and the other a win, call it a tie (default,
            MT-Bench's "a win must hold in both orders"); False makes it a weak win.
        prompt: The judge's template (variables ``question``, ``response_a``, ``response_b``).
        reference_prompt: The template used when the item has a ``reference``.
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: The compiled graph's name.

    Returns:
        The compiled graph; input ``prompt``, ``response_a``, ``response_b`` (and optionally
        ``reference``, ``item_id``).
    """
    judge = PairwiseJudge(
        roles, prompt=prompt, reference_prompt=reference_prompt, both_orders=both_orders
    )

    async def judge_node(state: PairwiseJudgeState) -> dict[str, Any]:
        a = require_text(state, "response_a", TECHNIQUE)
        b = require_text(state, "response_b", TECHNIQUE)
        judgment = await judge.compare(state["prompt"], a, b, reference=state.get("reference"))
        judgment = recombine(judgment, tie_on_partial=tie_on_partial)
        return {
            "judgment": judgment_state(judgment),
            "choice": judgment.choice,
            "swap_agreement": judgment.outcome.swap_agreement,
            **judgment_update("judge", [judgment]),
        }

    async def record_node(state: PairwiseJudgeState) -> dict[str, Any]:
        outcome = PairOutcome.model_validate(state["judgment"]["outcome"])
        meta = {**provenance(state, roles, ("judge",)), "extra": {"both_orders": both_orders}}
        return outcome_pair(
            state["prompt"],
            state["response_a"],
            state["response_b"],
            outcome,
            technique=TECHNIQUE,
            meta=meta,
        )

    builder = StateGraph(PairwiseJudgeState)
    add_traced(builder, JUDGE, judge_node, roles)
    add_traced(builder, RECORD, record_node, roles)
    builder.add_edge(START, JUDGE)
    builder.add_edge(JUDGE, RECORD)
    builder.add_edge(RECORD, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name)
