"""Judging roles: pointwise ``Judge``, ``PairwiseJudge``, ``MetaJudge`` and ``Planner``.

Each is a prompt template + a role binding + a typed parser. Candidates are fenced as
untrusted text; degenerate candidates are unscored before any call; pairwise comparisons run in
both orders by default and are combined with ``combine_orders``.
"""

from __future__ import annotations

import asyncio
import re
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from sparring.agents._ask import ask_verdicts
from sparring.agents._orders import PairOutcome, combine_orders
from sparring.agents._parse import parse_verdict
from sparring.agents._parse_degenerate import is_degenerate_candidate
from sparring.agents._verdict import Choice, Verdict
from sparring.errors import PromptError
from sparring.models import ChatMessage, ModelLike, Roles
from sparring.prompts import Untrusted, load_prompt

__all__ = [
    "Judge",
    "MetaJudge",
    "PairJudgment",
    "PairwiseJudge",
    "Planner",
    "parse_plan",
    "rubric_text",
]

_PLAN_RE = re.compile(r"<plan>\s*(.*?)\s*</plan>", re.DOTALL)


class PairJudgment(BaseModel):
    """A comparison of two candidates: each order's verdict and the combined outcome.

    Attributes:
        first: The verdict with the candidates in the given order (A, B).
        swapped: The verdict with the order swapped (None when judged in one order).
        outcome: The combined outcome in the original labels.
    """

    model_config = ConfigDict(frozen=True)

    first: Verdict
    swapped: Verdict | None
    outcome: PairOutcome

    @property
    def choice(self) -> Choice | None:
        """``A``, ``B``, ``tie``, or None when unscored."""
        return self.outcome.choice

    @property
    def verdicts(self) -> list[Verdict]:
        """The verdicts asked for (one or two)."""
        return [self.first] if self.swapped is None else [self.first, self.swapped]


def _single_order(verdict: Verdict, kind: Literal["pairwise", "meta"]) -> PairOutcome:
    if not verdict.is_scored:
        return PairOutcome(kind=kind, status="unscored", reason=verdict.reason)
    return PairOutcome(
        kind=kind,
        status="scored",
        choice=verdict.choice,
        first=verdict.choice,
        strength=verdict.strength if verdict.choice != "tie" else None,
    )


class Judge:
    """Scores one response (the additive 5-point rubric by default).

    Args:
        roles: The role bindings.
        role: The role to ask (``judge``).
        prompt: A template name or path with variables ``question`` and ``response``.
        reference_prompt: The template used when a reference answer is given.
        scale: The score range the prompt asks for.
        model: An explicit model for every call (beats the role binding).
        repair: Re-ask once when the output cannot be read.
        rubric: The rubric template filled into a prompt that declares ``rubric`` (the
            meta-judge reads the same one, see ``rubric_text``).
    """

    def __init__(
        self,
        roles: Roles,
        *,
        role: str = "judge",
        prompt: str = "judge/pointwise",
        reference_prompt: str = "judge/pointwise_reference",
        scale: tuple[float, float] = (1, 5),
        model: ModelLike | None = None,
        repair: bool = True,
        rubric: str = "judge/rubric",
    ) -> None:
        self.roles, self.role, self.scale = roles, role, scale
        self.prompt, self.reference_prompt = prompt, reference_prompt
        self.model, self.repair, self.rubric = model, repair, rubric

    def messages(
        self, question: str, response: str, *, reference: str | None = None
    ) -> list[ChatMessage]:
        """The prompt the judge is sent for ``response`` (e.g. to record judgment pairs)."""
        values: dict[str, str | Untrusted] = {
            "question": Untrusted(question, "QUESTION"),
            "response": Untrusted(response, "RESPONSE"),
        }
        name = self.prompt
        if reference is not None:
            values["reference"] = Untrusted(reference, "REFERENCE")
            name = self.reference_prompt
        template = load_prompt(name)
        if "rubric" in template.variables:
            values["rubric"] = rubric_text(self.rubric)
        return template.render_values(values)

    async def score(
        self,
        question: str,
        response: str,
        *,
        n: int = 1,
        reference: str | None = None,
        **sampling: Any,
    ) -> list[Verdict]:
        """``n`` verdicts on ``response`` (unscored without a call when it is degenerate)."""
        if (why := is_degenerate_candidate(response)) is not None:
            return [Verdict.unscored("pointwise", "degenerate_candidate", detail=why)] * n
        messages = self.messages(question, response, reference=reference)
        parse = partial(parse_verdict, kind="pointwise", scale=self.scale)
        return await ask_verdicts(
            self.roles,
            self.role,
            messages,
            parse,
            kind="pointwise",
            n=n,
            model=self.model,
            repair=self.repair,
            **sampling,
        )


