"""EvalPlanner: plan, execute, verdict in both orders, and judge-training data from known pairs.

Two papers in one graph:

* **EvalPlanner** (Saha et al., 2025): the ``planner`` role writes an evaluation plan for the
  question, carries it out on both responses and gives a verdict (prompt ``planner/compare``),
  in both orders, ``n_samples`` times.
* **Self-Taught Evaluator** (Wang et al., 2024): when the item has no responses, the
  ``actor`` builds a pair with a known winner. It writes an instruction x' that looks like the
  prompt x but asks for something different (prompt ``actor/contrast_instruction``), then
  answers x (y) and x' (y'); y is the chosen answer for x, y' the rejected one.

When the winner is known (a synthetic pair, or an input ``label``), the planner's judgments
become judge-training records, per order (so that "A is better" and "B is better" targets are
balanced): one SFT record holding a correct judgment, and DPO pairs of a correct judgment
(chosen) against an incorrect one (rejected: the wrong response or a tie) when the samples
disagree, at most ``max_pairs_per_order`` per order. An order with no correct judgment yields
nothing (EvalPlanner drops such inputs) and is counted as refused. Unscored judgments are
never a side of a pair. Deviation from the paper: the plan, its execution and the verdict come
from one call, so a pair's two judgments do not share one plan.

Input shapes: ``response_a`` and ``response_b`` (optionally ``label``: ``A`` or ``B``, the one
known to be better) are judged as given; otherwise the synthetic pair is built from
``prompt``. ``choice`` is the majority of the samples' combined outcomes (a flip or a tie
abstains; equal votes are a tie). Planner failures never raise (they are unscored and
counted); an actor failure while building the synthetic pair raises, so the runner records
the item as failed and can retry it.

Graph::

    START -> contrast -> answer -> judge (x n_samples, Send) -> record -> END
    START -> judge (x n_samples, Send) -> record -> END          (two responses given)
"""

from __future__ import annotations

import asyncio
import operator
import re
from collections import Counter
from itertools import islice, product
from typing import Annotated, Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from langgraph.types import Send
from typing_extensions import TypedDict

from sparring.agents import Actor, Choice, PairOutcome, Planner, Verdict, swap_choice
from sparring.graphs._judging_common import (
    JudgmentState,
    add_traced,
    answer_format_for,
    flatten_messages,
    judgment_state,
    judgment_update,
    provenance,
)
from sparring.graphs._options import check_range
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import ChatMessage, Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.records import RecordRefused, make_pair, make_sft_record

__all__ = [
    "ANSWER",
    "CONTRAST",
    "JUDGE",
    "RECORD",
    "TECHNIQUE",
    "EvalPlannerState",
    "LabelAgreement",
    "PlannerSample",
    "SyntheticPair",
    "create_eval_planner_graph",
    "parse_new_instruction",
]

TECHNIQUE = "eval-planner"
CONTRAST = "contrast"
ANSWER = "answer"
JUDGE = "judge"
RECORD = "record"
_ORDERS = ("AB", "BA")
_TAG_RE = re.compile(r"<new_instruction>\s*(.*?)\s*</new_instruction>", re.DOTALL)


class SyntheticPair(TypedDict):
    """A Self-Taught Evaluator pair: y answers x (chosen), y' answers x' (rejected for x)."""

    instruction: str
    similar_instruction: str
    chosen: str
    rejected: str


class PlannerSample(TypedDict):
    """One planner sample: the pair judged in both orders."""

    index: int
    judgment: JudgmentState


class LabelAgreement(TypedDict):
    """How often the planner found the known winner.

    Attributes:
        correct: Single-order verdicts that picked the known winner.
        scored: Single-order verdicts that were scored.
        consistent: Samples right in both orders (position-consistent accuracy).
        samples: Samples scored in both orders.
    """

    correct: int
    scored: int
    consistent: int
    samples: int


class JudgeTask(TypedDict):
    """What one planner sample needs (the ``Send`` payload)."""

    index: int
    question: str
    a: str
    b: str


class EvalPlannerState(ItemInput, RecordsState, total=False):
    """Input, intermediate pair and outputs of the eval-planner graph.

    Attributes:
        response_a: The first response (input; with ``response_b``, judged as given).
        response_b: The second response (input).
        label: Which input response is known to be better (input, optional).
        similar_instruction: x', the actor's contrast instruction (synthetic mode).
        synthetic: The synthetic pair (synthetic mode).
        samples: The planner's samples, each in both orders.
        choice: Majority of the samples' combined outcomes; None when none was scored.
        votes: Combined outcomes counted: ``A``, ``B``, ``tie``, ``unscored``.
        agreement: Agreement with the known winner (when there is one).
    """

    response_a: str
    response_b: str
    label: Literal["A", "B"] | None
    similar_instruction: str | None
    synthetic: SyntheticPair
    samples: Annotated[list[PlannerSample], operator.add]
    choice: Choice | None
    votes: dict[str, int]
    agreement: LabelAgreement


