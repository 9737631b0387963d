"""System 2 Attention: distracted questions, a naive actor they sway, and the S2A rewrite.

The mechanism, stated so tests can check it and readers can judge it:

- **Distracted questions** (``distract``): a world problem with one extra sentence before its
  question, either an *opinion* that suggests a wrong answer ("I think the answer is 41, but
  I would like it checked.") or an *irrelevant quantity* about someone else ("Omar has 12
  apples.", as in GSM-IC). The problem can no longer be read as a world task, so the plain
  actor behaviour does not see it; this module's naive solver does.
- **Naive reading** (``actor.solve_distracted``): the actor solves the real problem with its
  usual skill, but with probability ``1 - accuracy`` it is swayed by a distractor: it copies
  the suggested answer, or adds the irrelevant quantity as one more step. (A weaker actor is
  more easily swayed; a dedicated ``distractibility`` knob would be cleaner.) With the default
  accuracy 0.6 that leaves about 0.6 * 0.6 = 0.36 right.
- **Rewrite** (``actor.s2a_rewrite``): asked to keep only the unbiased, relevant context, the
  actor drops each distractor sentence unless it slips, which happens with its focused
  per-step error (``_reasoning.focused_error``, about 13%). Answering the rewrite then
  recovers most of the plain accuracy (about 0.87 * 0.6 + 0.13 * 0.36 = 0.57).

Texts that are not world problems are rewritten by dropping sentences that voice an opinion
or suggest an answer, keeping the last question.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Literal

from sparring.sim._arith import NAMES, ArithmeticTask, fmt_num, parse_problem
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim.behaviours._actor import per_step_error
from sparring.sim.behaviours._reasoning import focused_error
from sparring.sim.behaviours._solutions import answer_line, describe, write_steps

__all__ = [
    "Distracted",
    "Distractor",
    "DistractorKind",
    "distract",
    "find_distracted",
    "rewrite_context",
    "solve_distracted",
]

DistractorKind = Literal["opinion", "irrelevant"]
_SPAN_RE = re.compile(
    r"[A-Z][a-z]+ has \d+ [a-z]+\..*?How many [a-z]+ does [A-Z][a-z]+ have now\?", re.DOTALL
)
_SPLIT_RE = re.compile(r"(?<=[.?])\s+")
_OPINION_RE = re.compile(
    r"\b(?:I think|I believe|I am fairly sure|my (?:friend|teacher) (?:says|thinks)|"
    r"in my opinion)\b[^.?!]*?\banswer is (\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_OTHER_RE = re.compile(r"^([A-Z][a-z]+) has (\d+) ([a-z]+)\.$")
_SWAYED_RE = re.compile(r"\b(I think|I believe|in my opinion|my (?:friend|teacher))\b", re.I)


@dataclass(frozen=True, slots=True)
class Distractor:
    """One distracting sentence: its kind, the number it pushes, and its text."""

    kind: DistractorKind
    value: float
    sentence: str


@dataclass(frozen=True, slots=True)
class Distracted:
    """A distracted world problem: the clean task, its distractors, and its sentences."""

    task: ArithmeticTask
    distractors: tuple[Distractor, ...]
    sentences: tuple[str, ...]


def distract(task: ArithmeticTask, rng: random.Random, kind: DistractorKind) -> str:
    """The task's question with one distracting sentence inserted before the question.

    Args:
        task: A world problem.
        rng: Randomness for the distractor's numbers and names.
        kind: ``opinion`` (a suggested wrong answer) or ``irrelevant`` (someone else's count).
    """
    parts = _SPLIT_RE.split(task.question)
    if kind == "opinion":
        wrong = task.answer + rng.choice((-7, -4, -3, -2, 2, 3, 5, 9))
        extra = f"I think the answer is {fmt_num(max(wrong, 1.0))}, but I would like it checked."
    else:
        other = rng.choice([n for n in NAMES if n != task.name])
        extra = f"{other} has {rng.randint(3, 40)} {task.items}."
    return " ".join([*parts[:-1], extra, parts[-1]])


def _distractor(sentence: str, name: str) -> Distractor | None:
    opinion = _OPINION_RE.search(sentence)
    if opinion:
        return Distractor("opinion", float(opinion.group(1)), sentence)
    other = _OTHER_RE.match(sentence)
    if other and other.group(1) != name:
        return Distractor("irrelevant", float(other.group(2)), sentence)
    return None


def find_distracted(text: str) -> Distracted | None:
    """A world problem with distracting sentences in ``text``; None if there is none."""
    span = _SPAN_RE.search(text)
    if span is None:
        return None
    sentences = [p.strip() for p in _SPLIT_RE.split(span.group(0)) if p.strip()]
    name = sentences[0].split(" ", 1)[0]
    found = [(s, _distractor(s, name)) for s in sentences[1:-1]]
    distractors = tuple(d for _, d in found if d is not None)
    if not distractors:
        return None
    clean = [sentences[0], *(s for s, d in found if d is None), sentences[-1]]
    task = parse_problem(" ".join(clean))
    if task is None:
        return None
    return Distracted(task, distractors, tuple(sentences))


def _swayed_line(task: ArithmeticTask, d: Distractor, value: float, number: int) -> str:
    if d.kind == "opinion":
        return f"Step {number}: The suggested answer of {fmt_num(d.value)} looks right to me."
    total = value + d.value
    return (
        f"Step {number}: The other {fmt_num(d.value)} {task.items} count as well, so "
        f"{fmt_num(value)} + {fmt_num(d.value)} = {fmt_num(total)}."
    )


def solve_distracted(ctx: SimContext, rng: random.Random) -> str:
    """Solve a distracted problem; swayed by a distractor with probability 1 - accuracy."""
    found = find_distracted(ctx.instructions)
    if found is None:  # pragma: no cover - the detector found one
        return "I could not make sense of the question."
    task, skill = found.task, ctx.profile.actor
    steps = write_steps(task, rng, per_step_error(skill.accuracy, len(task.steps), ctx.temperature))
    lines = ["Let's work through it step by step."]
    lines += [describe(task, s, i + 1) for i, s in enumerate(steps)]
    final = steps[-1].c
    if rng.random() < 1.0 - skill.accuracy:
        swayed = rng.choice(found.distractors)
        lines.append(_swayed_line(task, swayed, final, len(steps) + 1))
        final = swayed.value if swayed.kind == "opinion" else final + swayed.value
    if rng.random() >= skill.malformed_rate:
        lines.append(answer_line(fmt_num(final), ctx.instructions))
    return "\n".join(lines)


def _rewrite_world(found: Distracted, ctx: SimContext, rng: random.Random) -> tuple[str, str]:
    slip = focused_error(ctx)
    flagged = {d.sentence for d in found.distractors}
    kept = [s for s in found.sentences[:-1] if s not in flagged or rng.random() < slip]
    return " ".join(kept), found.sentences[-1]


def _rewrite_text(text: str) -> tuple[str, str]:
    sentences = [s.strip() for s in _SPLIT_RE.split(text.strip()) if s.strip()]
    neutral = [s for s in sentences if not _SWAYED_RE.search(s)]
    questions = [s for s in neutral if s.endswith("?")]
    question = questions[-1] if questions else (neutral[-1] if neutral else text.strip())
    return " ".join(s for s in neutral if s != question), question


def rewrite_context(ctx: SimContext, rng: random.Random) -> str:
    """``Context:`` and ``Question:`` sections without the distracting sentences."""
    text = ctx.blocks.get("TEXT", "")
    found = find_distracted(text)
    if found is not None:
        context, question = _rewrite_world(found, ctx, rng)
    else:
        context, question = _rewrite_text(text)
    if rng.random() < ctx.profile.actor.malformed_rate:
        return f"Here is the relevant part: {context} {question}"
    return f"Context: {context}\nQuestion: {question}"


register_behaviour(
    "actor.s2a_rewrite",
    rewrite_context,
    detect=lambda c: "TEXT" in c.blocks and c.asks("without being swayed"),
    priority=27,
)
register_behaviour(
    "actor.solve_distracted",
    solve_distracted,
    detect=lambda c: c.task is None and find_distracted(c.instructions) is not None,
    priority=90,
)
