"""Critique-in-the-loop refinement: actor, step-level critic, refine until approved.

Xi et al., 2024 (MathCritique, arXiv 2411.16579); the loop shape is Self-Refine's (Madaan et
al., 2023) with the feedback given by a separate step-level critic. As in MathCritique, several
solutions are sampled per item (``n_solutions``, 5 by default) and each is critiqued and refined
on its own chain, so the loop explores; the item's final answer is the majority vote of the
chains' final answers (the paper's "several refine chains, majority vote" variant)::

    solve -> critique -> (approved | unscored | rounds == max_rounds) -> finish
                 ^              |
                 +--- refine <--+

- **critique**: the critic marks every step Correct or Wrong, with an explanation, and calls
  the final answer (``Critic.critique``). It approves when no step is wrong and the final
  answer is called correct.
- **refine**: the actor writes a new solution with the critique in view (``Actor.revise``);
  ``rounds`` counts refinements.
- **finish**: votes, checks each solution against the gold answer (when the item has one) and
  writes records per chain (``meta.solution`` names the chain). A refinement is *accepted*
  when it is right by the gold (or, with no gold, approved by the critic) and passes the
  anti-shortcut filter (``_refine_filter``). Accepted refinements become SFT records (one per
  distinct text across the chains); in each chain whose first solution was wrong by the gold,
  the first accepted refinement is paired against it (DPO, chosen = refined).
"""

from __future__ import annotations

import asyncio
import itertools
import operator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from typing_extensions import TypedDict

from sparring.agents import GSM8K_FORMAT, OPEN_FORMAT, Actor, Critic, StepCritique
from sparring.errors import ConfigError
from sparring.graphs._nodes import add_route, add_traced
from sparring.graphs._refine_filter import is_shortcut
from sparring.graphs._refine_open import build_open_refine
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

__all__ = [
    "RefineAttempt",
    "RefineCandidate",
    "RefineChain",
    "RefineState",
    "StopReason",
    "create_refine_graph",
]

SOLVE, CRITIQUE, REFINE, FINISH = "solve", "critique", "refine", "finish"
TECHNIQUE = "refine"

StopReason = Literal["approved", "max_rounds", "critic_unscored"]
"""Why the loop ended: the critic approved, the round bound, or an unreadable critique."""


class RefineAttempt(TypedDict):
    """One solution in the loop and the critic's reading of it.

    Attributes:
        solution_index: Which sampled solution's chain this attempt belongs to.
        round: 0 for the first solution, k for the k-th refinement.
        solution: The solution.
        critique: The critic's whole output for it (empty when not critiqued).
        critique_status: ``scored`` or ``unscored``.
        first_wrong: The first step the critic marked wrong (0-based), if any.
        final_correct: The critic's call on the final answer (None when unread).
        approved: Whether the critic approved it.
    """

    solution_index: int
    round: int
    solution: str
    critique: str
    critique_status: Literal["scored", "unscored"]
    first_wrong: int | None
    final_correct: bool | None
    approved: bool


class RefineChain(TypedDict):
    """One sampled solution's chain of refinements.

    Attributes:
        index: The chain (its first solution's sample index).
        solution: Its current (at the end: final) solution.
        rounds: Refinements made on it so far.
        approved: Whether the critic approved its current solution.
        stop_reason: Why it ended (None while it goes on).
        answer: Its final answer (set by ``finish``).
        correct: Whether that matches the gold (None without a gold answer).
    """

    index: int
    solution: str
    rounds: int
    approved: bool
    stop_reason: StopReason | None
    answer: str | None
    correct: bool | None


class RefineCandidate(TypedDict):
    """A chain's final answer as the run summary reads it (exploration, critic AUC)."""

    solution_index: int
    answer: str | None
    correct: bool | None
    score: float


