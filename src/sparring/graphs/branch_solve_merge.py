"""Branch-Solve-Merge (BSM): criteria first, one evaluation per criterion in parallel, merge.

After Saha et al., 2023, for pairwise evaluation:

* **branch**: the judge lists up to ``max_criteria`` evaluation criteria for the question,
  before it reads any response (prompt ``judge/bsm_branch``). An unreadable list (or a failed
  call) falls back to one generic criterion and sets ``branch_fallback``.
* **solve**: for every criterion, in parallel (``Send``), the judge scores both responses on
  that criterion alone, 1-10 (prompt ``judge/bsm_solve``), in both orders.
* **merge**: per order, the scored evaluations become one pairwise verdict, either by the
  judge weighing them (``merge="model"``, prompt ``judge/bsm_merge``, as in the paper) or by
  adding up the scores in code (``merge="sum"``, no call; equal totals are a tie). The two
  orders' verdicts are combined with the MT-Bench rule (a flip is a tie) and the swap
  agreement is recorded. An order whose evaluations all came back unscored is unscored.

A win becomes a preference pair (winner chosen); a tie or an unscored comparison is refused
and counted. Degenerate candidates are unscored before any call.

Graph::

    START -> branch -> solve (x criteria x orders, Send) -> merge -> END
"""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, Any, Literal, Required

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from langgraph.types import Send
from typing_extensions import TypedDict

from sparring.agents import (
    Choice,
    PairJudgment,
    PairOutcome,
    UnscoredReason,
    Verdict,
    ask_verdicts,
    combine_orders,
    is_degenerate_candidate,
    parse_verdict,
    verdict_counts,
)
from sparring.errors import ModelCallError
from sparring.graphs._judging_bsm import (
    FALLBACK_CRITERIA,
    Criterion,
    EvaluationText,
    criterion_scores,
    format_evaluations,
    parse_criteria,
    parse_criterion_verdict,
)
from sparring.graphs._judging_common import (
    JudgmentState,
    add_traced,
    judgment_state,
    outcome_pair,
    provenance,
    require_text,
    swap_update,
)
from sparring.graphs._nodes import add_route
from sparring.graphs._options import check_choice, check_range
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import Roles
from sparring.prompts import Untrusted, load_prompt

__all__ = [
    "BRANCH",
    "MERGE",
    "SOLVE",
    "TECHNIQUE",
    "BranchSolveMergeState",
    "CriterionEvaluation",
    "create_branch_solve_merge_graph",
]

TECHNIQUE = "branch-solve-merge"
BRANCH = "branch"
SOLVE = "solve"
MERGE = "merge"
Order = Literal["AB", "BA"]
MergeMode = Literal["model", "sum"]


class CriterionEvaluation(TypedDict):
    """One criterion judged in one order.

    Attributes:
        criterion: Index into ``criteria``.
        order: ``AB`` (input order) or ``BA`` (swapped).
        verdict: The solve verdict (``Verdict.model_dump()``), in the labels the judge saw.
        scores: ``[first-shown, second-shown]`` scores, or None when unscored.
    """

    criterion: int
    order: Order
    verdict: dict[str, Any]
    scores: list[float] | None


class SolveTask(TypedDict):
    """``Send`` payload: one criterion, one order."""

    criterion: int
    order: Order
    name: str
    check: str
    prompt: str
    first: str
    second: str


class BranchSolveMergeState(ItemInput, RecordsState, total=False):
    """Input, criteria, evaluations and the merged judgment.

    Attributes:
        response_a: The first response (input).
        response_b: The second response (input).
        criteria: The branch step's criteria.
        branch_fallback: Whether the generic criterion replaced an unreadable list.
        degenerate: Why a candidate was rejected before any call (None when both passed).
        evaluations: Every criterion judged in every order.
        judgment: The merged verdict per order and the combined outcome.
        choice: ``A``, ``B`` or ``tie`` in the input's labels; None when unscored.
        swap_agreement: Whether both orders' merged verdicts agreed.
    """

    response_a: Required[str]
    response_b: Required[str]
    criteria: list[Criterion]
    branch_fallback: bool
    degenerate: str | None
    evaluations: Annotated[list[CriterionEvaluation], operator.add]
    judgment: JudgmentState
    choice: Choice | None
    swap_agreement: bool | None


