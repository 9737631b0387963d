"""System 2 Attention (Weston & Sukhbaatar, 2023).

Two calls to the actor: first it rewrites the user's text into a ``Context:`` section that
keeps only what is relevant and unbiased (opinions, suggested answers and irrelevant
sentences left out) and a ``Question:`` section; then it answers from the rewrite alone, never
seeing the original text. This is the paper's main variant; it is also a cheap pre-step for
judges (strip "I think A is right" framing before judging).

Outputs: the rewrite (and whether it could be read), the response and its final answer, and
correctness when gold is known. Records: when the gold answer confirms the S2A response, an
SFT record pairing the *original* prompt with it, a distillation target that teaches a model
to answer the distracted prompt as S2A would (System 2 distillation).

Failures: an unreadable rewrite (no ``Question:`` section) falls back to answering the
original prompt, with ``rewrite_ok`` False; rewrites are counted like verdicts, so the
fallback shows as ``unscored: {"actor": 1}`` (``judged`` counts rewrites asked for). Actor
calls that fail raise ``ModelCallError`` (the runner records a failed item).
"""

from __future__ import annotations

import re
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore

from sparring.agents import GSM8K_FORMAT, Actor
from sparring.graphs._reasoning_common import add_node, check_range, grade, model_names
from sparring.graphs._reasoning_records import sft_target
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.verify import extract_answer

__all__ = ["ANSWER", "REWRITE", "S2aState", "create_s2a_graph", "parse_rewrite"]

TECHNIQUE = "s2a"
REWRITE, ANSWER = "rewrite", "answer"
_CONTEXT_RE = re.compile(r"(?:^|\n)[ \t]*(?:\*\*)?Context(?:\*\*)?[ \t]*:", re.IGNORECASE)
_SECTIONS_RE = re.compile(
    r"(?:\n|^)[ \t]*(?:\*\*)?Context(?:\*\*)?[ \t]*:\s*(?P<context>.*?)"
    r"\n[ \t]*(?:\*\*)?Question(?:\*\*)?[ \t]*:[ \t]*(?P<question>.+?)(?:\n[ \t]*\n|\s*$)",
    re.IGNORECASE | re.DOTALL,
)


class S2aState(ItemInput, RecordsState, total=False):
    """State of the System 2 Attention graph.

    Attributes:
        rewrite: The raw rewrite output.
        context: The rewritten context (None when the rewrite could not be read).
        question: The rewritten question (None when the rewrite could not be read).
        rewrite_ok: Whether the rewrite was read; when False the original prompt was answered.
        response: The answer written from the rewrite.
        final_answer: Its final answer.
        correct: Whether it matches the gold answer (None without gold).
    """

    rewrite: str
    context: str | None
    question: str | None
    rewrite_ok: bool
    response: str
    final_answer: str | None
    correct: bool | None


def parse_rewrite(text: str) -> tuple[str, str] | None:
    """The ``Context:`` and ``Question:`` sections of a rewrite, or None without a question.

    The last ``Context:`` section followed by a ``Question:`` section is used, so an echoed
    instruction before the real sections does not count.
    """
    for label in reversed(list(_CONTEXT_RE.finditer(text))):
        match = _SECTIONS_RE.match(text, label.start())
        if match is None:
            continue
        context, question = match["context"].strip(), match["question"].strip()
        if question and not question.startswith("<"):
            return context, question
    return None


def create_s2a_graph(
    roles: Roles,
    *,
    temperature: float | None = None,
    answer_format: str = GSM8K_FORMAT,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the System 2 Attention graph (rewrite, then answer from the rewrite only).

    Args:
        roles: Role bindings; uses ``actor`` for both steps.
        temperature: Sampling temperature for both calls; None keeps the actor model's own
            setting.
        answer_format: The final-answer instruction for the answering step.
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: The compiled graph's name.

    Returns:
        The compiled graph; input ``{"prompt", "answer"?, "item_id"?}``.

    Raises:
        ConfigError: An option is out of range.
    """
    if temperature is not None:
        check_range("temperature", temperature, 0.0, 5.0)
    actor = Actor(roles)
    models = model_names(roles, "actor")

    async def rewrite(state: S2aState) -> dict[str, Any]:
        messages = load_prompt("actor/s2a_rewrite").render(text=Untrusted(state["prompt"], "TEXT"))
        result = await roles.complete("actor", messages, temperature=temperature)
        sections = parse_rewrite(result.text)
        context, question = sections or (None, None)
        return {
            "rewrite": result.text,
            "rewrite_ok": sections is not None,
            "context": context,
            "question": question,
            "judged": {"actor": 1},
            "unscored": {"actor": int(sections is None)},
        }

    async def answer(state: S2aState) -> dict[str, Any]:
        question = state.get("question")
        shown = state["prompt"] if question is None else _joined(state.get("context"), question)
        result = await actor.answer(shown, answer_format=answer_format, temperature=temperature)
        final = extract_answer(result.text)
        correct = grade(final, state.get("answer"))
        update: dict[str, Any] = {
            "response": result.text,
            "final_answer": final,
            "correct": correct,
        }
        if correct and state.get("rewrite_ok"):
            refused: dict[str, int] = {}
            update["sft"] = sft_target(
                state["prompt"],
                result.text,
                refused,
                technique=TECHNIQUE,
                purpose="s2a_distillation",
                models=models,
                item_id=state.get("item_id"),
                answer=final,
                rewritten_prompt=shown,
            )
            if refused:
                update["refused"] = refused
        return update

    builder: StateGraph[Any, Any, Any, Any] = StateGraph(S2aState)
    add_node(builder, REWRITE, rewrite, roles)
    add_node(builder, ANSWER, answer, roles)
    builder.add_edge(START, REWRITE)
    builder.add_edge(REWRITE, ANSWER)
    builder.add_edge(ANSWER, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)


def _joined(context: str | None, question: str) -> str:
    return f"{context}\n{question}".strip() if context else question
