"""EvalPlanner: plan, then execute the plan in both orders, then verdict; judge-training data.

Two papers in one graph:

* **EvalPlanner** (Saha et al., 2025): the ``planner`` role first writes ``n_plans``
  evaluation plans from the question alone (prompt ``planner/plan``; free-form plans, as the
  paper finds unconstrained plans beat lists of criteria), in one sampled call. Each plan is
  then carried out on the pair ``n_executions`` times, each in both orders (prompt
  ``planner/execute``: the plan and both responses, ending in a verdict), in separate calls.
  The verdict is read from the end of the execution with the project's verdict parser.
* **Self-Taught Evaluator** (Wang et al., 2024): when the item has no responses, the
  ``actor`` builds a pair with a known winner. It writes an instruction x' that looks like the
  prompt x but asks for something different (prompt ``actor/contrast_instruction``), then
  answers x (y) and x' (y'); y is the chosen answer for x, y' the rejected one.

When the winner is known (a synthetic pair, or an input ``label``), the executions become
judge-training records whose target is the whole chain of thought: ``Plan:`` + the plan,
``Execution:`` + the execution (which ends with the verdict), under the single-call judge
prompt (``planner/compare``, what the trained judge is asked at test time). Per order (so
that "A is better" and "B is better" targets are balanced): one SFT record holding a correct
chain, and DPO pairs of a correct execution (chosen) against an incorrect one (rejected: the
wrong response or a tie) **of the same plan**, as the paper builds them, at most
``max_pairs_per_order`` per order. An order with no correct execution yields nothing
(EvalPlanner drops such inputs) and is counted as refused. Unscored executions are never a
side of a pair; a plan that cannot be read (or whose call failed) is counted in ``refused``
as ``no plan`` and gets no executions.

Input shapes: ``response_a`` and ``response_b`` (optionally ``label``: ``A`` or ``B``, the one
known to be better) are judged as given; otherwise the synthetic pair is built from
``prompt``. ``choice`` is the majority of the executions' combined outcomes (a flip or a tie
abstains; equal votes are a tie). Planner failures never raise (they are counted); an actor
failure while building the synthetic pair raises, so the runner records the item as failed and
can retry it.

Graph::

    START -> contrast -> answer -> plan -> execute (x n_plans x n_executions, Send)
          -> record -> END
    START -> plan -> execute (x n_plans x n_executions, Send) -> record -> END  (pair given)
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

from sparring.agents import (
    Actor,
    Choice,
    PairOutcome,
    Planner,
    Verdict,
    parse_plan,
    swap_choice,
)
from sparring.errors import ModelCallError
from sparring.graphs._judging_common import (
    JudgmentState,
    add_traced,
    answer_format_for,
    flatten_messages,
    judgment_state,
    judgment_update,
    provenance,
)
from sparring.graphs._nodes import add_route
from sparring.graphs._options import check_range
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import ChatMessage, Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.records import RecordRefused, make_pair, make_sft_record

__all__ = [
    "ANSWER",
    "CONTRAST",
    "EXECUTE",
    "PLAN",
    "RECORD",
    "TECHNIQUE",
    "EvalPlannerState",
    "LabelAgreement",
    "PlanEntry",
    "PlannerSample",
    "SyntheticPair",
    "chain_of_thought",
    "create_eval_planner_graph",
    "parse_new_instruction",
]

TECHNIQUE = "eval-planner"
CONTRAST = "contrast"
ANSWER = "answer"
PLAN = "plan"
EXECUTE = "execute"
RECORD = "record"
_ORDERS = ("AB", "BA")
_TAG_RE = re.compile(r"<new_instruction>\s*(.*?)\s*</new_instruction>", re.DOTALL)


class SyntheticPair(TypedDict):
    """A Self-Taught Evaluator pair: y answers x (chosen), y' answers x' (rejected for x)."""

    instruction: str
    similar_instruction: str
    chosen: str
    rejected: str


class PlanEntry(TypedDict):
    """One evaluation plan.

    Attributes:
        index: The plan's sample index.
        plan: The plan read from the output, or None when it could not be read.
        raw: The planner's whole output (empty when the call failed).
        error: Why the call failed, if it did.
    """

    index: int
    plan: str | None
    raw: str
    error: str | None


class PlannerSample(TypedDict):
    """One execution of plan ``plan``: the pair judged in both orders."""

    plan: int
    index: int
    judgment: JudgmentState


class LabelAgreement(TypedDict):
    """How often the executions found the known winner.

    Attributes:
        correct: Single-order verdicts that picked the known winner.
        scored: Single-order verdicts that were scored.
        consistent: Executions right in both orders (position-consistent accuracy).
        samples: Executions scored in both orders.
    """

    correct: int
    scored: int
    consistent: int
    samples: int


class ExecuteTask(TypedDict):
    """What one execution needs (the ``Send`` payload)."""

    plan_index: int
    index: int
    question: str
    plan: str
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
        plans: The evaluation plans (readable or not).
        samples: The executions, each in both orders.
        choice: Majority of the executions' combined outcomes; None when none was scored.
        votes: Combined outcomes counted: ``A``, ``B``, ``tie``, ``unscored``.
        agreement: Agreement with the known winner (when there is one).
    """

    response_a: str
    response_b: str
    label: Literal["A", "B"] | None
    similar_instruction: str | None
    synthetic: SyntheticPair
    plans: list[PlanEntry]
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