def _degenerate(state: BranchSolveMergeState) -> str | None:
    for key in ("response_a", "response_b"):
        why = is_degenerate_candidate(require_text(state, key, TECHNIQUE))
        if why is not None:
            return f"{key}: {why}"
    return None


def _single(verdict: Verdict) -> PairOutcome:
    if not verdict.is_scored:
        return PairOutcome(kind="pairwise", status="unscored", reason=verdict.reason)
    return PairOutcome(
        kind="pairwise", status="scored", choice=verdict.choice, first=verdict.choice
    )


class _Nodes:
    """The graph's nodes, sharing the roles and options."""

    def __init__(self, roles: Roles, options: dict[str, Any]) -> None:
        self.roles, self.o = roles, options

    async def branch(self, state: BranchSolveMergeState) -> dict[str, Any]:
        why = _degenerate(state)
        if why is not None:
            return {"degenerate": why, "criteria": [], "branch_fallback": False}
        messages = load_prompt("judge/bsm_branch").render(
            question=Untrusted(state["prompt"], "QUESTION"),
            max_criteria=str(self.o["max_criteria"]),
        )
        try:
            result = await self.roles.complete("judge", messages)
            criteria = parse_criteria(result.text, self.o["max_criteria"])
        except ModelCallError:
            criteria = []
        fallback = not criteria
        return {
            "degenerate": None,
            "criteria": criteria or list(FALLBACK_CRITERIA),
            "branch_fallback": fallback,
        }

    async def solve(self, task: SolveTask) -> dict[str, Any]:
        messages = load_prompt("judge/bsm_solve").render(
            question=Untrusted(task["prompt"], "QUESTION"),
            criterion=Untrusted(f"{task['name']}: {task['check']}".rstrip(": "), "CRITERION"),
            response_a=Untrusted(task["first"], "RESPONSE A"),
            response_b=Untrusted(task["second"], "RESPONSE B"),
        )
        (verdict,) = await ask_verdicts(
            self.roles, "judge", messages, parse_criterion_verdict, kind="pairwise"
        )
        scores = criterion_scores(verdict)
        entry: CriterionEvaluation = {
            "criterion": task["criterion"],
            "order": task["order"],
            "verdict": verdict.model_dump(),
            "scores": None if scores is None else list(scores),
        }
        return {"evaluations": [entry], **verdict_counts("judge", [verdict])}

    async def merge(self, state: BranchSolveMergeState) -> dict[str, Any]:
        if state.get("degenerate"):
            bad = Verdict.unscored("pairwise", "degenerate_candidate", detail=state["degenerate"])
            return self._finish(state, PairJudgment(first=bad, swapped=None, outcome=_single(bad)))
        orders: tuple[Order, ...] = ("AB", "BA") if self.o["both_orders"] else ("AB",)
        merged = await asyncio.gather(*(self._merge_order(state, o) for o in orders))
        verdicts = [v for v, _ in merged]
        asked = [v for v, called in merged if called]
        if len(verdicts) == 2:
            judgment = PairJudgment(
                first=verdicts[0], swapped=verdicts[1], outcome=combine_orders(*verdicts)
            )
        else:
            judgment = PairJudgment(first=verdicts[0], swapped=None, outcome=_single(verdicts[0]))
        update = self._finish(state, judgment)
        if asked:
            update.update(verdict_counts("judge", asked))
        return update

    async def _merge_order(
        self, state: BranchSolveMergeState, order: Order
    ) -> tuple[Verdict, bool]:
        items = sorted(
            (e for e in state.get("evaluations", []) if e["order"] == order),
            key=lambda e: e["criterion"],
        )
        scored = [e for e in items if e["scores"] is not None]
        if not scored:
            reasons = [Verdict.model_validate(e["verdict"]).reason for e in items]
            reason: UnscoredReason = next((r for r in reasons if r is not None), "parse_failure")
            return Verdict.unscored("pairwise", reason, detail="no criterion was scored"), False
        texts = [self._evaluation_text(state, e) for e in scored]
        if self.o["merge"] == "sum":
            return _sum_verdict(texts), False
        messages = load_prompt("judge/bsm_merge").render(
            question=Untrusted(state["prompt"], "QUESTION"),
            evaluations=Untrusted(format_evaluations(texts), "EVALUATIONS"),
        )
        (verdict,) = await ask_verdicts(
            self.roles, "judge", messages, lambda t: parse_verdict(t, "pairwise"), kind="pairwise"
        )
        return verdict, True

    @staticmethod
    def _evaluation_text(state: BranchSolveMergeState, item: CriterionEvaluation) -> EvaluationText:
        verdict = Verdict.model_validate(item["verdict"])
        a, b = item["scores"] or (0.0, 0.0)
        return {
            "criterion": state["criteria"][item["criterion"]],
            "reasoning": verdict.reasoning,
            "scores": (a, b),
        }

    def _finish(self, state: BranchSolveMergeState, judgment: PairJudgment) -> dict[str, Any]:
        meta = {
            **provenance(state, self.roles, ("judge",)),
            "extra": {"merge": self.o["merge"], "criteria": len(state.get("criteria", []))},
        }
        pair = outcome_pair(
            state["prompt"],
            state["response_a"],
            state["response_b"],
            judgment.outcome,
            technique=TECHNIQUE,
            meta=meta,
        )
        update: dict[str, Any] = {
            "judgment": judgment_state(judgment),
            "choice": judgment.choice,
            "swap_agreement": judgment.outcome.swap_agreement,
            **swap_update(judgment.outcome),
            **pair,
        }
        if state.get("degenerate"):
            update.update(verdict_counts("judge", judgment.verdicts))
        return update