class _Comparer:
    """Shared machinery of the pairwise comparers.

    Args:
        roles: The role bindings.
        role: The role to ask (each comparer has its default).
        prompt: A template name or path (each comparer has its default).
        model: An explicit model for every call (beats the role binding).
        repair: Re-ask once when the output cannot be read.
        both_orders: Judge (A, B) and (B, A) and combine them (a flip is a tie).
    """

    kind: Literal["pairwise", "meta"] = "pairwise"
    labels = ("RESPONSE A", "RESPONSE B")
    variables = ("response_a", "response_b")
    default_role = "judge"
    default_prompt = "judge/pairwise"

    def __init__(
        self,
        roles: Roles,
        *,
        role: str | None = None,
        prompt: str | None = None,
        model: ModelLike | None = None,
        repair: bool = True,
        both_orders: bool = True,
    ) -> None:
        self.roles, self.model, self.repair, self.both_orders = roles, model, repair, both_orders
        self.role = role or self.default_role
        self.prompt = prompt or self.default_prompt

    async def _one(
        self,
        prompt: str,
        fixed: dict[str, str | Untrusted],
        a: str,
        b: str,
        sampling: dict[str, Any],
    ) -> Verdict:
        values = {
            **fixed,
            self.variables[0]: Untrusted(a, self.labels[0]),
            self.variables[1]: Untrusted(b, self.labels[1]),
        }
        messages = load_prompt(prompt).render_values(values)
        parse = partial(parse_verdict, kind=self.kind)
        (verdict,) = await ask_verdicts(
            self.roles,
            self.role,
            messages,
            parse,
            kind=self.kind,
            model=self.model,
            repair=self.repair,
            **sampling,
        )
        return verdict

    async def _compare(
        self,
        prompt: str,
        fixed: dict[str, str | Untrusted],
        a: str,
        b: str,
        sampling: dict[str, Any],
    ) -> PairJudgment:
        for text in (a, b):
            if (why := is_degenerate_candidate(text)) is not None:
                bad = Verdict.unscored(self.kind, "degenerate_candidate", detail=why)
                return PairJudgment(first=bad, swapped=None, outcome=_single_order(bad, self.kind))
        if not self.both_orders:
            first = await self._one(prompt, fixed, a, b, sampling)
            return PairJudgment(first=first, swapped=None, outcome=_single_order(first, self.kind))
        first, swapped = await asyncio.gather(
            self._one(prompt, fixed, a, b, sampling), self._one(prompt, fixed, b, a, sampling)
        )
        return PairJudgment(first=first, swapped=swapped, outcome=combine_orders(first, swapped))


class PairwiseJudge(_Comparer):
    """Which of two responses is better, in both orders by default (a flip is a tie).

    Role ``judge``, prompt ``judge/pairwise`` (``reference_prompt`` when a reference is given).
    """

    def __init__(
        self,
        roles: Roles,
        *,
        reference_prompt: str = "judge/pairwise_reference",
        **options: Any,
    ) -> None:
        super().__init__(roles, **options)
        self.reference_prompt = reference_prompt

    async def compare(
        self, question: str, a: str, b: str, *, reference: str | None = None, **sampling: Any
    ) -> PairJudgment:
        """Compare response ``a`` (shown first) with ``b``."""
        fixed: dict[str, str | Untrusted] = {"question": Untrusted(question, "QUESTION")}
        prompt = self.prompt
        if reference is not None:
            fixed["reference"] = Untrusted(reference, "REFERENCE")
            prompt = self.reference_prompt
        return await self._compare(prompt, fixed, a, b, sampling)


