"""Tunable skills and biases of every simulated role.

Defaults describe a middling open model. Every number is a knob a test can turn: set the
actor's accuracy to 0.6 and 2,000 problems come out about 60% right; give the judge a
position bias and single-order pairwise judging shows it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ActorSkill",
    "CriticSkill",
    "JudgeSkill",
    "MetaJudgeSkill",
    "PlannerSkill",
    "SimProfile",
    "SneakySkill",
    "resolve_profile",
]

_Rate = Field(ge=0.0, le=1.0)


class _Skill(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    malformed_rate: float = Field(default=0.02, ge=0.0, le=1.0)


class ActorSkill(_Skill):
    """The solver / writer.

    Attributes:
        accuracy: Chance that a whole arithmetic solution is right (at temperature <= 1).
        coverage: Chance that an open-ended answer includes each hidden key point.
        wrong_fact_rate: Chance that a missed key point is stated with a wrong detail.
        verbosity: Mean number of filler sentences (no content) per open-ended answer.
        refine_gain: Share of errors avoided when revising with a critique.
        self_knowledge: How much the actor's self-rated confidence tells right from wrong
            answers (half the gap, in log-odds, between its ratings of right and wrong ones;
            0: its ratings carry no information).
        overconfidence: Log-odds added to every self-rating (0: centred on even odds).
        diversity: Chance that a sampled answer is its own draw at the default temperature
            (1: every sample is; lower: samples fall on the model's mode, the greedy answer,
            as a model self-trained on its own outputs does). Hotter sampling spreads them
            again: the chance is ``1 - (1 - diversity) ** (T / 0.7)``.
        malformed_rate: Chance of leaving out the final-answer line.
    """

    accuracy: float = Field(default=0.6, ge=0.0, le=1.0)
    coverage: float = Field(default=0.7, ge=0.0, le=1.0)
    wrong_fact_rate: float = Field(default=0.3, ge=0.0, le=1.0)
    verbosity: float = Field(default=2.0, ge=0.0)
    refine_gain: float = Field(default=0.5, ge=0.0, le=1.0)
    self_knowledge: float = Field(default=1.0, ge=0.0)
    overconfidence: float = 0.5
    diversity: float = Field(default=1.0, ge=0.0, le=1.0)


class JudgeSkill(_Skill):
    """Pointwise and pairwise judge.

    Attributes:
        noise: Standard deviation of pointwise score noise, in points of a 1-5 scale.
        sharpness: How strongly a quality gap drives a pairwise choice (logit per unit).
        pairwise_noise: Standard deviation of pairwise noise (logit units).
        position_bias: Logit added in favour of the response shown first.
        verbosity_bias: Points (pointwise) or logits (pairwise) per doubling of length.
        tie_band: Pairwise margins smaller than this (logit units) come out as ties.
        decimal_rate: Chance that a pointwise score is given with a half point.
    """

    noise: float = Field(default=0.5, ge=0.0)
    sharpness: float = Field(default=6.0, ge=0.0)
    pairwise_noise: float = Field(default=1.0, ge=0.0)
    position_bias: float = 0.3
    verbosity_bias: float = 0.2
    tie_band: float = Field(default=0.25, ge=0.0)
    decimal_rate: float = Field(default=0.05, ge=0.0, le=1.0)
    malformed_rate: float = Field(default=0.03, ge=0.0, le=1.0)


class MetaJudgeSkill(_Skill):
    """Judge of judgments.

    Attributes:
        reliability: Chance of preferring the judgment whose score is nearer the truth.
        rubric_reliability: The same chance when the prompt shows the judge's rubric; with
            the rubric in view, a judgment that breaks it (a score off its scale or not a
            whole number) also loses to one that keeps it with this chance.
        position_bias: Chance of picking the first-shown judgment when they look equal.
    """

    reliability: float = Field(default=0.75, ge=0.0, le=1.0)
    rubric_reliability: float = Field(default=0.9, ge=0.0, le=1.0)
    position_bias: float = Field(default=0.6, ge=0.0, le=1.0)
    malformed_rate: float = Field(default=0.03, ge=0.0, le=1.0)


class CriticSkill(_Skill):
    """Step-level critic.

    Attributes:
        recall: Chance of flagging a wrong step whose arithmetic is visibly wrong.
        subtle_recall: Chance of flagging a wrong step whose arithmetic is self-consistent.
        false_positive_rate: Chance of flagging a correct step.
    """

    recall: float = Field(default=0.85, ge=0.0, le=1.0)
    subtle_recall: float = Field(default=0.5, ge=0.0, le=1.0)
    false_positive_rate: float = Field(default=0.08, ge=0.0, le=1.0)
    malformed_rate: float = Field(default=0.03, ge=0.0, le=1.0)


class SneakySkill(_Skill):
    """Sneaky generator that corrupts one step.

    Attributes:
        subtlety: Chance of choosing an error that keeps the arithmetic self-consistent.
        effectiveness: Chance that the rewritten step is actually wrong.
    """

    subtlety: float = Field(default=0.5, ge=0.0, le=1.0)
    effectiveness: float = Field(default=0.85, ge=0.0, le=1.0)


class PlannerSkill(_Skill):
    """EvalPlanner-style judge: plan, execute, verdict (pairwise).

    Attributes:
        plan_quality: Mean share of the task's real checks (gold values, key points) that a
            plan names; an execution is sharper and less noisy the more its plan names.
        plan_spread: Standard deviation of one plan's quality around ``plan_quality``.
    """

    sharpness: float = Field(default=8.0, ge=0.0)
    pairwise_noise: float = Field(default=0.8, ge=0.0)
    position_bias: float = 0.1
    verbosity_bias: float = 0.1
    tie_band: float = Field(default=0.2, ge=0.0)
    plan_quality: float = Field(default=0.7, ge=0.0, le=1.0)
    plan_spread: float = Field(default=0.2, ge=0.0)


class SimProfile(BaseModel):
    """The skills of every simulated role."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: ActorSkill = ActorSkill()
    judge: JudgeSkill = JudgeSkill()
    meta_judge: MetaJudgeSkill = MetaJudgeSkill()
    critic: CriticSkill = CriticSkill()
    sneaky: SneakySkill = SneakySkill()
    planner: PlannerSkill = PlannerSkill()

    def merged(self, overrides: dict[str, Any] | None) -> SimProfile:
        """A copy with ``{"judge": {"position_bias": 1.0}, ...}`` applied over it."""
        if not overrides:
            return self
        data = self.model_dump()
        for role, knobs in overrides.items():
            if role not in data:
                raise ValueError(
                    f"unknown simulated role {role!r} in profile; known: {sorted(data)}"
                )
            if not isinstance(knobs, dict):
                raise ValueError(f"profile[{role!r}] must be a mapping of skill to value")
            data[role].update(knobs)
        return SimProfile.model_validate(data)


@lru_cache(maxsize=512)
def _resolve(blob: str) -> SimProfile:
    return SimProfile().merged(json.loads(blob))


def resolve_profile(overrides: dict[str, Any] | None) -> SimProfile:
    """The default profile with ``overrides`` applied (memoised: requests repeat them)."""
    if not overrides:
        return _DEFAULT
    return _resolve(json.dumps(overrides, sort_keys=True))


_DEFAULT = SimProfile()
