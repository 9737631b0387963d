"""P(True) self-evaluation with abstention (Kadavath et al., 2022; Self-Judge).

The actor answers, then rates its own answer's chance of being right::

    answer -> rate -> decide

- **answer**: one solution from the actor (``Actor.answer``).
- **rate**: the same model is shown the question and its proposed answer and asked whether
  the answer is correct. With ``source="logprobs"`` the reply is one word, True or False, and
  the confidence is the probability on "True" read from the first token's log probabilities
  (renormalised over True and False when the backend returns both as alternatives). With
  ``source="verbal"`` the model states a probability (``Confidence: NN%``; an unreadable reply
  is re-asked once); ``rating_samples`` ratings are averaged. ``auto`` (the default) uses log
  probabilities when the backend returns them and the verbal estimate when it does not.
- **decide**: abstains when the confidence is below ``threshold`` (no abstention when None).
  An unreadable rating is unscored: it never counts as low confidence, so it never abstains.

Outputs: the proposed answer, the ``confidence`` and its source, ``abstained``, the
``final_answer`` (None when abstaining) and, with gold, ``correct``; the run summary turns
``confidence`` and ``correct`` over items into calibration (ECE, AUROC), the abstention rate
and the accuracy on the answered items. Records, with gold only: an RL record of the answer
(reward +1/-1) and an SFT record that teaches the rating, whose target is the verified
"True"/"False" (P(IK)-style training data).

Failures: an actor call that fails while answering raises ``ModelCallError`` (nothing to
rate; the runner records a failed item); a failed rating call gives an unscored rating.
"""

from __future__ import annotations

from statistics import fmean
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from typing_extensions import TypedDict

from sparring.agents import GSM8K_FORMAT, Actor, reask_once
from sparring.errors import ModelCallError
from sparring.graphs._p_true_read import (
    ConfidenceReading,
    p_true_from_logprobs,
    parse_verbal_confidence,
)
from sparring.graphs._reasoning_common import (
    LogprobsUnavailableError,
    Sample,
    add_node,
    check_choice,
    check_range,
    model_names,
    samples_from,
)
from sparring.graphs._reasoning_records import merge_refusals, sft_target
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import ChatMessage, Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.records import RecordRefused, make_rl_record

__all__ = ["SOURCES", "PTrueState", "Rating", "Source", "create_p_true_graph"]

TECHNIQUE = "p-true"
ANSWER, RATE, DECIDE = "answer", "rate", "decide"
Source = Literal["auto", "logprobs", "verbal"]
SOURCES: tuple[Source, ...] = ("auto", "logprobs", "verbal")
_TOP_LOGPROBS = 5


class Rating(TypedDict):
    """The actor's rating of its own answer.

    Attributes:
        source: ``logprobs`` or ``verbal``.
        confidence: The probability that the answer is right (None when unreadable).
        raws: The rater's replies.
        reason: Why no confidence could be read, if so.
        fallback: Why the verbal estimate replaced log probabilities (``auto``), if it did.
    """

    source: str
    confidence: float | None
    raws: list[str]
    reason: str | None
    fallback: str | None


class PTrueState(ItemInput, RecordsState, total=False):
    """State of the P(True) graph.

    Attributes:
        samples: The proposed answer as one sample (index, text, answer, correct).
        selected_text: The proposed solution.
        selected_answer: Its final answer.
        rating: The self-rating.
        confidence: The rating's probability (None when unscored).
        abstained: Whether the graph declined to answer (confidence below the threshold).
        final_answer: The answer given (None when abstaining).
        correct: Whether the proposed answer matches the gold (None without gold).
    """

    samples: list[Sample]
    selected_text: str
    selected_answer: str | None
    rating: Rating
    confidence: float | None
    abstained: bool
    final_answer: str | None
    correct: bool | None


