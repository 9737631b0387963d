"""The actor: solves problems, writes answers, continues partial solutions, revises."""

from __future__ import annotations

import random
import re

from sparring.sim._arith import ArithmeticTask, fmt_num
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._open import FILLER, OpenTask
from sparring.sim._reading import final_answer, read_steps
from sparring.sim.behaviours._solutions import answer_line, describe, write_steps

__all__ = ["continue_solution", "per_step_error", "revise", "solve", "write_open"]

_NO_FLAG_RE = re.compile(r"\b(wrong|incorrect|error|mistake)\b", re.IGNORECASE)


def per_step_error(accuracy: float, n_steps: int, temperature: float) -> float:
    """Per-step error rate so that a whole solution is right with ``accuracy``.

    Above temperature 1 the model gets sloppier: the rate grows as ``1 - (1-p)**T``.
    """
    p: float = 1.0 - accuracy ** (1.0 / max(n_steps, 1))
    return float(1.0 - (1.0 - p) ** max(1.0, temperature))


def _arith(ctx: SimContext, task: ArithmeticTask, rng: random.Random, p_err: float) -> str:
    steps = write_steps(task, rng, p_err)
    lines = ["Let's work through it step by step."]
    lines += [describe(task, s, i + 1) for i, s in enumerate(steps)]
    if rng.random() >= ctx.profile.actor.malformed_rate:
        lines.append(answer_line(fmt_num(steps[-1].c), ctx.instructions))
    return "\n".join(lines)


def write_open(task: OpenTask, rng: random.Random, coverage: float, ctx: SimContext) -> str:
    """An answer to an open instruction: some key points, maybe wrong facts, some filler."""
    skill = ctx.profile.actor
    sentences = []
    for point in task.key_points:
        if rng.random() < coverage:
            sentences.append(f"The {task.topic} {point.phrase}.")
        elif rng.random() < skill.wrong_fact_rate:
            wrong = point.value + rng.choice((-3, -2, -1, 1, 2, 3, 5))
            sentences.append(f"The {task.topic} {point.prefix}{max(wrong, 0)}{point.suffix}.")
    n_filler = max(0, round(rng.gauss(skill.verbosity, 1.0)))
    sentences += [rng.choice(FILLER) for _ in range(n_filler)]
    rng.shuffle(sentences)
    intro = f"Here is an overview of the {task.topic} for {task.audience}."
    return " ".join([intro, *sentences])


def _external(ctx: SimContext, rng: random.Random, accuracy: float) -> str:
    gold = ctx.request.gold
    lines = [
        "Let me work through this carefully.",
        "Step 1: I note the quantities the problem gives.",
        "Step 2: I combine them in the order the problem describes.",
    ]
    if gold is None:
        return "\n".join([*lines, "I have written out my reasoning above."])
    answer = gold
    if rng.random() >= accuracy:
        value = final_answer(f"#### {gold}")
        answer = fmt_num(value + rng.choice((-2, -1, 1, 3, 10))) if value is not None else "0"
    return "\n".join([*lines, answer_line(answer, ctx.instructions)])


def solve(ctx: SimContext, rng: random.Random) -> str:
    """Answer the task in the prompt (arithmetic, open-ended, external or unknown)."""
    skill = ctx.profile.actor
    task = ctx.task
    if isinstance(task, ArithmeticTask):
        p = per_step_error(skill.accuracy, len(task.steps), ctx.temperature)
        return _arith(ctx, task, rng, p)
    if isinstance(task, OpenTask):
        return write_open(task, rng, skill.coverage, ctx)
    return _external(ctx, rng, skill.accuracy)


def continue_solution(ctx: SimContext, rng: random.Random) -> str:
    """Continue a partial solution from where it stops (a rollout from a prefix)."""
    task = ctx.arithmetic
    if task is None:
        return solve(ctx, rng)
    prefix = [eq.c for eq in read_steps(ctx.blocks.get("PARTIAL SOLUTION", "")) if eq is not None]
    prefix = prefix[: len(task.steps)]
    p = per_step_error(ctx.profile.actor.accuracy, len(task.steps), ctx.temperature)
    steps = write_steps(task, rng, p, values=prefix)
    lines = [describe(task, s, len(prefix) + i + 1) for i, s in enumerate(steps)]
    final = steps[-1].c if steps else (prefix[-1] if prefix else 0.0)
    lines.append(answer_line(fmt_num(final), ctx.instructions))
    return "\n".join(lines)


def revise(ctx: SimContext, rng: random.Random) -> str:
    """Revise a solution given a critique: fewer errors, or keep it when nothing was flagged."""
    skill = ctx.profile.actor
    previous = ctx.blocks.get("SOLUTION") or ctx.blocks.get("RESPONSE") or ""
    critique = ctx.blocks.get("CRITIQUE", "")
    if previous and not _NO_FLAG_RE.search(critique):
        return previous
    task = ctx.task
    if isinstance(task, ArithmeticTask):
        p = per_step_error(skill.accuracy, len(task.steps), ctx.temperature)
        return _arith(ctx, task, rng, p * (1.0 - skill.refine_gain))
    if isinstance(task, OpenTask):
        coverage = skill.coverage + (1.0 - skill.coverage) * skill.refine_gain
        return write_open(task, rng, coverage, ctx)
    return solve(ctx, rng)


register_behaviour("actor.solve", solve)
register_behaviour(
    "actor.continue",
    continue_solution,
    detect=lambda c: "PARTIAL SOLUTION" in c.blocks and "STEP" not in c.blocks,
    priority=80,
)
register_behaviour("actor.revise", revise, detect=lambda c: "CRITIQUE" in c.blocks, priority=70)
