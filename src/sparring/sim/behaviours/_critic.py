"""The critic: step-by-step critiques, and single-step Correct/Incorrect calls (SPC style)."""

from __future__ import annotations

import random

from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._grade import StepTruth, check_steps
from sparring.sim._reading import split_steps

__all__ = ["critique_steps", "flags", "judge_last_step"]


def flags(truth: StepTruth, ctx: SimContext, rng: random.Random) -> bool:
    """Whether the critic calls this step wrong (recall depends on how subtle the error is)."""
    skill = ctx.profile.critic
    if truth.correct:
        return rng.random() < skill.false_positive_rate
    return rng.random() < (skill.subtle_recall if truth.subtle else skill.recall)


def _truths(ctx: SimContext, solution: str) -> list[StepTruth]:
    task = ctx.arithmetic
    if task is None:  # an unknown task: every step looks fine, only false alarms happen
        return [StepTruth(True) for _ in split_steps(solution)]
    return check_steps(task, solution)


def critique_steps(ctx: SimContext, rng: random.Random) -> str:
    """One block per step (correct or wrong, with a reason), then a verdict on the answer."""
    solution = ctx.blocks.get("SOLUTION") or ctx.blocks.get("RESPONSE") or ""
    lines = split_steps(solution)
    truths = _truths(ctx, solution)
    out, any_flag = [], False
    for line, truth in zip(lines, truths, strict=False):
        flagged = flags(truth, ctx, rng)
        any_flag |= flagged
        why = (
            "The computation does not follow from the values before it."
            if flagged
            else "The computation checks out against the problem."
        )
        out += [
            f"Step sentence: {line}",
            f"Correctness of the step: {'Wrong' if flagged else 'Correct'}",
            f"Explanation: {why}",
            "",
        ]
    if not lines:
        out.append("The solution has no steps to check.")
    if ctx.malformed(ctx.profile.critic.malformed_rate, rng):
        return "\n".join(out).strip()
    out.append(f"Correctness of the final answer: {'Wrong' if any_flag else 'Correct'}")
    return "\n".join(out)


def judge_last_step(ctx: SimContext, rng: random.Random) -> str:
    """Summarise, critique, then ``<Answer>Correct|Incorrect</Answer>`` for the last step."""
    prefix = ctx.blocks.get("PARTIAL SOLUTION", "")
    step = ctx.blocks.get("STEP", "")
    truths = _truths(ctx, f"{prefix}\n{step}".strip())
    truth = truths[-1] if truths else StepTruth(True)
    flagged = flags(truth, ctx, rng)
    summary = "Summary: the partial solution tracks the quantity through the problem's events."
    critique = (
        "Critique: the last step does not match what the problem states."
        if flagged
        else "Critique: the last step follows from the previous values."
    )
    if ctx.malformed(ctx.profile.critic.malformed_rate, rng):
        return f"{summary}\n{critique}\nConclusion: see above."
    verdict = "Incorrect" if flagged else "Correct"
    return f"{summary}\n{critique}\nConclusion: <Answer>{verdict}</Answer>"


register_behaviour(
    "critic.steps",
    critique_steps,
    detect=lambda c: c.asks("Correctness of the step"),
    priority=20,
)
register_behaviour(
    "critic.step",
    judge_last_step,
    detect=lambda c: "STEP" in c.blocks and c.asks("<Answer>"),
    priority=21,
)
