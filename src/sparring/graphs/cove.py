"""Chain-of-Verification, factored variant (Dhuliawala et al., 2023).

The actor drafts an answer, plans verification questions about the draft's facts and
intermediate results, answers EACH question in its own call that contains only that question
(a ``Send`` fan-out: no draft, no other question, so the draft's mistakes cannot be copied
into the checks), then revises the draft in the light of the answers.

Outputs: the draft and final answers (and their correctness when gold is known), the
questions and the verification answers. Records: when the gold answer shows that the revision
fixed a wrong draft, a preference pair (final chosen over draft); any other outcome with gold
is counted under ``refused`` as ``no verified improvement``.

Failures: the draft, plan and revise calls raise ``ModelCallError`` out of the graph (the
runner records a failed item). A failed or unreadable verification answer never raises: it is
left out of the revision and counted as unscored for the ``actor`` role (``judged`` counts
the verification answers asked for). With no usable answer the draft is kept as final.
"""

from __future__ import annotations

import operator
import re
from typing import Annotated, Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from langgraph.types import Send
from typing_extensions import TypedDict

from sparring.agents import GSM8K_FORMAT, Actor
from sparring.errors import ModelCallError
from sparring.graphs._nodes import add_route
from sparring.graphs._reasoning_common import add_node, check_range, grade, model_names
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.records import RecordRefused, make_pair
from sparring.verify import extract_answer

__all__ = [
    "DRAFT",
    "PLAN",
    "REVISE",
    "VERIFY",
    "CoveState",
    "Verification",
    "VerifyTask",
    "create_cove_graph",
    "parse_questions",
    "parse_short_answer",
]

TECHNIQUE = "cove"
DRAFT, PLAN, VERIFY, REVISE = "draft", "plan", "verify", "revise"
_Q_RE = re.compile(
    r"^\s*(?:\*\*)?Q\s*\d*\s*[:.)](?:\*\*)?\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE
)
_LIST_RE = re.compile(r"^\s*(?:\d+[.)]|[-*])\s+(.+\?)\s*$", re.MULTILINE)
_ANSWER_RE = re.compile(
    r"^\s*(?:\*\*)?Answer(?:\*\*)?\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE
)


class Verification(TypedDict):
    """One verification question and its independent answer.

    Attributes:
        index: Its position in the plan.
        question: The question as planned.
        answer: The short answer, or None when the call failed or could not be read.
        status: ``answered``, ``unreadable`` or ``error``.
        raw: The full output (or the error message).
    """

    index: int
    question: str
    answer: str | None
    status: Literal["answered", "unreadable", "error"]
    raw: str


class VerifyTask(TypedDict):
    """What one fanned-out verification call is given: the question and nothing else."""

    index: int
    question: str


class CoveState(ItemInput, RecordsState, total=False):
    """State of the Chain-of-Verification graph.

    Attributes:
        draft: The baseline answer.
        draft_answer: Its final answer.
        questions: The planned verification questions.
        verifications: Their independent answers (in plan order).
        final: The revised answer (the draft when nothing could be checked).
        final_answer: Its final answer.
        revised: Whether a revision call was made.
        draft_correct: Whether the draft's answer matches the gold answer (None without gold).
        final_correct: Whether the final answer matches the gold answer (None without gold).
    """

    draft: str
    draft_answer: str | None
    questions: list[str]
    verifications: Annotated[list[Verification], operator.add]
    final: str
    final_answer: str | None
    revised: bool
    draft_correct: bool | None
    final_correct: bool | None


def parse_questions(text: str, limit: int) -> list[str]:
    """The verification questions in a plan: ``Q:`` lines, else numbered or bulleted questions.

    Duplicates are dropped and at most ``limit`` are kept.
    """
    found = _Q_RE.findall(text) or _LIST_RE.findall(text)
    out: list[str] = []
    for question in found:
        if question and question not in out:
            out.append(question)
    return out[:limit]


def parse_short_answer(text: str) -> str | None:
    """The answer on the last ``Answer:`` line, or None when there is none."""
    found = _ANSWER_RE.findall(text)
    return found[-1].strip() if found else None


def _verification_block(verifications: list[Verification]) -> str:
    answered = sorted(
        (v for v in verifications if v["answer"] is not None), key=lambda v: v["index"]
    )
    return "\n\n".join(f"Q: {v['question']}\nA: {v['answer']}" for v in answered)


