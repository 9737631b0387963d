"""Generating roles: ``Actor`` (solve, revise, continue), ``Critic`` and ``SneakyGenerator``."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from sparring.agents._ask import ask_verdicts, reask_once
from sparring.agents._parse_step import parse_step_verdict
from sparring.agents._verdict import Verdict
from sparring.errors import ModelCallError
from sparring.models import ChatMessage, CompletionSet, ModelLike, Roles
from sparring.prompts import Untrusted, load_prompt

__all__ = [
    "GSM8K_FORMAT",
    "OPEN_FORMAT",
    "Actor",
    "Corruption",
    "Critic",
    "SneakyGenerator",
    "StepCritique",
    "StepMark",
    "parse_corruption",
    "parse_step_critique",
]

GSM8K_FORMAT = "End with a last line of the form '#### <number>'."
OPEN_FORMAT = "Answer directly and completely."
_MARK_RE = re.compile(
    r"^\s*Correctness of the step\s*:\s*\**\s*(correct|wrong|incorrect)\b",
    re.IGNORECASE | re.MULTILINE,
)
_FINAL_RE = re.compile(
    r"Correctness of the final answer\s*:\s*\**\s*(correct|wrong|incorrect)\b", re.IGNORECASE
)
_ERROR_TYPE_RE = re.compile(r"^\s*Error type\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_STEP_OUT_RE = re.compile(r"^\s*Incorrect step\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


class Actor:
    """Answers, revises with a critique, and continues partial solutions."""

    def __init__(
        self,
        roles: Roles,
        *,
        role: str = "actor",
        model: ModelLike | None = None,
        prompt: str = "actor/solve",
        revise_prompt: str = "actor/revise",
        continue_prompt: str = "actor/continue",
    ) -> None:
        self.roles, self.role, self.model = roles, role, model
        self.prompt, self.revise_prompt, self.continue_prompt = (
            prompt,
            revise_prompt,
            continue_prompt,
        )

    async def answer(
        self,
        question: str,
        *,
        n: int = 1,
        answer_format: str = GSM8K_FORMAT,
        sample_index: int = 0,
        **sampling: Any,
    ) -> CompletionSet:
        """``n`` answers to ``question``."""
        messages = load_prompt(self.prompt).render(question=question, answer_format=answer_format)
        return await self.roles.complete(
            self.role, messages, model=self.model, n=n, sample_index=sample_index, **sampling
        )

    async def revise(
        self,
        question: str,
        solution: str,
        critique: str,
        *,
        n: int = 1,
        answer_format: str = GSM8K_FORMAT,
        **sampling: Any,
    ) -> CompletionSet:
        """New solutions written with ``critique`` of ``solution`` in view."""
        messages = load_prompt(self.revise_prompt).render(
            question=Untrusted(question, "QUESTION"),
            solution=Untrusted(solution, "SOLUTION"),
            critique=Untrusted(critique, "CRITIQUE"),
            answer_format=answer_format,
        )
        return await self.roles.complete(self.role, messages, model=self.model, n=n, **sampling)

    async def continue_from(
        self,
        question: str,
        prefix: list[str],
        *,
        n: int = 1,
        answer_format: str = GSM8K_FORMAT,
        **sampling: Any,
    ) -> CompletionSet:
        """Rollouts that continue the steps in ``prefix`` to a final answer."""
        messages = load_prompt(self.continue_prompt).render(
            question=Untrusted(question, "QUESTION"),
            partial_solution=Untrusted("\n".join(prefix), "PARTIAL SOLUTION"),
            answer_format=answer_format,
        )
        return await self.roles.complete(self.role, messages, model=self.model, n=n, **sampling)


class StepMark(BaseModel):
    """The critic's call on one step."""

    model_config = ConfigDict(frozen=True)

    correct: bool
    text: str = ""


class StepCritique(BaseModel):
    """A step-by-step critique: a mark per step and a call on the final answer.

    ``status`` is ``unscored`` when no step mark or no final call could be read.
    """

    model_config = ConfigDict(frozen=True)

    status: Literal["scored", "unscored"]
    steps: list[StepMark]
    final_correct: bool | None
    raw: str
    reason: str | None = None

    @property
    def first_wrong(self) -> int | None:
        """Index of the first step marked wrong, if any."""
        return next((i for i, s in enumerate(self.steps) if not s.correct), None)

    @property
    def approves(self) -> bool:
        """Whether the critique calls every step and the final answer correct."""
        return self.status == "scored" and self.first_wrong is None and bool(self.final_correct)


