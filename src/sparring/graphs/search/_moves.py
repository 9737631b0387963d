"""The search's model calls: the actor proposes next steps, the critic values them.

Every call here is made with its repair turn off, so the search spends exactly the calls it
counts against its budget (an unreadable verdict is searched with a neutral value instead).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from statistics import fmean

from sparring.agents import Actor, Critic, Verdict
from sparring.graphs._spc_steps import split_solution_steps
from sparring.models import Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.verify import extract_answer, is_equiv

__all__ = ["Moves", "Proposal", "StepValue", "solution_text", "split_step"]


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposed next step: its text and, if it finishes the solution, the final answer."""

    text: str
    answer: str | None


@dataclass(frozen=True, slots=True)
class StepValue:
    """The value given to one proposal, and what the verdicts behind it were.

    Attributes:
        value: The mean verdict (or verified outcome); None when none could be read.
        verified_by: ``critic`` or ``gold``.
        asked: Critic calls made.
        unscored: Those that could not be read.
        marks: Per scored critique of a finished solution, its call on every step.
    """

    value: float | None
    verified_by: str | None
    asked: int
    unscored: int
    marks: tuple[tuple[bool, ...], ...] = ()


def solution_text(steps: list[str]) -> str:
    """The steps of a path joined as one solution."""
    return "\n".join(s for s in steps if s.strip())


def split_step(text: str) -> list[str]:
    """The steps a proposal holds, without its final-answer line (a whole solution: all)."""
    return split_solution_steps(text) or ([text.strip()] if extract_answer(text) is None else [])


class Moves:
    """Expansion and evaluation calls, bound to the roles and options."""

    def __init__(
        self,
        roles: Roles,
        *,
        answer_format: str,
        temperature: float,
        critic_samples: int,
        outcome: str,
    ) -> None:
        self.roles, self.answer_format, self.temperature = roles, answer_format, temperature
        self.critic_samples, self.outcome = critic_samples, outcome
        self.actor = Actor(roles)
        self.critic = Critic(roles, repair=False)

    async def propose(
        self, question: str, prefix: list[str], k: int, first: int = 0
    ) -> list[Proposal]:
        """``k`` next steps from the actor, samples ``first`` on (duplicates dropped)."""
        messages = load_prompt("actor/next_step").render(
            question=Untrusted(question, "QUESTION"),
            partial_solution=Untrusted(
                solution_text(prefix) or "(no steps yet)", "PARTIAL SOLUTION"
            ),
            answer_format=self.answer_format,
        )
        result = await self.roles.complete(
            "actor", messages, n=k, sample_index=first, temperature=self.temperature
        )
        seen: set[str] = set()
        out: list[Proposal] = []
        for text in result.texts:
            key = " ".join(text.split())
            if not key or key in seen:
                continue
            seen.add(key)
            out.append(Proposal(text.strip(), extract_answer(text)))
        return out

    async def rollout(self, question: str, prefix: list[str]) -> str:
        """A whole continuation of ``prefix`` to a final answer (when the budget ends early)."""
        result = await self.actor.continue_from(
            question, prefix, answer_format=self.answer_format, temperature=self.temperature
        )
        return result.text

    async def value(
        self, question: str, prefix: list[str], proposal: Proposal, gold: str | None
    ) -> StepValue:
        """The critic's value of a step, or the verified outcome of a finished solution."""
        if proposal.answer is not None:
            return await self._outcome(question, [*prefix, proposal.text], proposal, gold)
        verdicts = await self.critic.judge_step(
            question, prefix, proposal.text, n=self.critic_samples
        )
        return _mean(verdicts, "critic")

    async def _outcome(
        self, question: str, steps: list[str], proposal: Proposal, gold: str | None
    ) -> StepValue:
        if self.outcome == "gold" and gold is not None:
            right = is_equiv(proposal.answer, gold)
            return StepValue(1.0 if right else 0.0, "gold", 0, 0)
        critiques = await asyncio.gather(
            *(
                self.critic.critique(question, solution_text(steps), sample_index=i)
                for i in range(self.critic_samples)
            )
        )
        scored = [c for c in critiques if c.status == "scored"]
        value = fmean(1.0 if c.approves else 0.0 for c in scored) if scored else None
        marks = tuple(tuple(m.correct for m in c.steps) for c in scored)
        return StepValue(value, "critic", len(critiques), len(critiques) - len(scored), marks)


def _mean(verdicts: list[Verdict], by: str) -> StepValue:
    scores = [v.require_score() for v in verdicts if v.is_scored]
    value = fmean(scores) if scores else None
    return StepValue(value, by, len(verdicts), len(verdicts) - len(scores))
