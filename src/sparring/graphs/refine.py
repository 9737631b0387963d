"""Critique-in-the-loop refinement: actor, step-level critic, refine until approved.

Xi et al., 2024 (MathCritique, arXiv 2411.16579); the loop shape is Self-Refine's (Madaan et
al., 2023) with the feedback given by a separate step-level critic::

    solve -> critique -> (approved | unscored | rounds == max_rounds) -> finish
                 ^              |
                 +--- refine <--+

- **critique**: the critic marks every step Correct or Wrong, with an explanation, and calls
  the final answer (``Critic.critique``). It approves when no step is wrong and the final
  answer is called correct.
- **refine**: the actor writes a new solution with the critique in view (``Actor.revise``);
  ``rounds`` counts refinements.
- **finish**: checks each solution against the gold answer (when the item has one) and writes
  records. A refinement is *accepted* when it is right by the gold (or, with no gold, approved
  by the critic) and passes the anti-shortcut filter (``_refine_filter``). Accepted
  refinements become SFT records; the first accepted refinement of an item whose original
  attempt was wrong by the gold is paired against it (DPO, chosen = refined).
"""

from __future__ import annotations

import itertools
import operator
from typing import Annotated, Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from typing_extensions import TypedDict

from sparring.agents import GSM8K_FORMAT, Actor, Critic, StepCritique
from sparring.errors import ConfigError
from sparring.graphs._nodes import add_traced
from sparring.graphs._refine_filter import is_shortcut
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import ChatMessage, Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.records import (
    PreferencePair,
    RecordRefused,
    SftRecord,
    make_pair,
    make_sft_record,
)
from sparring.verify import extract_answer, is_equiv

__all__ = ["RefineAttempt", "RefineState", "StopReason", "create_refine_graph"]

SOLVE, CRITIQUE, REFINE, FINISH = "solve", "critique", "refine", "finish"
TECHNIQUE = "refine"

StopReason = Literal["approved", "max_rounds", "critic_unscored"]
"""Why the loop ended: the critic approved, the round bound, or an unreadable critique."""


class RefineAttempt(TypedDict):
    """One solution in the loop and the critic's reading of it.

    Attributes:
        round: 0 for the first solution, k for the k-th refinement.
        solution: The solution.
        critique: The critic's whole output for it (empty when not critiqued).
        critique_status: ``scored`` or ``unscored``.
        first_wrong: The first step the critic marked wrong (0-based), if any.
        final_correct: The critic's call on the final answer (None when unread).
        approved: Whether the critic approved it.
    """

    round: int
    solution: str
    critique: str
    critique_status: Literal["scored", "unscored"]
    first_wrong: int | None
    final_correct: bool | None
    approved: bool


class RefineState(ItemInput, RecordsState, total=False):
    """State of one refinement loop.

    Attributes:
        solution: The current (at the end: final) solution.
        rounds: Refinements made so far.
        approved: Whether the critic approved the current solution.
        stop_reason: Why the loop ended.
        attempts: Every solution with its critique, in order.
        correct: Whether the final solution matches the gold (None without a gold answer).
        original_correct: Whether the first solution matched the gold.
    """

    solution: str
    rounds: int
    approved: bool
    stop_reason: StopReason
    attempts: Annotated[list[RefineAttempt], operator.add]
    correct: bool | None
    original_correct: bool | None


def _attempt(round_: int, solution: str, critique: StepCritique) -> RefineAttempt:
    return {
        "round": round_,
        "solution": solution,
        "critique": critique.raw,
        "critique_status": critique.status,
        "first_wrong": critique.first_wrong,
        "final_correct": critique.final_correct,
        "approved": critique.approves,
    }


def _right(solution: str, gold: str | None) -> bool | None:
    return None if gold is None else is_equiv(extract_answer(solution), gold)