def parse_new_instruction(text: str, original: str) -> str | None:
    """The instruction between ``<new_instruction>`` tags, or None when absent or unchanged."""
    found: list[str] = _TAG_RE.findall(text)
    if not found:
        return None
    new = found[-1].strip()
    if not new or " ".join(new.lower().split()) == " ".join(original.lower().split()):
        return None
    return new


def _given_pair(state: EvalPlannerState) -> tuple[str, str] | None:
    a, b = state.get("response_a"), state.get("response_b")
    return (a, b) if isinstance(a, str) and isinstance(b, str) else None


def _pair(state: EvalPlannerState) -> tuple[str, str]:
    given = _given_pair(state)
    if given is not None:
        return given
    return state["synthetic"]["chosen"], state["synthetic"]["rejected"]


def _label(state: EvalPlannerState) -> Choice | None:
    if _given_pair(state) is not None:
        label = str(state.get("label") or "").strip().upper()
        return "A" if label == "A" else "B" if label == "B" else None
    return "A" if "synthetic" in state else None


def _votes(samples: list[PlannerSample]) -> tuple[Choice | None, dict[str, int]]:
    votes: Counter[str] = Counter()
    for sample in samples:
        outcome = PairOutcome.model_validate(sample["judgment"]["outcome"])
        votes[outcome.choice or "unscored"] += 1
    if votes["A"] + votes["B"] + votes["tie"] == 0:
        return None, dict(votes)
    choice: Choice = "A" if votes["A"] > votes["B"] else "B" if votes["B"] > votes["A"] else "tie"
    return choice, dict(votes)


def _order_verdicts(samples: list[PlannerSample], order: str) -> list[Verdict]:
    dumps = [s["judgment"]["first" if order == "AB" else "swapped"] for s in samples]
    return [Verdict.model_validate(d) for d in dumps if d is not None]


def _agreement(samples: list[PlannerSample], label: Choice) -> LabelAgreement:
    correct = scored = consistent = both = 0
    for order in _ORDERS:
        expected = label if order == "AB" else swap_choice(label)
        for verdict in _order_verdicts(samples, order):
            scored += verdict.is_scored
            correct += verdict.is_scored and verdict.choice == expected
    for sample in samples:
        outcome = PairOutcome.model_validate(sample["judgment"]["outcome"])
        both += outcome.is_scored and outcome.swap_agreement is not None
        consistent += outcome.choice == label and outcome.swap_agreement is True
    return {"correct": correct, "scored": scored, "consistent": consistent, "samples": both}


class _Nodes:
    """The graph's nodes, sharing the roles and options."""

    def __init__(self, roles: Roles, options: dict[str, Any]) -> None:
        self.roles, self.o = roles, options
        self.actor = Actor(roles)
        self.planner = Planner(roles, prompt=options["prompt"])

    async def contrast(self, state: EvalPlannerState) -> dict[str, Any]:
        messages = load_prompt(self.o["contrast_prompt"]).render(
            question=Untrusted(state["prompt"], "QUESTION")
        )
        result = await self.roles.complete("actor", messages)
        new = parse_new_instruction(result.text, state["prompt"])
        if new is None:
            return {"similar_instruction": None, "refused": {"no contrast instruction": 1}}
        return {"similar_instruction": new}

    async def answer(self, state: EvalPlannerState) -> dict[str, Any]:
        fmt = answer_format_for(state, self.o["answer_format"])
        x, x2 = state["prompt"], state["similar_instruction"] or ""
        y, y2 = await asyncio.gather(
            self.actor.answer(x, answer_format=fmt), self.actor.answer(x2, answer_format=fmt)
        )
        pair: SyntheticPair = {
            "instruction": x,
            "similar_instruction": x2,
            "chosen": y.text,
            "rejected": y2.text,
        }
        return {"synthetic": pair}

    async def judge(self, task: JudgeTask) -> dict[str, Any]:
        judgment = await self.planner.compare(
            task["question"],
            task["a"],
            task["b"],
            temperature=self.o["temperature"],
            sample_index=task["index"],
        )
        sample: PlannerSample = {"index": task["index"], "judgment": judgment_state(judgment)}
        return {"samples": [sample], **judgment_update("planner", [judgment])}

    async def record(self, state: EvalPlannerState) -> dict[str, Any]:
        samples = sorted(state.get("samples", []), key=lambda s: s["index"])
        choice, votes = _votes(samples)
        update: dict[str, Any] = {"choice": choice, "votes": votes}
        label = _label(state)
        if label is None:
            return update
        update["agreement"] = _agreement(samples, label)
        sft, pairs, refused = self._training(state, samples, label)
        return {**update, "sft": sft, "pairs": pairs, "refused": refused}

    def _training(
        self, state: EvalPlannerState, samples: list[PlannerSample], label: Choice
    ) -> tuple[list[Any], list[Any], dict[str, int]]:
        a, b = _pair(state)
        meta = provenance(state, self.roles, ("planner", "actor"))
        sft: list[Any] = []
        pairs: list[Any] = []
        refused: Counter[str] = Counter()
        for order in _ORDERS:
            expected = label if order == "AB" else swap_choice(label)
            verdicts = [v for v in _order_verdicts(samples, order) if v.is_scored]
            right = [v for v in verdicts if v.choice == expected]
            wrong = [v for v in verdicts if v.choice != expected]
            if not right:
                refused["no correct judgment"] += 1
                continue
            shown = (a, b) if order == "AB" else (b, a)
            messages = self._judge_prompt(state["prompt"], *shown)
            extra = {"order": order, "label": expected}
            target: list[ChatMessage] = [{"role": "assistant", "content": right[0].raw}]
            record = make_sft_record(
                [*messages, *target], technique=TECHNIQUE, kind="judgment", **meta, **extra
            )
            sft.append(record)
            for good, bad in islice(product(right, wrong), self.o["max_pairs_per_order"]):
                try:
                    pairs.append(
                        make_pair(
                            flatten_messages(messages),
                            good.raw,
                            bad.raw,
                            technique=TECHNIQUE,
                            kind="judgment",
                            **meta,
                            extra={**extra, "rejected_choice": bad.choice},
                        )
                    )
                except RecordRefused as exc:
                    refused[exc.reason] += 1
        return sft, pairs, dict(refused)

    def _judge_prompt(self, question: str, first: str, second: str) -> list[ChatMessage]:
        return load_prompt(self.o["prompt"]).render(
            question=Untrusted(question, "QUESTION"),
            response_a=Untrusted(first, "RESPONSE A"),
            response_b=Untrusted(second, "RESPONSE B"),
        )