class RefineState(ItemInput, RecordsState, total=False):
    """State of one refinement loop (over every sampled solution of an item).

    Attributes:
        chains: One chain per sampled solution.
        solution: The final solution: the latest of a chain holding the voted answer.
        rounds: The most refinements any chain made.
        approved: Whether the critic approved the final solution.
        stop_reason: Why the final solution's chain ended.
        attempts: Every solution of every chain with its critique, in order of critique.
        candidates: Each chain's final answer, its correctness and the critic's approval.
        correct: Whether the voted final answer matches the gold (None without a gold answer).
        original_correct: Whether the vote over the first solutions matched the gold (what
            sampling alone, without critique and refinement, would have given).
    """

    chains: list[RefineChain]
    solution: str
    rounds: int
    approved: bool
    stop_reason: StopReason
    attempts: Annotated[list[RefineAttempt], operator.add]
    candidates: list[RefineCandidate]
    correct: bool | None
    original_correct: bool | None


def _attempt(chain: RefineChain, critique: StepCritique) -> RefineAttempt:
    return {
        "solution_index": chain["index"],
        "round": chain["rounds"],
        "solution": chain["solution"],
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

    def __init__(self, roles: Roles, options: _Options) -> None:
        self.roles, self.opts = roles, options
        self.actor, self.critic = Actor(roles), Critic(roles)

    async def solve(self, state: RefineState) -> dict[str, Any]:
        opts = self.opts
        sampling: dict[str, Any] = {}
        if opts.temperature is not None:
            sampling["temperature"] = opts.temperature
        result = await self.actor.answer(
            state["prompt"], n=opts.n_solutions, answer_format=opts.answer_format, **sampling
        )
        chains: list[RefineChain] = [
            {"index": k, "solution": c.text, "rounds": 0, "approved": False,
             "stop_reason": None, "answer": None, "correct": None}
            for k, c in enumerate(result.completions)
        ]  # fmt: skip
        return {"chains": chains, "solution": chains[0]["solution"], "rounds": 0}

    async def _critique_one(self, question: str, chain: RefineChain) -> StepCritique:
        return await self.critic.critique(question, chain["solution"], sample_index=chain["index"])

    async def critique(self, state: RefineState) -> dict[str, Any]:
        chains = [c.copy() for c in state["chains"]]
        active = [c for c in chains if c["stop_reason"] is None]
        critiques = await asyncio.gather(*(self._critique_one(state["prompt"], c) for c in active))
        attempts = []
        for chain, critique in zip(active, critiques, strict=True):
            attempt = _attempt(chain, critique)
            attempts.append(attempt)
            chain["approved"] = attempt["approved"]
            chain["stop_reason"] = _chain_stop(attempt, chain["rounds"], self.opts.max_rounds)
        unscored = sum(a["critique_status"] == "unscored" for a in attempts)
        return {
            "chains": chains,
            "attempts": attempts,
            "judged": {"critic": len(attempts)},
            "unscored": {"critic": unscored},
        }

    def route(self, state: RefineState) -> str:
        done = all(c["stop_reason"] is not None for c in state["chains"])
        return FINISH if done else REFINE

    async def _refine_one(self, question: str, chain: RefineChain, last: RefineAttempt) -> str:
        result = await self.actor.revise(
            question, last["solution"], last["critique"],
            answer_format=self.opts.answer_format, sample_index=chain["index"],
        )  # fmt: skip
        return result.text

    async def refine(self, state: RefineState) -> dict[str, Any]:
        chains = [c.copy() for c in state["chains"]]
        active = [c for c in chains if c["stop_reason"] is None]
        last = _last_attempts(state.get("attempts", []))
        texts = await asyncio.gather(
            *(self._refine_one(state["prompt"], c, last[c["index"]]) for c in active)
        )
        for chain, text in zip(active, texts, strict=True):
            chain["solution"], chain["rounds"] = text, chain["rounds"] + 1
        return {"chains": chains, "rounds": max(c["rounds"] for c in chains)}

    async def finish(self, state: RefineState) -> dict[str, Any]:
        gold = state.get("answer")
        attempts = state.get("attempts", [])
        chains = [_graded(c, gold) for c in state["chains"]]
        final = _voted(chains)
        firsts = [a["solution"] for a in attempts if a["round"] == 0]
        update: dict[str, Any] = {
            "chains": chains,
            "solution": final["solution"],
            "approved": final["approved"],
            "stop_reason": final["stop_reason"] or "max_rounds",
            "rounds": max(c["rounds"] for c in chains),
            "correct": final["correct"],
            "original_correct": _right(_vote_text(firsts), gold) if firsts else None,
            "candidates": [_candidate(c) for c in chains],
        }
        sft, pairs, refused = self._records(state, attempts)
        update.update(sft=sft, pairs=pairs)
        if refused:
            update["refused"] = refused
        return update

    def _solve_messages(self, question: str) -> list[ChatMessage]:
        return load_prompt(self.actor.prompt).render(
            question=question, answer_format=self.opts.answer_format
        )

    def _revise_messages(self, question: str, before: RefineAttempt) -> list[ChatMessage]:
        return load_prompt(self.actor.revise_prompt).render(
            question=Untrusted(question, "QUESTION"),
            solution=Untrusted(before["solution"], "SOLUTION"),
            critique=Untrusted(before["critique"], "CRITIQUE"),
            answer_format=self.opts.answer_format,
        )

    def _records(
        self, state: RefineState, attempts: list[RefineAttempt]
    ) -> tuple[list[SftRecord], list[PreferencePair], dict[str, int]]:
        sft: list[SftRecord] = []
        pairs: list[PreferencePair] = []
        refused: dict[str, int] = {}
        seen: set[str] = set()
        for k in sorted({a["solution_index"] for a in attempts}):
            chain = [a for a in attempts if a["solution_index"] == k]
            self._chain_records(state, chain, seen, (sft, pairs, refused))
        return sft, pairs, refused

    def _chain_records(
        self,
        state: RefineState,
        attempts: list[RefineAttempt],
        seen: set[str],
        out: tuple[list[SftRecord], list[PreferencePair], dict[str, int]],
    ) -> None:
        """One chain's records: SFT per accepted refinement, a pair for a fixed wrong start."""
        sft, pairs, refused = out
        question, gold = state["prompt"], state.get("answer")
        original, paired = attempts[0]["solution"], False
        for before, attempt in itertools.pairwise(attempts):
            verdict = _accept(attempt, original, gold, state.get("reference"), self.opts.slack)
            if verdict == "shortcut":
                refused["shortcut"] = refused.get("shortcut", 0) + 1
            if verdict != "accepted" or attempt["solution"].strip() in seen:
                continue
            seen.add(attempt["solution"].strip())
            meta = {
                "technique": TECHNIQUE,
                "item_id": state.get("item_id"),
                "solution": attempt["solution_index"],
                "round": attempt["round"],
                "verified_by": "critic" if gold is None else "gold",
            }
            reply: ChatMessage = {"role": "assistant", "content": attempt["solution"]}
            sft.append(make_sft_record([*self._solve_messages(question), reply], **meta))
            if self.opts.critique_sft:
                messages = [*self._revise_messages(question, before), reply]
                sft.append(make_sft_record(messages, **meta, conditioned_on="critique"))
            if not paired and gold is not None and _right(original, gold) is False:
                paired = _add_pair(pairs, refused, question, attempt, original, state)


def _last_attempts(attempts: list[RefineAttempt]) -> dict[int, RefineAttempt]:
    """Each chain's latest critiqued attempt."""
    return {a["solution_index"]: a for a in attempts}


def _graded(chain: RefineChain, gold: str | None) -> RefineChain:
    answer = extract_answer(chain["solution"])
    correct = None if gold is None else is_equiv(answer, gold)
    return {**chain, "answer": answer, "correct": correct}


def _candidate(chain: RefineChain) -> RefineCandidate:
    return {
        "solution_index": chain["index"],
        "answer": chain["answer"],
        "correct": chain["correct"],
        "score": 1.0 if chain["approved"] else 0.0,
    }


def _voted(chains: list[RefineChain]) -> RefineChain:
    """The chain to report: one holding the most common answer (approved chains first).

    Answers are grouped by equivalence; a larger group wins, then one with more approved
    chains, then the earliest. Chains without an answer only win when none has one.
    """
    groups: list[list[RefineChain]] = []
    for chain in chains:
        home = next(
            (g for g in groups if g[0]["answer"] is not None
             and is_equiv(chain["answer"], g[0]["answer"])),
            None,
        )  # fmt: skip
        if home is None or chain["answer"] is None:
            groups.append([chain])
        else:
            home.append(chain)
    best = max(
        groups,
        key=lambda g: (g[0]["answer"] is not None, len(g), sum(c["approved"] for c in g)),
    )
    return next((c for c in best if c["approved"]), best[0])


def _vote_text(solutions: list[str]) -> str:
    """A solution holding the majority answer among ``solutions`` (for the no-refine baseline)."""
    chains: list[RefineChain] = [
        {"index": k, "solution": text, "rounds": 0, "approved": False, "stop_reason": None,
         "answer": extract_answer(text), "correct": None}
        for k, text in enumerate(solutions)
    ]  # fmt: skip
    return _voted(chains)["solution"]


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
) -> bool:
    """Add the pair (refined over original); whether it was made."""
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
                solution=attempt["solution_index"],
                extra={"verified_by": "gold"},
            )
        )
    except RecordRefused as exc:
        refused[exc.reason] = refused.get(exc.reason, 0) + 1
        return False
    return True


