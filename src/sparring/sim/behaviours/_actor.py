"""The actor: solves problems, writes answers, continues partial solutions, revises."""

from __future__ import annotations

import random
import re

from sparring.sim._arith import ArithmeticTask, fmt_num
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._external import aspect_sentence, near_miss
from sparring.sim._open import FILLER, OpenTask
from sparring.sim._reading import read_steps
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
    lines += [describe(task, s, i + 1, rng) for i, s in enumerate(steps)]
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


_OPENINGS = (
    "Let me work through this carefully.",
    "I'll solve this one step at a time.",
    "Let's break the problem into parts.",
    "Here is how I would approach it.",
)
_OPEN_OPENINGS = (
    "Here is my answer.",
    "Happy to help with this.",
    "Here is a considered response.",
    "Let me address this directly.",
)
_STEP_SHAPES = (
    "Step {k}: The problem gives {n}, so I start from that quantity.",
    "Step {k}: Next I account for {n} as the problem describes.",
    "Step {k}: Taking {n} into account changes the running total.",
    "Step {k}: I combine the result so far with {n}.",
)
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")


def _gold_answer(ctx: SimContext, rng: random.Random, accuracy: float, gold: str) -> str:
    """A reasoning sketch over the question's numbers and a final answer, right by skill.

    The simulator cannot solve a problem it did not write; it knows only the gold answer, so
    it writes a plausible sketch and gets the answer right with the actor's accuracy (lower
    when sampling hot), else a near miss; near misses repeat, as real wrong answers do.
    """
    numbers = _NUMBER_RE.findall(ctx.question)[:4] or ["the given values"]
    lines = [rng.choice(_OPENINGS)]
    shapes = rng.sample(_STEP_SHAPES, k=len(_STEP_SHAPES))
    for k, n in enumerate(numbers, start=1):
        lines.append(shapes[(k - 1) % len(shapes)].format(k=k, n=n))
    right = rng.random() < accuracy ** max(1.0, ctx.temperature)
    answer = gold if right else near_miss(gold, rng.random(), min(7, int(rng.expovariate(0.6))))
    if ctx.malformed(ctx.profile.actor.malformed_rate, rng):
        return "\n".join(lines)
    lines.append(f"Step {len(numbers) + 1}: That gives {answer}.")
    return "\n".join([*lines, answer_line(answer, ctx.instructions)])


def _aspect_answer(ctx: SimContext, rng: random.Random, coverage: float) -> str:
    """An answer to an open prompt: some of its hidden aspects, maybe wrong, some filler."""
    skill = ctx.profile.actor
    sentences = []
    for aspect in ctx.aspects:
        if rng.random() < coverage:
            sentences.append(aspect_sentence(aspect, True, rng.randrange(8)))
        elif rng.random() < skill.wrong_fact_rate:
            sentences.append(aspect_sentence(aspect, False, rng.randrange(8)))
    n_filler = max(0, round(rng.gauss(skill.verbosity, 1.0)))
    sentences += [rng.choice(FILLER) for _ in range(n_filler)]
    rng.shuffle(sentences)
    return " ".join([rng.choice(_OPEN_OPENINGS), *sentences])


def _external(ctx: SimContext, rng: random.Random, *, gain: float = 0.0) -> str:
    """Answer a prompt the world did not write (a user's data item, or any text)."""
    skill = ctx.profile.actor
    gold = ctx.gold
    if gold is not None:
        return _gold_answer(ctx, rng, skill.accuracy + (1.0 - skill.accuracy) * gain, gold)
    return _aspect_answer(ctx, rng, skill.coverage + (1.0 - skill.coverage) * gain)


def solve(ctx: SimContext, rng: random.Random) -> str:
    """Answer the task in the prompt (arithmetic, open-ended, external or unknown)."""
    skill = ctx.profile.actor
    task = ctx.task
    if isinstance(task, ArithmeticTask):
        p = per_step_error(skill.accuracy, len(task.steps), ctx.temperature)
        return _arith(ctx, task, rng, p)
    if isinstance(task, OpenTask):
        return write_open(task, rng, skill.coverage, ctx)
    return _external(ctx, rng)


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
    return _external(ctx, rng, gain=skill.refine_gain)


register_behaviour("actor.solve", solve)
register_behaviour(
    "actor.continue",
    continue_solution,
    detect=lambda c: "PARTIAL SOLUTION" in c.blocks and "STEP" not in c.blocks,
    priority=80,
)
register_behaviour("actor.revise", revise, detect=lambda c: "CRITIQUE" in c.blocks, priority=70)