class _Loop:
    """The loop's nodes, bound to the roles and options."""

    def __init__(
        self, roles: Roles, max_rounds: int, answer_format: str, slack: int, critique_sft: bool
    ) -> None:
        self.roles, self.max_rounds, self.answer_format = roles, max_rounds, answer_format
        self.slack, self.critique_sft = slack, critique_sft
        self.actor, self.critic = Actor(roles), Critic(roles)

    async def solve(self, state: RefineState) -> dict[str, Any]:
        result = await self.actor.answer(state["prompt"], answer_format=self.answer_format)
        return {"solution": result.text, "rounds": 0}

    async def critique(self, state: RefineState) -> dict[str, Any]:
        critique = await self.critic.critique(state["prompt"], state["solution"])
        attempt = _attempt(state.get("rounds", 0), state["solution"], critique)
        unscored = int(critique.status == "unscored")
        return {
            "attempts": [attempt],
            "approved": attempt["approved"],
            "judged": {"critic": 1},
            "unscored": {"critic": unscored},
        }

    def route(self, state: RefineState) -> str:
        return FINISH if _stop_reason(state, self.max_rounds) else REFINE

    async def refine(self, state: RefineState) -> dict[str, Any]:
        last = state["attempts"][-1]
        result = await self.actor.revise(
            state["prompt"], last["solution"], last["critique"], answer_format=self.answer_format
        )
        return {"solution": result.text, "rounds": state.get("rounds", 0) + 1}

    async def finish(self, state: RefineState) -> dict[str, Any]:
        gold = state.get("answer")
        attempts = state.get("attempts", [])
        reason = _stop_reason(state, self.max_rounds) or "max_rounds"
        update: dict[str, Any] = {
            "stop_reason": reason,
            "correct": _right(state["solution"], gold),
            "original_correct": _right(attempts[0]["solution"], gold) if attempts else None,
        }
        sft, pairs, refused = self._records(state, attempts)
        update.update(sft=sft, pairs=pairs)
        if refused:
            update["refused"] = refused
        return update

    def _solve_messages(self, question: str) -> list[ChatMessage]:
        return load_prompt(self.actor.prompt).render(
            question=question, answer_format=self.answer_format
        )

    def _revise_messages(self, question: str, before: RefineAttempt) -> list[ChatMessage]:
        return load_prompt(self.actor.revise_prompt).render(
            question=Untrusted(question, "QUESTION"),
            solution=Untrusted(before["solution"], "SOLUTION"),
            critique=Untrusted(before["critique"], "CRITIQUE"),
            answer_format=self.answer_format,
        )

    def _records(
        self, state: RefineState, attempts: list[RefineAttempt]
    ) -> tuple[list[SftRecord], list[PreferencePair], dict[str, int]]:
        question, gold = state["prompt"], state.get("answer")
        sft: list[SftRecord] = []
        pairs: list[PreferencePair] = []
        refused: dict[str, int] = {}
        seen: set[str] = set()
        original = attempts[0]["solution"] if attempts else ""
        for before, attempt in itertools.pairwise(attempts):
            verdict = _accept(attempt, original, gold, state.get("reference"), self.slack)
            if verdict == "shortcut":
                refused["shortcut"] = refused.get("shortcut", 0) + 1
            if verdict != "accepted":
                continue
            if attempt["solution"].strip() in seen:
                continue
            seen.add(attempt["solution"].strip())
            meta = {
                "technique": TECHNIQUE,
                "item_id": state.get("item_id"),
                "round": attempt["round"],
                "verified_by": "critic" if gold is None else "gold",
            }
            reply: ChatMessage = {"role": "assistant", "content": attempt["solution"]}
            sft.append(make_sft_record([*self._solve_messages(question), reply], **meta))
            if self.critique_sft:
                messages = [*self._revise_messages(question, before), reply]
                sft.append(make_sft_record(messages, **meta, conditioned_on="critique"))
            if not pairs and gold is not None and _right(original, gold) is False:
                _add_pair(pairs, refused, question, attempt, original, state)
        return sft, pairs, refused


def _accept(
    attempt: RefineAttempt, original: str, gold: str | None, reference: str | None, slack: int
) -> str:
    """``accepted``, ``shortcut`` (right but filtered), or ``rejected`` (wrong/unapproved)."""
    if gold is not None and not _right(attempt["solution"], gold):
        return "rejected"
    if gold is None and not attempt["approved"]:
        return "rejected"
    if is_shortcut(attempt["solution"], original, reference, slack=slack):
        return "shortcut"
    return "accepted"


def _add_pair(
    pairs: list[PreferencePair],
    refused: dict[str, int],
    question: str,
    attempt: RefineAttempt,
    original: str,
    state: RefineState,
) -> None:
    try:
        pairs.append(
            make_pair(
                question,
                attempt["solution"],
                original,
                technique=TECHNIQUE,
                kind="response",
                chosen_score=1.0,
                rejected_score=0.0,
                item_id=state.get("item_id"),
                round=attempt["round"],
                extra={"verified_by": "gold"},
            )
        )
    except RecordRefused as exc:
        refused[exc.reason] = refused.get(exc.reason, 0) + 1


def _stop_reason(state: RefineState, max_rounds: int) -> StopReason | None:
    attempts = state.get("attempts") or []
    if attempts and attempts[-1]["critique_status"] == "unscored":
        return "critic_unscored"
    if state.get("approved"):
        return "approved"
    if state.get("rounds", 0) >= max_rounds:
        return "max_rounds"
    return None


def create_refine_graph(
    roles: Roles,
    *,
    max_rounds: int = 3,
    answer_format: str = GSM8K_FORMAT,
    shortcut_slack: int = 2,
    critique_conditioned_sft: bool = False,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the critique-in-the-loop refinement graph (input ``prompt``, optional ``answer``).

    Args:
        roles: Role bindings: ``actor`` (solve and refine) and ``critic``.
        max_rounds: Most refinements per item (0: solve and critique only). MathCritique
            refines sequentially for a fixed number of rounds; 3 is our default.
        answer_format: The final-answer instruction given to the actor.
        shortcut_slack: The anti-shortcut filter's slack (MathCritique's code uses 2).
        critique_conditioned_sft: Also write SFT records whose prompt holds the earlier
            attempt and its critique (MathCritique's optional critique-conditioned records).
        checkpointer: LangGraph checkpointer.
        store: LangGraph store.
        name: Graph name.

    Raises:
        ConfigError: An option is out of range.
    """
    if not 0 <= max_rounds <= 50:
        raise ConfigError(f"max_rounds must be between 0 and 50, got {max_rounds!r}")
    if not 0 <= shortcut_slack <= 100:
        raise ConfigError(f"shortcut_slack must be between 0 and 100, got {shortcut_slack!r}")
    loop = _Loop(roles, max_rounds, answer_format, shortcut_slack, critique_conditioned_sft)
    builder = StateGraph(RefineState)
    for node_name, fn in (
        (SOLVE, loop.solve),
        (CRITIQUE, loop.critique),
        (REFINE, loop.refine),
        (FINISH, loop.finish),
    ):
        add_traced(builder, node_name, fn, roles)
    builder.add_edge(START, SOLVE)
    builder.add_edge(SOLVE, CRITIQUE)
    builder.add_conditional_edges(CRITIQUE, loop.route, [REFINE, FINISH])
    builder.add_edge(REFINE, CRITIQUE)
    builder.add_edge(FINISH, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)