def _chain_stop(attempt: RefineAttempt, rounds: int, max_rounds: int) -> StopReason | None:
    """Why a chain ends after this critique, or None when it is refined again."""
    if attempt["critique_status"] == "unscored":
        return "critic_unscored"
    if attempt["approved"]:
        return "approved"
    if rounds >= max_rounds:
        return "max_rounds"
    return None


@dataclass(frozen=True, slots=True)
class _Options:
    max_rounds: int
    n_solutions: int
    temperature: float | None
    answer_format: str
    slack: int
    critique_sft: bool


def create_refine_graph(
    roles: Roles,
    *,
    max_rounds: int = 3,
    n_solutions: int | None = None,
    temperature: float | None = 0.7,
    answer_format: str | None = None,
    feedback: Literal["steps", "criteria"] = "steps",
    target_score: float | None = None,
    shortcut_slack: int = 2,
    critique_conditioned_sft: bool = False,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the refinement graph (input ``prompt``, optional ``answer``).

    ``feedback="steps"`` (the default) is critique-in-the-loop for problems with a final
    answer: a step-level critic, several solutions per item. ``feedback="criteria"`` is
    Self-Refine for open-ended items (writing, dialogue; no gold needed): the critic scores
    named criteria and a total, the actor refines the best attempt so far, and the loop
    stops at the target score or when the score stops improving, returning the best attempt
    (see ``_refine_open``).

    Args:
        roles: Role bindings: ``actor`` (solve and refine) and ``critic``.
        max_rounds: Most refinements per item (0: solve and critique only). MathCritique
            refines sequentially for a fixed number of rounds; 3 is our default.
        n_solutions: Solutions sampled per item, each critiqued and refined on its own chain
            (MathCritique samples 5, our default for step feedback); the item's answer is the
            chains' majority vote. Criteria feedback refines one response (1).
        temperature: Sampling temperature of the first solutions (0.7 as in MathCritique);
            None keeps the actor model's own setting (step feedback).
        answer_format: The instruction given to the actor (default: a GSM8K final-answer
            line for step feedback, "answer directly and completely" for criteria).
        feedback: ``steps`` (step-level critique) or ``criteria`` (Self-Refine's scored
            criteria, for open-ended items).
        target_score: Criteria feedback stops once the total reaches this (default: the
            most the feedback allows).
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
    if feedback == "criteria":
        if n_solutions not in (None, 1):
            raise ConfigError("feedback='criteria' refines one response per item: n_solutions=1")
        open_builder = build_open_refine(
            roles, max_rounds=max_rounds, target_score=target_score,
            answer_format=answer_format or OPEN_FORMAT,
        )  # fmt: skip
        return open_builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)
    if feedback != "steps":
        raise ConfigError(f"feedback must be 'steps' or 'criteria', got {feedback!r}")
    n = 5 if n_solutions is None else n_solutions
    if not 1 <= n <= 64:
        raise ConfigError(f"n_solutions must be between 1 and 64, got {n_solutions!r}")
    options = _Options(
        max_rounds, n, temperature, answer_format or GSM8K_FORMAT, shortcut_slack,
        critique_conditioned_sft,
    )  # fmt: skip
    loop = _Loop(roles, options)
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
    add_route(builder, CRITIQUE, loop.route, [REFINE, FINISH])
    builder.add_edge(REFINE, CRITIQUE)
    builder.add_edge(FINISH, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)