def chain_of_thought(plan: str, execution: str) -> str:
    """The judge-training target: the plan, then its execution (which ends in the verdict)."""
    return f"Plan:\n{plan.strip()}\n\nExecution:\n{execution.strip()}"


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


def _by_plan(samples: list[PlannerSample]) -> dict[int, list[PlannerSample]]:
    out: dict[int, list[PlannerSample]] = {}
    for sample in sorted(samples, key=lambda s: (s["plan"], s["index"])):
        out.setdefault(sample["plan"], []).append(sample)
    return out


class _Nodes:
    """The graph's nodes, sharing the roles and options."""

    def __init__(self, roles: Roles, options: dict[str, Any]) -> None:
        self.roles, self.o = roles, options
        self.actor = Actor(roles)
        self.planner = Planner(
            roles,
            prompt=options["prompt"],
            plan_prompt=options["plan_prompt"],
            execute_prompt=options["execute_prompt"],
        )

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

    async def plan(self, state: EvalPlannerState) -> dict[str, Any]:
        """``n_plans`` plans from the question alone, in one sampled call (never raises)."""
        n = self.o["n_plans"]
        messages = load_prompt(self.o["plan_prompt"]).render(
            question=Untrusted(state["prompt"], "QUESTION")
        )
        try:
            result = await self.roles.complete(
                "planner", messages, n=n, temperature=self.o["temperature"]
            )
        except ModelCallError as err:
            failed = [PlanEntry(index=i, plan=None, raw="", error=str(err)[:500]) for i in range(n)]
            return {"plans": failed, "refused": {"no plan": n}}
        plans = [
            PlanEntry(index=i, plan=parse_plan(text), raw=text, error=None)
            for i, text in enumerate(result.texts)
        ]
        unread = sum(p["plan"] is None for p in plans)
        return {"plans": plans, **({"refused": {"no plan": unread}} if unread else {})}

    async def execute(self, task: ExecuteTask) -> dict[str, Any]:
        judgment = await self.planner.execute(
            task["question"],
            task["plan"],
            task["a"],
            task["b"],
            temperature=self.o["temperature"],
            sample_index=task["index"],
        )
        sample: PlannerSample = {
            "plan": task["plan_index"],
            "index": task["index"],
            "judgment": judgment_state(judgment),
        }
        return {"samples": [sample], **judgment_update("planner", [judgment])}

    async def record(self, state: EvalPlannerState) -> dict[str, Any]:
        samples = sorted(state.get("samples", []), key=lambda s: (s["plan"], s["index"]))
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
        plans = {p["index"]: p["plan"] or "" for p in state.get("plans", [])}
        groups = _by_plan(samples)
        sft: list[Any] = []
        pairs: list[Any] = []
        refused: Counter[str] = Counter()
        for order in _ORDERS:
            expected = label if order == "AB" else swap_choice(label)
            shown = (a, b) if order == "AB" else (b, a)
            messages = self._judge_prompt(state["prompt"], *shown)
            extra = {"order": order, "label": expected}
            right_any = False
            for plan_index, group in groups.items():
                verdicts = [v for v in _order_verdicts(group, order) if v.is_scored]
                right = [v for v in verdicts if v.choice == expected]
                wrong = [v for v in verdicts if v.choice != expected]
                if not right:
                    continue
                plan = plans.get(plan_index, "")
                if not right_any:
                    target: list[ChatMessage] = [
                        {"role": "assistant", "content": chain_of_thought(plan, right[0].raw)}
                    ]
                    sft.append(
                        make_sft_record(
                            [*messages, *target],
                            technique=TECHNIQUE,
                            kind="judgment",
                            **meta,
                            **extra,
                            plan_index=plan_index,
                        )
                    )
                right_any = True
                budget = self.o["max_pairs_per_order"] - sum(
                    p["meta"]["extra"]["order"] == order for p in pairs
                )
                for good, bad in islice(product(right, wrong), max(budget, 0)):
                    try:
                        pairs.append(
                            make_pair(
                                flatten_messages(messages),
                                chain_of_thought(plan, good.raw),
                                chain_of_thought(plan, bad.raw),
                                technique=TECHNIQUE,
                                kind="judgment",
                                **meta,
                                extra={
                                    **extra,
                                    "plan_index": plan_index,
                                    "rejected_choice": bad.choice,
                                },
                            )
                        )
                    except RecordRefused as exc:
                        refused[exc.reason] += 1
            if not right_any:
                refused["no correct judgment"] += 1
        return sft, pairs, dict(refused)

    def _judge_prompt(self, question: str, first: str, second: str) -> list[ChatMessage]:
        return load_prompt(self.o["prompt"]).render(
            question=Untrusted(question, "QUESTION"),
            response_a=Untrusted(first, "RESPONSE A"),
            response_b=Untrusted(second, "RESPONSE B"),
        )