class _CoveNodes:
    """The graph's nodes and router, bound to the roles and options."""

    def __init__(
        self, roles: Roles, max_questions: int, temperature: float | None, answer_format: str
    ) -> None:
        self.roles, self.max_questions = roles, max_questions
        self.temperature, self.answer_format = temperature, answer_format
        self.actor = Actor(roles)
        self.models = model_names(roles, "actor")

    async def draft(self, state: CoveState) -> dict[str, Any]:
        result = await self.actor.answer(
            state["prompt"], answer_format=self.answer_format, temperature=self.temperature
        )
        answer = extract_answer(result.text)
        return {
            "draft": result.text,
            "draft_answer": answer,
            "draft_correct": grade(answer, state.get("answer")),
        }

    async def plan(self, state: CoveState) -> dict[str, Any]:
        messages = load_prompt("actor/cove_plan").render(
            question=Untrusted(state["prompt"], "QUESTION"),
            draft=Untrusted(state["draft"], "DRAFT"),
            max_questions=str(self.max_questions),
        )
        result = await self.roles.complete("actor", messages, temperature=self.temperature)
        return {"questions": parse_questions(result.text, self.max_questions)}

    def fan_out(self, state: CoveState) -> list[Send] | str:
        questions = state.get("questions", [])
        sends = [Send(VERIFY, {"index": i, "question": q}) for i, q in enumerate(questions)]
        return sends or REVISE

    async def verify(self, task: VerifyTask) -> dict[str, Any]:
        messages = load_prompt("actor/cove_answer").render(
            question=Untrusted(task["question"], "VERIFICATION QUESTION")
        )
        entry: Verification = {**task, "answer": None, "status": "error", "raw": ""}
        try:
            result = await self.roles.complete("actor", messages, temperature=self.temperature)
        except ModelCallError as err:
            entry["raw"] = str(err)
        else:
            entry["answer"] = parse_short_answer(result.text)
            entry["status"] = "unreadable" if entry["answer"] is None else "answered"
            entry["raw"] = result.text
        failed = int(entry["answer"] is None)
        return {
            "verifications": [entry],
            "judged": {"actor": 1},
            "unscored": {"actor": failed},
        }

    async def revise(self, state: CoveState) -> dict[str, Any]:
        block = _verification_block(state.get("verifications", []))
        final, revised = state["draft"], False
        if block:
            messages = load_prompt("actor/cove_revise").render(
                question=Untrusted(state["prompt"], "QUESTION"),
                draft=Untrusted(state["draft"], "DRAFT"),
                verifications=Untrusted(block, "VERIFICATIONS"),
                answer_format=self.answer_format,
            )
            result = await self.roles.complete("actor", messages, temperature=self.temperature)
            final, revised = result.text, True
        answer = extract_answer(final)
        update: dict[str, Any] = {
            "final": final,
            "final_answer": answer,
            "revised": revised,
            "final_correct": grade(answer, state.get("answer")),
        }
        return {**update, **_records(state, final, update["final_correct"], self.models)}


def create_cove_graph(
    roles: Roles,
    *,
    max_questions: int = 5,
    temperature: float | None = None,
    answer_format: str = GSM8K_FORMAT,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the Chain-of-Verification graph (factored execution, then revision).

    Args:
        roles: Role bindings; uses ``actor`` for every step.
        max_questions: Verification questions planned at most.
        temperature: Sampling temperature for every call (the paper decoded greedily);
            None keeps the actor model's own setting.
        answer_format: The final-answer instruction for the draft and the revision.
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: The compiled graph's name.

    Returns:
        The compiled graph; input ``{"prompt", "answer"?, "item_id"?}``.

    Raises:
        ConfigError: An option is out of range.
    """
    check_range("max_questions", max_questions, 1, 50)
    if temperature is not None:
        check_range("temperature", temperature, 0.0, 5.0)
    nodes = _CoveNodes(roles, max_questions, temperature, answer_format)
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(CoveState)
    add_node(builder, DRAFT, nodes.draft, roles)
    add_node(builder, PLAN, nodes.plan, roles)
    add_node(builder, VERIFY, nodes.verify, roles, input_schema=VerifyTask)
    add_node(builder, REVISE, nodes.revise, roles)
    builder.add_edge(START, DRAFT)
    builder.add_edge(DRAFT, PLAN)
    add_route(builder, PLAN, nodes.fan_out, [VERIFY, REVISE])
    builder.add_edge(VERIFY, REVISE)
    builder.add_edge(REVISE, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)


def _records(
    state: CoveState, final: str, final_correct: bool | None, models: dict[str, str]
) -> dict[str, Any]:
    """A (final over draft) pair when gold shows the revision fixed the draft."""
    if final_correct is None:
        return {}
    if not final_correct or state.get("draft_correct"):
        return {"refused": {"no verified improvement": 1}}
    try:
        pair = make_pair(
            state["prompt"],
            final,
            state["draft"],
            technique=TECHNIQUE,
            models=models,
            chosen_score=1.0,
            rejected_score=0.0,
            item_id=state.get("item_id"),
            extra={
                "verified_by": "gold",
                "gold": state.get("answer"),
                "chosen_answer": extract_answer(final),
                "rejected_answer": state.get("draft_answer"),
                "questions": len(state.get("questions", [])),
            },
        )
    except RecordRefused as exc:
        return {"refused": {exc.reason: 1}}
    return {"pairs": [pair]}
