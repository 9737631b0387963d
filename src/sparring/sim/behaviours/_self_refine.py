"""Self-Refine on open-ended tasks: criterion feedback with scores, and refinement from it.

Both read the same ground truth: the hidden points of the task (an open instruction's key
points, or the aspects of a data item without a gold answer). The critic notices a missing
or wrong point with its ``recall``, calls a right one wrong with its ``false_positive_rate``
and notices each filler sentence with its ``recall``; its scores follow from what it
noticed and its feedback names every point it noticed (never the hidden value). The actor
rewrites only what the feedback names: a named point is restated right with its coverage
raised by ``refine_gain`` (else wrong at its ``wrong_fact_rate``, else left out), and filler
is cut when the feedback asks. So refinement raises true quality exactly as far as the
feedback is good: with a critic that notices nothing, nothing changes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._external import aspect_sentence
from sparring.sim._open import FILLER, KeyPoint, OpenTask, point_label, split_sentences

__all__ = ["criteria_feedback", "refine_open"]

_SHAPES = 4  # wordings per aspect sentence (``aspect_sentence`` cycles through them)


@dataclass(frozen=True, slots=True)
class _Point:
    """One hidden point: how feedback names it, how a text stands on it, how to write it."""

    label: str
    status: Callable[[str], str]
    states: Callable[[str], bool]
    write: Callable[[bool, random.Random], str]


def _key_point(task: OpenTask, point: KeyPoint) -> _Point:
    pattern = re.compile(re.escape(point.prefix) + r"\d+" + re.escape(point.suffix))

    def write(sound: bool, rng: random.Random) -> str:
        value = point.value if sound else max(0, point.value + rng.choice((-3, -2, -1, 1, 2, 5)))
        return f"The {task.topic} {point.prefix}{value}{point.suffix}."

    return _Point(point_label(point), point.status, lambda s: bool(pattern.search(s)), write)


def _aspect(aspect: str) -> _Point:
    sound = {aspect_sentence(aspect, True, k) for k in range(_SHAPES)}
    unsound = {aspect_sentence(aspect, False, k) for k in range(_SHAPES)}

    def status(text: str) -> str:
        if any(s in text for s in sound):
            return "hit"
        return "wrong" if any(s in text for s in unsound) else "miss"

    def write(ok: bool, rng: random.Random) -> str:
        return aspect_sentence(aspect, ok, rng.randrange(8))

    return _Point(aspect, status, lambda s: s in sound or s in unsound, write)


def _points(ctx: SimContext) -> list[_Point]:
    task = ctx.task
    if isinstance(task, OpenTask):
        return [_key_point(task, p) for p in task.key_points]
    if task is None and ctx.gold is None:
        return [_aspect(a) for a in ctx.aspects]
    return []  # a task with a checkable answer: the open-ended critic sees nothing to name


def _noticed(
    ctx: SimContext, rng: random.Random, points: list[_Point], text: str
) -> tuple[list[str], list[str]]:
    """The points the critic calls missing and the ones it calls wrong."""
    skill = ctx.profile.critic
    missing: list[str] = []
    doubtful: list[str] = []
    for point in points:
        status = point.status(text)
        # a missing or wrong point is noticed with recall; a right one is doubted by mistake
        chance = skill.false_positive_rate if status == "hit" else skill.recall
        if rng.random() < chance:
            (missing if status == "miss" else doubtful).append(point.label)
    return missing, doubtful


def criteria_feedback(ctx: SimContext, rng: random.Random) -> str:
    """Five criterion lines (``Name: k/5 - ...``) and ``Total score: X/25``."""
    text = ctx.blocks.get("RESPONSE") or ctx.blocks.get("SOLUTION") or ""
    points = _points(ctx)
    missing, doubtful = _noticed(ctx, rng, points, text)
    filler = [s for s in split_sentences(text) if s in FILLER]
    padding = [s for s in filler if rng.random() < ctx.profile.critic.recall]
    share = len(missing) / max(len(points), 1)
    scores = {
        "Relevance": 5 if text.strip() else 1,
        "Completeness": 1 + round(4 * (1.0 - share)),
        "Accuracy": max(1, 5 - 2 * len(doubtful)),
        "Clarity": 4 if len(padding) >= 2 else 5,
        "Concision": max(1, 5 - len(padding)),
    }
    notes = {
        "Relevance": "it addresses the request" if text.strip() else "there is no answer",
        "Completeness": f"missing: {'; '.join(missing)}" if missing else "nothing is missing",
        "Accuracy": f"doubtful: {'; '.join(doubtful)}" if doubtful else "the details hold up",
        "Clarity": "the padding hides the content" if len(padding) >= 2 else "easy to follow",
        "Concision": f"cut the filler, e.g. '{padding[0]}'" if padding else "no padding",
    }
    lines = [f"{name}: {score}/5 - {notes[name]}." for name, score in scores.items()]
    if not ctx.malformed(ctx.profile.critic.malformed_rate, rng):
        lines.append(f"Total score: {sum(scores.values())}/25")
    return "\n".join(lines)


def _named(feedback: str, criterion: str, tag: str) -> set[str]:
    """The points a criterion's line names after ``tag`` (``missing:``, ``doubtful:``)."""
    m = re.search(rf"(?im)^{criterion}\s*:[^\n]*?{tag}\s*(.+?)\.?\s*$", feedback)
    return {part.strip() for part in m.group(1).split(";")} if m else set()


def refine_open(ctx: SimContext, rng: random.Random) -> str:
    """Rewrite the best draft where its feedback points: named points, and filler if asked."""
    previous = ctx.blocks.get("RESPONSE", "")
    feedback = ctx.blocks.get("FEEDBACK", "")
    skill = ctx.profile.actor
    fix = skill.coverage + (1.0 - skill.coverage) * skill.refine_gain
    named = _named(feedback, "Completeness", "missing:") | _named(feedback, "Accuracy", "doubtful:")
    sentences = split_sentences(previous)
    for point in _points(ctx):
        if point.label not in named:
            continue
        sentences = [s for s in sentences if not point.states(s)]
        if rng.random() < fix:
            sentences.append(point.write(True, rng))
        elif rng.random() < skill.wrong_fact_rate:
            sentences.append(point.write(False, rng))
    if re.search(r"(?im)^Concision\s*:.*cut the filler", feedback):
        sentences = [s for s in sentences if s not in FILLER or rng.random() >= skill.refine_gain]
    return " ".join(sentences)


register_behaviour(
    "critic.criteria",
    criteria_feedback,
    detect=lambda c: c.asks("Total score:") and c.asks("Completeness:"),
    priority=11,
)
register_behaviour(
    "actor.refine_open",
    refine_open,
    detect=lambda c: "FEEDBACK" in c.blocks and "RESPONSE" in c.blocks,
    priority=10,
)