def _fan_out(state: EvalPlannerState, n_executions: int) -> list[Send] | str:
    a, b = _pair(state)
    sends = [
        Send(
            EXECUTE,
            ExecuteTask(
                plan_index=entry["index"],
                index=i,
                question=state["prompt"],
                plan=plan,
                a=a,
                b=b,
            ),
        )
        for entry in state.get("plans", [])
        if (plan := entry["plan"]) is not None
        for i in range(n_executions)
    ]
    return sends or RECORD


def create_eval_planner_graph(
    roles: Roles,
    *,
    n_plans: int = 2,
    n_executions: int = 2,
    temperature: float = 0.8,
    max_pairs_per_order: int = 4,
    answer_format: str | None = None,
    prompt: str = "planner/compare",
    plan_prompt: str = "planner/plan",
    execute_prompt: str = "planner/execute",
    contrast_prompt: str = "actor/contrast_instruction",
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[EvalPlannerState, None, EvalPlannerState, EvalPlannerState]:
    """Build the eval-planner graph.

    Args:
        roles: Role bindings; calls ``planner`` and, for synthetic pairs, ``actor``.
        n_plans: Plans sampled per item (EvalPlanner: 5); 1 to 64.
        n_executions: Executions of each plan, each in both orders (EvalPlanner: 4 per
            order); 1 to 64. An item makes ``1 + 2 * n_plans * n_executions`` planner calls.
        temperature: Planner sampling temperature (EvalPlanner: 0.8); 0 to 2.
        max_pairs_per_order: Cap on (correct, incorrect) execution pairs per order; 0 to 1024.
        answer_format: The actor's answer-format line; None picks the GSM8K answer line for
            items with a gold ``answer`` and a plain "answer directly" otherwise.
        prompt: The single-call judge template the training records are written under
            (variables ``question``, ``response_a``, ``response_b``).
        plan_prompt: The plan template (variable ``question``).
        execute_prompt: The execution template (``question``, ``plan``, ``response_a``,
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
        "n_plans": check_range("n_plans", n_plans, 1, 64, integer=True),
        "n_executions": check_range("n_executions", n_executions, 1, 64, integer=True),
        "temperature": check_range("temperature", temperature, 0.0, 2.0),
        "max_pairs_per_order": check_range(
            "max_pairs_per_order", max_pairs_per_order, 0, 1024, integer=True
        ),
        "answer_format": answer_format,
        "prompt": prompt,
        "plan_prompt": plan_prompt,
        "execute_prompt": execute_prompt,
        "contrast_prompt": contrast_prompt,
    }
    nodes = _Nodes(roles, options)

    def start(state: EvalPlannerState) -> str:
        return PLAN if _given_pair(state) else CONTRAST

    def after_contrast(state: EvalPlannerState) -> str:
        return ANSWER if state.get("similar_instruction") else END

    builder = StateGraph(EvalPlannerState)
    add_traced(builder, CONTRAST, nodes.contrast, roles)
    add_traced(builder, ANSWER, nodes.answer, roles)
    add_traced(builder, PLAN, nodes.plan, roles)
    add_traced(builder, EXECUTE, nodes.execute, roles, input_schema=ExecuteTask)
    add_traced(builder, RECORD, nodes.record, roles)
    add_route(builder, START, start, [CONTRAST, PLAN])
    add_route(builder, CONTRAST, after_contrast, [ANSWER, END])
    builder.add_edge(ANSWER, PLAN)
    add_route(builder, PLAN, lambda s: _fan_out(s, n_executions), [EXECUTE, RECORD])
    builder.add_edge(EXECUTE, RECORD)
    builder.add_edge(RECORD, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name)