class _PTrueNodes:
    """The graph's nodes, bound to the roles and options."""

    def __init__(
        self,
        roles: Roles,
        *,
        source: Source,
        threshold: float | None,
        rating_samples: int,
        temperature: float | None,
        answer_format: str,
    ) -> None:
        self.roles, self.source, self.threshold = roles, source, threshold
        self.rating_samples, self.answer_format = rating_samples, answer_format
        self.temperature = temperature
        self.actor = Actor(roles)
        self.models = model_names(roles, "actor")
        # A LangChain chat model returns no log probabilities: auto goes straight to verbal.
        self.has_logprobs = roles.resolve("actor").chat_model is None

    def _messages(self, name: str, question: str, proposed: str) -> list[ChatMessage]:
        return load_prompt(name).render(
            question=Untrusted(question, "QUESTION"),
            proposed_answer=Untrusted(proposed, "PROPOSED ANSWER"),
        )

    async def answer(self, state: PTrueState) -> dict[str, Any]:
        result = await self.actor.answer(
            state["prompt"], answer_format=self.answer_format, temperature=self.temperature
        )
        samples = samples_from(result, state.get("answer"))
        return {
            "samples": samples,
            "selected_text": samples[0]["text"],
            "selected_answer": samples[0]["answer"],
            "correct": samples[0]["correct"],
        }

    async def _from_logprobs(self, question: str, proposed: str) -> Rating:
        messages = self._messages("actor/p_true", question, proposed)
        try:
            result = await self.roles.complete(
                "actor",
                messages,
                temperature=0.0,
                max_tokens=4,
                logprobs=True,
                top_logprobs=_TOP_LOGPROBS,
            )
        except ModelCallError as err:
            return _rating("logprobs", ConfidenceReading(None, f"backend_error: {err.kind}"), [])
        reading = p_true_from_logprobs(result.completions[0])
        return _rating("logprobs", reading, result.texts)

    async def _verbal_once(self, messages: list[ChatMessage]) -> tuple[ConfidenceReading, str]:
        try:
            result = await self.roles.complete("actor", messages, temperature=self.temperature)
        except ModelCallError as err:
            return ConfidenceReading(None, f"backend_error: {err.kind}"), ""
        first = parse_verbal_confidence(result.text)
        if first.value is not None:
            return first, result.text
        text = await reask_once(
            self.roles, "actor", messages, result.text,
            f"{(first.reason or '').split(': ', 1)[-1]}; expected a last line 'Confidence: NN%' "
            "with NN from 0 to 100",
        )  # fmt: skip
        second = parse_verbal_confidence(text) if text is not None else first
        return (second, text or "") if second.value is not None else (first, result.text)

    async def _verbal(self, question: str, proposed: str) -> Rating:
        messages = self._messages("actor/confidence", question, proposed)
        readings, raws = [], []
        for _ in range(self.rating_samples):  # each its own call: ratings vary by sample
            reading, raw = await self._verbal_once(messages)
            readings.append(reading)
            raws.append(raw)
        values = [r.value for r in readings if r.value is not None]
        if not values:
            return _rating("verbal", readings[0], raws)
        return _rating("verbal", ConfidenceReading(fmean(values)), raws)

    async def rate(self, state: PTrueState) -> dict[str, Any]:
        question, proposed = state["prompt"], state["selected_text"]
        fallback = None
        if self.source != "verbal" and self.has_logprobs:
            rating = await self._from_logprobs(question, proposed)
            if rating["confidence"] is not None or self.source == "logprobs":
                if rating["reason"] == "no_logprobs":
                    raise LogprobsUnavailableError(
                        f"{TECHNIQUE}: source='logprobs', but the actor's backend returned no "
                        "log probabilities; use source='auto' or 'verbal'"
                    )
                return _rating_update(rating)
            fallback = rating["reason"]
        elif self.source != "verbal":
            fallback = "no_logprobs"
        rating = await self._verbal(question, proposed)
        rating["fallback"] = fallback
        return _rating_update(rating)

    async def decide(self, state: PTrueState) -> dict[str, Any]:
        confidence = state.get("confidence")
        threshold = self.threshold
        abstained = threshold is not None and confidence is not None and confidence < threshold
        update: dict[str, Any] = {
            "abstained": abstained,
            "final_answer": None if abstained else state.get("selected_answer"),
        }
        update.update(self._records(state))
        return update

    def _records(self, state: PTrueState) -> dict[str, Any]:
        gold, correct = state.get("answer"), state.get("correct")
        if gold is None or correct is None:
            return {}
        meta = {
            "technique": TECHNIQUE,
            "models": self.models,
            "item_id": state.get("item_id"),
            "gold": gold,
            "confidence": state.get("confidence"),
        }
        refused: dict[str, int] = {}
        rl: list[dict[str, Any]] = []
        reward = 1.0 if correct else -1.0
        try:
            rl.append(dict(make_rl_record(state["prompt"], state["selected_text"], reward, **meta)))
        except RecordRefused as exc:
            merge_refusals(refused, exc.reason)
        rating = self._messages("actor/p_true", state["prompt"], state["selected_text"])
        user = "\n\n".join(m["content"] for m in rating if m["role"] != "system")
        sft = sft_target(user, "True" if correct else "False", refused, target="p_true", **meta)
        update: dict[str, Any] = {"rl": rl, "sft": sft}
        if refused:
            update["refused"] = refused
        return update