def _fan_out(state: EvalPlannerState, n_samples: int) -> list[Send]:
    a, b = _pair(state)
    return [
        Send(JUDGE, JudgeTask(index=i, question=state["prompt"], a=a, b=b))
        for i in range(n_samples)
    ]


def create_eval_planner_graph(
    roles: Roles,
    *,
    n_samples: int = 4,
    temperature: float = 0.8,
    max_pairs_per_order: int = 4,
    answer_format: str | None = None,
    prompt: str = "planner/compare",
    contrast_prompt: str = "actor/contrast_instruction",
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[EvalPlannerState, None, EvalPlannerState, EvalPlannerState]:
    """Build the eval-planner graph.

    Args:
        roles: Role bindings; calls ``planner`` and, for synthetic pairs, ``actor``.
        n_samples: Planner samples, each judged in both orders (EvalPlanner: 4 executions
            per order per plan); 1 to 64.
        temperature: Planner sampling temperature (EvalPlanner: 0.8); 0 to 2.
        max_pairs_per_order: Cap on (correct, incorrect) judgment pairs per order; 0 to 1024.
        answer_format: The actor's answer-format line; None picks the GSM8K answer line for
            items with a gold ``answer`` and a plain "answer directly" otherwise.
        prompt: The planner's template (variables ``question``, ``response_a``,
            ``response_b``).
        contrast_prompt: The template that asks for x' (variable ``question``).
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: The compiled graph's name.

    Returns:
        The compiled graph; input ``prompt`` and, to judge a given pair, ``response_a``,
        ``response_b`` and optionally ``label``.

    Raises:
        ConfigError: An option is out of range.
    """
    options = {
        "n_samples": check_range("n_samples", n_samples, 1, 64, integer=True),
        "temperature": check_range("temperature", temperature, 0.0, 2.0),
        "max_pairs_per_order": check_range(
            "max_pairs_per_order", max_pairs_per_order, 0, 1024, integer=True
        ),
        "answer_format": answer_format,
        "prompt": prompt,
        "contrast_prompt": contrast_prompt,
    }
    nodes = _Nodes(roles, options)

    def start(state: EvalPlannerState) -> list[Send] | str:
        return _fan_out(state, n_samples) if _given_pair(state) else CONTRAST

    def after_contrast(state: EvalPlannerState) -> str:
        return ANSWER if state.get("similar_instruction") else END

    builder = StateGraph(EvalPlannerState)
    add_traced(builder, CONTRAST, nodes.contrast, roles)
    add_traced(builder, ANSWER, nodes.answer, roles)
    add_traced(builder, JUDGE, nodes.judge, roles, input_schema=JudgeTask)
    add_traced(builder, RECORD, nodes.record, roles)
    builder.add_conditional_edges(START, start, [CONTRAST, JUDGE])
    builder.add_conditional_edges(CONTRAST, after_contrast, [ANSWER, END])
    builder.add_conditional_edges(ANSWER, lambda s: _fan_out(s, n_samples), [JUDGE])
    builder.add_edge(JUDGE, RECORD)
    builder.add_edge(RECORD, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name)
