"""Multi-turn self-correction with unary feedback ("try again"; SCoRe and follow-ups).

After Kumar et al., 2024 (SCoRe: self-correction via multi-turn RL) and the unary-feedback
papers: one item is one episode of up to ``turns`` answers in one conversation::

    attempt --(wrong, turns left)--> attempt ... -> settle

- ``feedback="unary"``: each answer is checked against the gold; a wrong one gets only "your
  answer is incorrect, try again" (no hint where), a right one ends the episode.
- ``feedback="blind"``: every answer, right or not, is asked to be checked again (the feedback
  says nothing); this measures how often the actor talks itself out of a right answer.

Outputs: every attempt (``attempts``, for the viewer's rounds table), ``correct_by_turn`` (an
ended episode keeps its last answer in the later turns) and ``rounds_correct`` for the run
summary's accuracy at turn t and right->wrong / wrong->right rates between turns. Records: the
episode as one multi-turn RL record (the conversation with a reward per turn: +1 right, -1
wrong); when a wrong first answer is later fixed, an SFT record of the corrected conversation
and a preference pair (the right answer over the first wrong one).
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from typing_extensions import TypedDict

from sparring.agents import GSM8K_FORMAT
from sparring.graphs._nodes import add_route, add_traced
from sparring.graphs._options import check_choice, check_range
from sparring.graphs._reasoning_common import grade, require_gold
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import ChatMessage, Roles
from sparring.prompts import load_prompt
from sparring.records import (
    PreferencePair,
    RecordMessage,
    RecordRefused,
    RlRecord,
    SftRecord,
    make_pair,
    make_rl_episode,
    make_sft_record,
)
from sparring.verify import extract_answer

__all__ = ["FEEDBACKS", "Attempt", "Feedback", "TryAgainState", "create_try_again_graph"]

TECHNIQUE = "try-again"
ATTEMPT, SETTLE = "attempt", "settle"
Feedback = Literal["unary", "blind"]
FEEDBACKS: tuple[Feedback, ...] = ("unary", "blind")
_PROMPTS: dict[Feedback, str] = {"unary": "actor/try_again", "blind": "actor/try_again_blind"}


class Attempt(TypedDict):
    """One answer of the episode.

    Attributes:
        turn: The turn (1-based).
        text: The actor's whole reply.
        answer: The final answer read from it.
        correct: Whether it matches the gold answer.
    """

    turn: int
    text: str
    answer: str | None
    correct: bool


class TryAgainState(ItemInput, RecordsState, total=False):
    """State of one episode.

    Attributes:
        messages: The conversation so far (prompt, answers, feedback).
        attempts: Every answer, in turn order.
        solved_at: The turn of the first right answer (None: never right).
        correct_by_turn: Right or wrong at each turn 1..T (an ended episode carries its last).
        rounds_correct: ``[correct_by_turn]``, for the run summary.
        correct: Whether the last answer is right.
    """

    messages: list[RecordMessage]
    attempts: list[Attempt]
    solved_at: int | None
    correct_by_turn: list[bool]
    rounds_correct: list[list[bool]]
    correct: bool


def _record_messages(messages: list[ChatMessage]) -> list[RecordMessage]:
    return [{"role": m["role"], "content": m["content"]} for m in messages]


class _Episode:
    """The episode's nodes, bound to the roles and options."""

    def __init__(self, roles: Roles, *, turns: int, feedback: Feedback, sampling: Any) -> None:
        self.roles, self.turns, self.feedback = roles, turns, feedback
        self.answer_format: str = sampling.pop("answer_format")
        self.sampling: dict[str, Any] = sampling

    def _conversation(self, state: TryAgainState) -> list[ChatMessage]:
        if not state.get("attempts"):
            return load_prompt("actor/solve").render(
                question=state["prompt"], answer_format=self.answer_format
            )
        follow = load_prompt(_PROMPTS[self.feedback]).render(answer_format=self.answer_format)
        return [*state["messages"], *follow]

    async def attempt(self, state: TryAgainState) -> dict[str, Any]:
        gold = require_gold(state, TECHNIQUE, "to check each answer")
        messages = self._conversation(state)
        result = await self.roles.complete("actor", messages, **self.sampling)
        text = result.texts[0]
        answer = extract_answer(text)
        attempts = state.get("attempts") or []
        entry: Attempt = {
            "turn": len(attempts) + 1,
            "text": text,
            "answer": answer,
            "correct": bool(grade(answer, gold)),
        }
        reply: ChatMessage = {"role": "assistant", "content": text}
        return {"messages": _record_messages([*messages, reply]), "attempts": [*attempts, entry]}

    def after_attempt(self, state: TryAgainState) -> str:
        attempts = state["attempts"]
        if len(attempts) >= self.turns:
            return SETTLE
        return SETTLE if self.feedback == "unary" and attempts[-1]["correct"] else ATTEMPT

    def _records(self, state: TryAgainState, solved_at: int | None) -> dict[str, Any]:
        attempts, messages = state["attempts"], state["messages"]
        meta = {"technique": TECHNIQUE, "item_id": state.get("item_id"), "feedback": self.feedback}
        model = {"actor": self.roles.resolve("actor").name}
        rl: list[RlRecord] = []
        sft: list[SftRecord] = []
        pairs: list[PreferencePair] = []
        refused: dict[str, int] = {}
        rewards = [1.0 if a["correct"] else -1.0 for a in attempts]
        try:
            rl.append(make_rl_episode(messages, rewards, model=model["actor"], **meta))
            if solved_at is not None and solved_at > 1:
                end = 2 * solved_at + (1 if messages[0]["role"] == "system" else 0)
                sft.append(make_sft_record(messages[:end], turns=solved_at, **meta))
                pairs.append(
                    make_pair(
                        state["prompt"],
                        attempts[solved_at - 1]["text"],
                        attempts[0]["text"],
                        technique=TECHNIQUE,
                        models=model,
                        chosen_score=1.0,
                        rejected_score=-1.0,
                        item_id=state.get("item_id"),
                        extra={"chosen_turn": solved_at, "feedback": self.feedback},
                    )
                )
        except RecordRefused as why:
            refused[why.reason] = 1
        return {"rl": rl, "sft": sft, "pairs": pairs, "refused": refused}

    async def settle(self, state: TryAgainState) -> dict[str, Any]:
        attempts = state["attempts"]
        solved_at = next((a["turn"] for a in attempts if a["correct"]), None)
        by_turn = [a["correct"] for a in attempts]
        by_turn += [by_turn[-1]] * (self.turns - len(by_turn))
        return {
            "solved_at": solved_at,
            "correct_by_turn": by_turn,
            "rounds_correct": [by_turn],
            "correct": attempts[-1]["correct"],
            **self._records(state, solved_at),
        }