def rubric_text(name: str = "judge/rubric") -> str:
    """The text of a rubric template (one with no variables): what a judge grades with.

    Raises:
        PromptError: There is no such template, or it declares variables.
    """
    template = load_prompt(name)
    if template.variables:
        raise PromptError(f"rubric {name!r} must not declare variables")
    return "\n\n".join(body for _, body in template.sections)


def parse_plan(text: str) -> str | None:
    """The plan between the last ``<plan>`` and ``</plan>`` tags; None when absent or empty."""
    found: list[str] = _PLAN_RE.findall(text)
    plan = found[-1].strip() if found else ""
    return plan or None


class Planner(_Comparer):
    """EvalPlanner-style judging (role ``planner``).

    ``plan`` then ``execute`` are the paper's two separate calls: a plan written from the
    question alone, then that plan carried out on a pair, ending in a verdict. ``compare`` is
    the single call a trained judge makes (plan, execution and verdict in one output).

    Args:
        roles: The role bindings.
        plan_prompt: The plan template (variable ``question``).
        execute_prompt: The execution template (``question``, ``plan``, ``response_a``,
            ``response_b``).
        **options: As for the other comparers (``role``, ``prompt``, ``model``, ...).
    """

    default_role = "planner"
    default_prompt = "planner/compare"

    def __init__(
        self,
        roles: Roles,
        *,
        plan_prompt: str = "planner/plan",
        execute_prompt: str = "planner/execute",
        **options: Any,
    ) -> None:
        super().__init__(roles, **options)
        self.plan_prompt, self.execute_prompt = plan_prompt, execute_prompt

    async def compare(self, question: str, a: str, b: str, **sampling: Any) -> PairJudgment:
        """Plan how to judge, execute the plan on ``a`` and ``b``, give a verdict (one call)."""
        fixed: dict[str, str | Untrusted] = {"question": Untrusted(question, "QUESTION")}
        return await self._compare(self.prompt, fixed, a, b, sampling)

    async def plan(self, question: str, **sampling: Any) -> tuple[str | None, str]:
        """An evaluation plan from the question alone, and the raw output.

        Returns:
            ``(plan, raw)``; ``plan`` is None when the output holds no tagged plan.

        Raises:
            ModelCallError: The call failed after the gateway's retries.
        """
        messages = load_prompt(self.plan_prompt).render(question=Untrusted(question, "QUESTION"))
        result = await self.roles.complete(self.role, messages, model=self.model, **sampling)
        return parse_plan(result.text), result.text

    async def execute(
        self, question: str, plan: str, a: str, b: str, **sampling: Any
    ) -> PairJudgment:
        """Carry ``plan`` out on ``a`` (shown first) and ``b``; both orders by default."""
        fixed: dict[str, str | Untrusted] = {
            "question": Untrusted(question, "QUESTION"),
            "plan": Untrusted(plan, "PLAN"),
        }
        return await self._compare(self.execute_prompt, fixed, a, b, sampling)


class MetaJudge(_Comparer):
    """Which of two judgments of the same response is better."""

    kind: Literal["pairwise", "meta"] = "meta"
    labels = ("JUDGMENT A", "JUDGMENT B")
    variables = ("judgment_a", "judgment_b")
    default_role = "meta_judge"
    default_prompt = "meta_judge/compare"

    def __init__(self, roles: Roles, *, rubric: str = "judge/rubric", **options: Any) -> None:
        super().__init__(roles, **options)
        self.rubric = rubric

    async def compare(
        self, question: str, response: str, judgment_a: str, judgment_b: str, **sampling: Any
    ) -> PairJudgment:
        """Compare ``judgment_a`` (shown first) with ``judgment_b`` of ``response``.

        A prompt that declares ``rubric`` is shown the judge's rubric (``rubric_text``).
        """
        fixed: dict[str, str | Untrusted] = {
            "question": Untrusted(question, "QUESTION"),
            "response": Untrusted(response, "RESPONSE"),
        }
        if "rubric" in load_prompt(self.prompt).variables:
            fixed["rubric"] = Untrusted(rubric_text(self.rubric), "RUBRIC")
        return await self._compare(self.prompt, fixed, judgment_a, judgment_b, sampling)
