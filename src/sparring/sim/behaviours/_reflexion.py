"""Reflexion: the actor's post-mortem of a failed attempt, and solving with lessons in view.

The mechanism is stated here so tests can check it and readers can judge it:

- **Reflection** (``actor.reflect``): the simulated actor checks its failed attempt against
  the world's ground truth (``check_steps``) and names the error type of the first wrong step
  (calculation, misread, wrong operation), a missing answer line, or a missed event, as one
  reusable lesson sentence. For tasks it cannot check it writes a generic lesson.
- **Lessons in the prompt** (``actor.solve_lessons``): the actor reads the lessons, recognises
  which error types they warn about, and avoids a share ``LESSON_WEIGHT * refine_gain`` of the
  errors of those types (the knob is ``ActorSkill.refine_gain``, the share of errors avoided
  when revising with a critique; a lesson is general advice, not a critique of this very
  solution, so it counts for half). Per-step errors fall in proportion to the share of the
  error mix the lessons cover (calculation 1/2, misread 1/4, wrong operation 1/4). A lesson on
  the answer line lowers the malformed rate by the same factor. Lessons that name no known
  error type change nothing, and open-ended tasks are answered as without lessons.

With the default profile (accuracy 0.6, refine_gain 0.5) a lesson on calculation cuts per-step
errors by 12.5% and lessons on all three error types by 25%: a modest gain, as in the paper's
reasoning tasks, not a cure.
"""

from __future__ import annotations

import random
import re

from sparring.sim._arith import ArithmeticTask, fmt_num
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._grade import check_steps
from sparring.sim._reading import final_answer
from sparring.sim.behaviours._actor import per_step_error, solve
from sparring.sim.behaviours._solutions import answer_line, describe, write_steps

__all__ = ["LESSON_TEXT", "LESSON_WEIGHT", "lesson_types", "reflect", "solve_with_lessons"]

LESSON_WEIGHT = 0.5
"""A lesson avoids this share of ``refine_gain`` (a critique of the very solution counts 1)."""

LESSON_TEXT = {
    "calculation": "Recompute the arithmetic of every step before writing down its result.",
    "misread": "Reread the problem and copy every number exactly as the problem states it.",
    "wrong_operation": (
        "Check that each step applies the operation the problem describes: adding, giving "
        "away, multiplying or splitting."
    ),
    "format": "Always finish with the final-answer line in exactly the requested format.",
    "missing": "Account for every event the problem describes, in order, before answering.",
    "generic": "Check each step against the problem statement before giving the final answer.",
}
"""The sentence the simulated actor writes for each diagnosed failure."""

_ERROR_MIX = {"calculation": 0.5, "misread": 0.25, "wrong_operation": 0.25}
_CUES = {
    "calculation": re.compile(r"recompute|arithmetic|calculat", re.IGNORECASE),
    "misread": re.compile(r"reread|misread|copy every number", re.IGNORECASE),
    "wrong_operation": re.compile(r"\boperation", re.IGNORECASE),
    "format": re.compile(r"answer line|answer format|requested format", re.IGNORECASE),
}
_REASON = {
    "calculation": "the arithmetic of that step is off",
    "misread": "that step uses a number the problem does not state",
    "wrong_operation": "that step combines the numbers with the wrong operation",
    "extra": "that step goes beyond the events of the problem",
    "unreadable": "that step has no computation that can be checked",
}


def _diagnose(task: ArithmeticTask, attempt: str) -> tuple[str, str]:
    """The lesson kind and a diagnosis sentence for a failed attempt."""
    truths = check_steps(task, attempt)
    first = next((i for i, t in enumerate(truths) if not t.correct), None)
    if first is not None:
        error = truths[first].error or "calculation"
        kind = error if error in _ERROR_MIX else "wrong_operation"
        return kind, f"Step {first + 1} is where it went wrong: {_REASON[error]}."
    if final_answer(attempt) is None:
        return "format", "The steps look right, but the attempt never gave a final-answer line."
    return "missing", "The attempt stopped before accounting for every event in the problem."


def reflect(ctx: SimContext, rng: random.Random) -> str:
    """``Diagnosis:`` and ``Lesson:`` lines about the failed attempt in the ATTEMPT block."""
    task = ctx.arithmetic
    attempt = ctx.blocks.get("ATTEMPT", "")
    if task is None:
        kind, diagnosis = "generic", "The final answer was wrong; the reasoning needs checking."
    else:
        kind, diagnosis = _diagnose(task, attempt)
    if rng.random() < ctx.profile.actor.malformed_rate:
        return f"Diagnosis: {diagnosis}"
    return f"Diagnosis: {diagnosis}\nLesson: {LESSON_TEXT[kind]}"


def lesson_types(lessons: str) -> set[str]:
    """The error types (and ``format``) that a block of lessons warns about."""
    return {kind for kind, cue in _CUES.items() if cue.search(lessons)}


def solve_with_lessons(ctx: SimContext, rng: random.Random) -> str:
    """Solve with fewer errors of the types the lessons name (see the module docstring)."""
    task = ctx.arithmetic
    if task is None:
        return solve(ctx, rng)
    skill = ctx.profile.actor
    named = lesson_types(ctx.blocks.get("LESSONS", ""))
    gain = LESSON_WEIGHT * skill.refine_gain
    covered = sum(share for kind, share in _ERROR_MIX.items() if kind in named)
    p = per_step_error(skill.accuracy, len(task.steps), ctx.temperature) * (1 - gain * covered)
    malformed = skill.malformed_rate * ((1 - gain) if "format" in named else 1.0)
    steps = write_steps(task, rng, p)
    lines = ["Let's work through it step by step, keeping the lessons in mind."]
    lines += [describe(task, s, i + 1) for i, s in enumerate(steps)]
    if rng.random() >= malformed:
        lines.append(answer_line(fmt_num(steps[-1].c), ctx.instructions))
    return "\n".join(lines)


register_behaviour(
    "actor.reflect",
    reflect,
    detect=lambda c: "ATTEMPT" in c.blocks and c.asks("Lesson:"),
    priority=15,
)
register_behaviour(
    "actor.solve_lessons",
    solve_with_lessons,
    detect=lambda c: "LESSONS" in c.blocks and "QUESTION" in c.blocks,
    priority=16,
)