def parse_step_critique(text: str) -> StepCritique:
    """Read ``Correctness of the step: Correct|Wrong`` lines and the final-answer call."""
    blocks = re.split(r"(?=^\s*Step sentence\s*:)", text, flags=re.IGNORECASE | re.MULTILINE)
    steps = []
    for block in blocks:
        mark = _MARK_RE.search(block)
        if mark is not None:
            sentence = block.split("\n", 1)[0].split(":", 1)[-1].strip()
            steps.append(StepMark(correct=mark.group(1).lower() == "correct", text=sentence))
    finals = _FINAL_RE.findall(text)
    final = None if not finals else finals[-1].lower() == "correct"
    if not steps or final is None:
        missing = "no step marks" if not steps else "no final-answer call"
        return StepCritique(
            status="unscored",
            steps=steps,
            final_correct=final,
            raw=text,
            reason=f"parse_failure: {missing}",
        )
    return StepCritique(status="scored", steps=steps, final_correct=final, raw=text)


class Critic:
    """Step-level critic: whole-solution critiques, and single-step Correct/Incorrect calls."""

    def __init__(
        self,
        roles: Roles,
        *,
        role: str = "critic",
        model: ModelLike | None = None,
        steps_prompt: str = "critic/steps",
        step_prompt: str = "critic/step",
        repair: bool = True,
    ) -> None:
        self.roles, self.role, self.model, self.repair = roles, role, model, repair
        self.steps_prompt, self.step_prompt = steps_prompt, step_prompt

    async def critique(self, question: str, solution: str, **sampling: Any) -> StepCritique:
        """A step-by-step critique (unscored on a backend error or an unreadable output)."""
        messages = load_prompt(self.steps_prompt).render(
            question=Untrusted(question, "QUESTION"), solution=Untrusted(solution, "SOLUTION")
        )
        try:
            result = await self.roles.complete(self.role, messages, model=self.model, **sampling)
        except ModelCallError as err:
            return StepCritique(
                status="unscored",
                steps=[],
                final_correct=None,
                raw="",
                reason=f"backend_error: {err.kind}",
            )
        first = parse_step_critique(result.text)
        if first.status == "scored" or not self.repair:
            return first
        return await self._repair(messages, first)

    async def _repair(self, messages: list[ChatMessage], first: StepCritique) -> StepCritique:
        """Re-ask once, naming what was missing; keep the first reading if that fails too."""
        problem = (first.reason or "parse_failure").split(": ", 1)[-1]
        text = await reask_once(
            self.roles, self.role, messages, first.raw,
            f"{problem}; expected a 'Correctness of the step: Correct|Wrong' line per step and "
            "a last line 'Correctness of the final answer: Correct|Wrong'",
            model=self.model,
        )  # fmt: skip
        second = parse_step_critique(text) if text is not None else first
        return second if second.status == "scored" else first

    async def judge_step(
        self, question: str, prefix: list[str], step: str, *, n: int = 1, **sampling: Any
    ) -> list[Verdict]:
        """Verdicts on ``step`` given ``prefix``: score 1.0 correct, 0.0 incorrect, or unscored."""
        messages = load_prompt(self.step_prompt).render(
            question=Untrusted(question, "QUESTION"),
            partial_solution=Untrusted("\n".join(prefix) or "(no steps yet)", "PARTIAL SOLUTION"),
            step=Untrusted(step, "STEP"),
        )
        return await ask_verdicts(
            self.roles,
            self.role,
            messages,
            parse_step_verdict,
            kind="pointwise",
            n=n,
            model=self.model,
            repair=self.repair,
            **sampling,
        )


class Corruption(BaseModel):
    """The sneaky generator's rewrite of one step (``step`` is None when unreadable)."""

    model_config = ConfigDict(frozen=True)

    error_type: str | None
    step: str | None
    raw: str


def parse_corruption(text: str) -> Corruption:
    """Read ``Error type:`` and ``Incorrect step:`` lines (the last of each)."""
    types = _ERROR_TYPE_RE.findall(text)
    steps = _STEP_OUT_RE.findall(text)
    return Corruption(
        error_type=types[-1].strip() if types else None,
        step=steps[-1].strip() if steps else None,
        raw=text,
    )


class SneakyGenerator:
    """Rewrites a correct step into a wrong one (the SPC game's attacker)."""

    def __init__(
        self,
        roles: Roles,
        *,
        role: str = "sneaky",
        model: ModelLike | None = None,
        prompt: str = "sneaky/corrupt",
    ) -> None:
        self.roles, self.role, self.model, self.prompt = roles, role, model, prompt

    async def corrupt(
        self, question: str, prefix: list[str], step: str, *, n: int = 1, **sampling: Any
    ) -> list[Corruption]:
        """``n`` rewrites of ``step``; a backend error gives unreadable corruptions."""
        messages = load_prompt(self.prompt).render(
            question=Untrusted(question, "QUESTION"),
            partial_solution=Untrusted("\n".join(prefix) or "(no steps yet)", "PARTIAL SOLUTION"),
            step=Untrusted(step, "STEP"),
        )
        try:
            result = await self.roles.complete(
                self.role, messages, model=self.model, n=n, **sampling
            )
        except ModelCallError as err:
            return [Corruption(error_type=None, step=None, raw=f"backend_error: {err.kind}")] * n
        return [parse_corruption(text) for text in result.texts]