def _rating(source: str, reading: ConfidenceReading, raws: list[str]) -> Rating:
    return {
        "source": source,
        "confidence": reading.value,
        "raws": raws,
        "reason": reading.reason,
        "fallback": None,
    }


def _rating_update(rating: Rating) -> dict[str, Any]:
    return {
        "rating": rating,
        "confidence": rating["confidence"],
        "judged": {"actor": 1},
        "unscored": {"actor": int(rating["confidence"] is None)},
    }


def create_p_true_graph(
    roles: Roles,
    *,
    source: Source = "auto",
    threshold: float | None = None,
    rating_samples: int = 1,
    temperature: float | None = 0.7,
    answer_format: str = GSM8K_FORMAT,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the P(True) self-evaluation graph (input ``prompt``, optional gold ``answer``).

    Args:
        roles: Role bindings; uses ``actor`` to answer and to rate.
        source: ``auto`` (log probabilities when the backend gives them, else verbal),
            ``logprobs`` (True/False token probability only) or ``verbal``.
        threshold: Abstain when the confidence is below this (None: always answer).
        rating_samples: Verbal ratings averaged per item.
        temperature: The answer's sampling temperature (None: the model's own setting); the
            True/False rating is read greedily.
        answer_format: The final-answer instruction given to the actor.
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: The compiled graph's name.

    Raises:
        ConfigError: An option is out of range.
        LogprobsUnavailableError: ``source="logprobs"`` with an actor bound to a LangChain
            chat model (it returns no log probabilities through sparring).
    """
    check_choice("source", source, SOURCES)
    check_range("rating_samples", rating_samples, 1, 32)
    if threshold is not None:
        check_range("threshold", threshold, 0.0, 1.0)
    if temperature is not None:
        check_range("temperature", temperature, 0.0, 5.0)
    if source == "logprobs" and roles.resolve("actor").chat_model is not None:
        raise LogprobsUnavailableError(
            "source='logprobs' needs token log probabilities, but the actor is bound to a "
            "LangChain chat model, which returns none through sparring; use source='verbal'"
        )
    nodes = _PTrueNodes(
        roles,
        source=source,
        threshold=threshold,
        rating_samples=rating_samples,
        temperature=temperature,
        answer_format=answer_format,
    )
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(PTrueState)
    add_node(builder, ANSWER, nodes.answer, roles)
    add_node(builder, RATE, nodes.rate, roles)
    add_node(builder, DECIDE, nodes.decide, roles)
    builder.add_edge(START, ANSWER)
    builder.add_edge(ANSWER, RATE)
    builder.add_edge(RATE, DECIDE)
    builder.add_edge(DECIDE, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)