def create_try_again_graph(
    roles: Roles,
    *,
    turns: int = 3,
    feedback: Feedback = "unary",
    temperature: float | None = None,
    answer_format: str = GSM8K_FORMAT,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the try-again graph (input ``prompt`` and gold ``answer``).

    Args:
        roles: Role bindings: ``actor``.
        turns: Answers per episode at most (T).
        feedback: ``unary`` ("incorrect, try again" after a wrong answer only; a right one
            ends the episode) or ``blind`` (every answer is asked to be checked again).
        temperature: Sampling temperature; None keeps the actor model's own.
        answer_format: The final-answer instruction.
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: Graph name.

    Raises:
        ConfigError: An option is out of range or not one of its choices.
        MissingGoldError: (when run) an item has no gold answer.
    """
    check_range("turns", turns, 1, 20, integer=True)
    check_choice("feedback", feedback, FEEDBACKS)
    if temperature is not None:
        check_range("temperature", temperature, 0.0, 5.0)
    nodes = _Episode(
        roles,
        turns=turns,
        feedback=feedback,
        sampling={"temperature": temperature, "answer_format": answer_format},
    )
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(TryAgainState)
    add_traced(builder, ATTEMPT, nodes.attempt, roles)
    add_traced(builder, SETTLE, nodes.settle, roles)
    builder.add_edge(START, ATTEMPT)
    add_route(builder, ATTEMPT, nodes.after_attempt, [ATTEMPT, SETTLE])
    builder.add_edge(SETTLE, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)