def _sum_verdict(texts: list[EvaluationText]) -> Verdict:
    total_a = sum(t["scores"][0] for t in texts)
    total_b = sum(t["scores"][1] for t in texts)
    choice: Choice = "A" if total_a > total_b else "B" if total_b > total_a else "tie"
    line = f"Criterion totals: A={total_a:g}, B={total_b:g}"
    return Verdict.from_choice("pairwise", choice, reasoning=line, raw=line)


def _fan_out(state: BranchSolveMergeState, both_orders: bool) -> list[Send] | str:
    if state.get("degenerate"):
        return MERGE
    a, b = state["response_a"], state["response_b"]
    shown: list[tuple[Order, str, str]] = [("AB", a, b)]
    if both_orders:
        shown.append(("BA", b, a))
    return [
        Send(
            SOLVE,
            SolveTask(
                criterion=k,
                order=order,
                name=c["name"],
                check=c["check"],
                prompt=state["prompt"],
                first=first,
                second=second,
            ),
        )
        for k, c in enumerate(state.get("criteria", []))
        for order, first, second in shown
    ] or MERGE


def create_branch_solve_merge_graph(
    roles: Roles,
    *,
    max_criteria: int = 5,
    merge: MergeMode = "model",
    both_orders: bool = True,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[BranchSolveMergeState, None, BranchSolveMergeState, BranchSolveMergeState]:
    """Build the branch-solve-merge graph.

    Args:
        roles: Role bindings; calls ``judge`` (branch, solve and, with ``merge="model"``,
            merge).
        max_criteria: Most criteria the branch step may propose; 1 to 10.
        merge: ``model`` (the judge weighs the evaluations, as in the paper) or ``sum`` (add
            the criterion scores in code; no call).
        both_orders: Solve and merge with the responses in both orders and combine (default);
            False runs one order, so the judge's position bias reaches the result.
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: The compiled graph's name.

    Returns:
        The compiled graph; input ``prompt``, ``response_a``, ``response_b`` (optionally
        ``item_id``).

    Raises:
        ConfigError: An option is out of range.
    """
    options: dict[str, Any] = {
        "max_criteria": check_range("max_criteria", max_criteria, 1, 10, integer=True),
        "merge": check_choice("merge", merge, ("model", "sum")),
        "both_orders": bool(both_orders),
    }
    nodes = _Nodes(roles, options)
    builder = StateGraph(BranchSolveMergeState)
    add_traced(builder, BRANCH, nodes.branch, roles)
    add_traced(builder, SOLVE, nodes.solve, roles, input_schema=SolveTask)
    add_traced(builder, MERGE, nodes.merge, roles)
    builder.add_edge(START, BRANCH)
    add_route(builder, BRANCH, lambda s: _fan_out(s, both_orders), [SOLVE, MERGE])
    builder.add_edge(SOLVE, MERGE)
    builder.add_edge(MERGE, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name)
