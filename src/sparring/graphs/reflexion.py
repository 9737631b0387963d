"""Reflexion: failed attempts leave lessons that later attempts, on this item and others, read.

Shinn et al., 2023 (arXiv 2303.11366)::

    recall -> act -> (solved | no gold | attempts == max_attempts) -> finish
      ^               |
      +--- reflect <--+

- **recall**: the newest ``memory_size`` lessons of the item's task family are read from the
  graph's store (``sparring.memory.lessons``; Reflexion keeps the last 3).
- **act**: the actor answers with those lessons in view (no lessons: the plain solve prompt);
  the answer is checked against the gold (the external evaluator; never shown to a model).
- **reflect**: after a failure the actor writes a diagnosis and one reusable lesson, which is
  stored under the family's namespace, so the next attempt at this item and later items of
  the same family see it.
- **finish**: a success with lessons in view becomes an SFT record (the plain prompt, so the
  lesson is distilled); a success after failures on the same item is paired against the last
  failed attempt (DPO, verified by the gold).

The store is the one the graph was compiled with (``store=``; an ``InMemoryStore`` when none),
so lessons outlive a single item and, with a persistent store, a single run.
"""

from __future__ import annotations

import hashlib
import operator
import re
from typing import Annotated, Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore
from typing_extensions import TypedDict

from sparring.agents import GSM8K_FORMAT, Actor
from sparring.errors import ConfigError, ModelCallError
from sparring.graphs._nodes import add_route, add_traced
from sparring.graphs._state import ItemInput, RecordsState
from sparring.memory.lessons import aput_lesson, arecent_lessons
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
    "Reflection",
    "ReflexionAttempt",
    "ReflexionState",
    "create_reflexion_graph",
    "parse_reflection",
]

RECALL, ACT, REFLECT, FINISH = "recall", "act", "reflect", "finish"
TECHNIQUE = "reflexion"
_LESSON_RE = re.compile(r"^\s*\**lesson\**\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_DIAGNOSIS_RE = re.compile(r"^\s*\**diagnosis\**\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_MAX_LESSON_CHARS = 600


class ReflexionAttempt(TypedDict):
    """One attempt at the item.

    Attributes:
        attempt: 0-based attempt number.
        solution: The actor's answer.
        answer: The final answer read from it.
        correct: Whether it matches the gold (None without a gold answer).
        lessons_used: The lessons that were in the prompt.
    """

    attempt: int
    solution: str
    answer: str | None
    correct: bool | None
    lessons_used: list[str]


class Reflection(TypedDict):
    """The actor's post-mortem of a failed attempt.

    Attributes:
        attempt: The failed attempt it is about.
        diagnosis: What went wrong, in the actor's words.
        lesson: The lesson stored (None when none could be read).
        key: The lesson's key in the store.
        raw: The whole reflection.
    """

    attempt: int
    diagnosis: str | None
    lesson: str | None
    key: str | None
    raw: str


class ReflexionState(ItemInput, RecordsState, total=False):
    """State of one item's Reflexion trials.

    Attributes:
        family: The task family whose lessons are read and written (input; optional).
        lessons: The lessons in view for the next attempt.
        trial: Attempts made.
        solution: The latest answer.
        success: Whether the latest answer matches the gold.
        attempts: Every attempt, in order.
        reflections: Every reflection, in order.
        stop_reason: ``solved``, ``max_attempts`` or ``no_gold``.
    """

    family: str
    lessons: list[str]
    trial: int
    solution: str
    success: bool | None
    attempts: Annotated[list[ReflexionAttempt], operator.add]
    reflections: Annotated[list[Reflection], operator.add]
    stop_reason: Literal["solved", "max_attempts", "no_gold"]


def parse_reflection(text: str) -> tuple[str | None, str | None]:
    """``(diagnosis, lesson)`` from a reflection's ``Diagnosis:`` and ``Lesson:`` lines."""
    lessons = _LESSON_RE.findall(text)
    diagnoses = _DIAGNOSIS_RE.findall(text)
    lesson = lessons[-1].strip()[:_MAX_LESSON_CHARS] if lessons else None
    diagnosis = diagnoses[-1].strip() if diagnoses else None
    return diagnosis, lesson or None


def _item_key(state: ReflexionState) -> str:
    return state.get("item_id") or hashlib.sha256(state["prompt"].encode()).hexdigest()[:16]


def _feedback(attempt: ReflexionAttempt) -> str:
    if attempt["answer"] is None:
        return "Feedback: no final answer could be read from this attempt."
    return "Feedback: the final answer of this attempt was checked and it is wrong."


class _Trials:
    """The graph's nodes, bound to the roles, the store and the options."""

    def __init__(
        self,
        roles: Roles,
        memory: BaseStore,
        *,
        max_attempts: int,
        memory_size: int,
        family: str,
        answer_format: str,
        reflect_role: str,
    ) -> None:
        self.roles, self.memory, self.actor = roles, memory, Actor(roles)
        self.max_attempts, self.memory_size = max_attempts, memory_size
        self.family, self.answer_format, self.reflect_role = family, answer_format, reflect_role

    def family_of(self, state: ReflexionState) -> str:
        return state.get("family") or self.family

    async def recall(self, state: ReflexionState) -> dict[str, Any]:
        found = await arecent_lessons(self.memory, self.family_of(state), limit=self.memory_size)
        return {"lessons": [lesson.text for lesson in reversed(found)]}

    def _messages(self, question: str, lessons: list[str]) -> list[ChatMessage]:
        if not lessons:
            return load_prompt(self.actor.prompt).render(
                question=question, answer_format=self.answer_format
            )
        return load_prompt("actor/solve_lessons").render(
            question=Untrusted(question, "QUESTION"),
            lessons=Untrusted("\n".join(f"- {text}" for text in lessons), "LESSONS"),
            answer_format=self.answer_format,
        )

    async def act(self, state: ReflexionState) -> dict[str, Any]:
        trial, lessons = state.get("trial", 0), state.get("lessons", [])
        messages = self._messages(state["prompt"], lessons)
        result = await self.roles.complete("actor", messages, sample_index=trial)
        gold = state.get("answer")
        answer = extract_answer(result.text)
        correct = None if gold is None else is_equiv(answer, gold)
        attempt: ReflexionAttempt = {
            "attempt": trial,
            "solution": result.text,
            "answer": answer,
            "correct": correct,
            "lessons_used": list(lessons),
        }
        return {
            "attempts": [attempt],
            "trial": trial + 1,
            "solution": result.text,
            "success": correct,
        }

    def route(self, state: ReflexionState) -> str:
        done = state.get("success") is not False or state.get("trial", 0) >= self.max_attempts
        return FINISH if done else REFLECT

    async def reflect(self, state: ReflexionState) -> dict[str, Any]:
        attempt = state["attempts"][-1]
        messages = load_prompt("actor/reflect").render(
            question=Untrusted(state["prompt"], "QUESTION"),
            attempt=Untrusted(attempt["solution"], "ATTEMPT"),
            feedback=_feedback(attempt),
        )
        try:
            result = await self.roles.complete(
                self.reflect_role, messages, sample_index=attempt["attempt"]
            )
            raw = result.text
        except ModelCallError as err:
            raw = f"backend_error: {err.kind}"
        diagnosis, lesson = parse_reflection(raw)
        key = None
        if lesson is not None:
            key = await aput_lesson(
                self.memory,
                self.family_of(state),
                lesson,
                key=f"{_item_key(state)}:{attempt['attempt']}",
                item_id=state.get("item_id"),
                attempt=attempt["attempt"],
                diagnosis=diagnosis,
            )
        reflection: Reflection = {
            "attempt": attempt["attempt"],
            "diagnosis": diagnosis,
            "lesson": lesson,
            "key": key,
            "raw": raw,
        }
        return {"reflections": [reflection]}

    async def finish(self, state: ReflexionState) -> dict[str, Any]:
        success = state.get("success")
        if success is None:
            return {"stop_reason": "no_gold"}
        update: dict[str, Any] = {"stop_reason": "solved" if success else "max_attempts"}
        if success:
            sft, pairs, refused = self._records(state)
            update.update(sft=sft, pairs=pairs)
            if refused:
                update["refused"] = refused
        return update

    def _records(
        self, state: ReflexionState
    ) -> tuple[list[SftRecord], list[PreferencePair], dict[str, int]]:
        attempts = state.get("attempts", [])
        won, failed = attempts[-1], [a for a in attempts if a["correct"] is False]
        meta = {
            "technique": TECHNIQUE,
            "item_id": state.get("item_id"),
            "family": self.family_of(state),
            "attempt": won["attempt"],
            "lessons_used": len(won["lessons_used"]),
        }
        sft: list[SftRecord] = []
        if won["lessons_used"]:
            reply: ChatMessage = {"role": "assistant", "content": won["solution"]}
            sft.append(make_sft_record([*self._messages(state["prompt"], []), reply], **meta))
        pairs: list[PreferencePair] = []
        refused: dict[str, int] = {}
        if failed:
            try:
                pairs.append(
                    make_pair(
                        state["prompt"],
                        won["solution"],
                        failed[-1]["solution"],
                        technique=TECHNIQUE,
                        chosen_score=1.0,
                        rejected_score=0.0,
                        item_id=state.get("item_id"),
                        round=won["attempt"],
                        extra={"family": meta["family"], "verified_by": "gold"},
                    )
                )
            except RecordRefused as exc:
                refused[exc.reason] = 1
        return sft, pairs, refused


def create_reflexion_graph(
    roles: Roles,
    *,
    max_attempts: int = 3,
    memory_size: int = 3,
    family: str = "general",
    answer_format: str = GSM8K_FORMAT,
    reflect_role: str = "actor",
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the Reflexion graph (input ``prompt``, gold ``answer``, optional ``family``).

    Args:
        roles: Role bindings: ``actor`` (attempts and, by default, reflections).
        max_attempts: Most attempts per item (the paper's code runs 2 to a few trials).
        memory_size: Lessons in view per attempt (the paper keeps the last 3).
        family: The task family of items that give none; lessons are shared within a family.
        answer_format: The final-answer instruction given to the actor.
        reflect_role: The role that writes reflections (the actor itself in the paper).
        checkpointer: LangGraph checkpointer.
        store: Where lessons are kept (any LangGraph ``BaseStore``); an ``InMemoryStore``
            when None, reachable afterwards as ``graph.store``.
        name: Graph name.

    Raises:
        ConfigError: An option is out of range.
    """
    if not 1 <= max_attempts <= 20:
        raise ConfigError(f"max_attempts must be between 1 and 20, got {max_attempts!r}")
    if not 0 <= memory_size <= 50:
        raise ConfigError(f"memory_size must be between 0 and 50, got {memory_size!r}")
    if not family.strip():
        raise ConfigError("family must be a non-empty name")
    memory = store if store is not None else InMemoryStore()
    trials = _Trials(
        roles,
        memory,
        max_attempts=max_attempts,
        memory_size=memory_size,
        family=family,
        answer_format=answer_format,
        reflect_role=reflect_role,
    )
    builder = StateGraph(ReflexionState)
    for node_name, fn in (
        (RECALL, trials.recall),
        (ACT, trials.act),
        (REFLECT, trials.reflect),
        (FINISH, trials.finish),
    ):
        add_traced(builder, node_name, fn, roles)
    builder.add_edge(START, RECALL)
    builder.add_edge(RECALL, ACT)
    add_route(builder, ACT, trials.route, [REFLECT, FINISH])
    builder.add_edge(REFLECT, RECALL)
    builder.add_edge(FINISH, END)
    return builder.compile(checkpointer=checkpointer, store=memory, name=name or TECHNIQUE)
