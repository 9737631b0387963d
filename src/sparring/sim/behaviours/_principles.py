"""Principle-driven critique: the actor checks its response against principles, then revises.

Grounded in the open-ended world's hidden rubric (``sim/_open``). Each principle is mapped to
the aspects of a response it is about, by what its text says:

- **accuracy** (correct, factual, wrong...): key points stated with a wrong number;
- **completeness** (complete, cover, missing...): key points left out;
- **concision** (concise, filler, padding...): filler sentences.

A principle about none of these (e.g. harmlessness) is about nothing the simulator's world can
check. ``actor.principle_critique`` marks a principle violated when its aspect has a fault,
with the profile's critic ``recall`` (a model's critiquing skill, whichever role asks), and
marks it falsely with the critic ``false_positive_rate``. ``actor.principle_revise`` fixes only
the aspects of the principles the critique marks violated, each fault with the actor's
``refine_gain``: a wrong fact is corrected (else dropped half the time), a missed key point is
added, a filler sentence is dropped (with ``(1 + refine_gain) / 2``). Tasks outside the open
world (arithmetic, data items) have nothing it can ground a fix in: the critique only gives
false alarms and the revision keeps the response.
"""

from __future__ import annotations

import random
import re

from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._open import FILLER, OpenTask

__all__ = ["ASPECT_CUES", "aspects_of", "critique", "faults", "revise"]

ASPECT_CUES = {
    "accuracy": re.compile(r"\b(accura\w*|correct\w*|factual\w*|wrong\w*)", re.IGNORECASE),
    "completeness": re.compile(r"\b(complete\w*|cover\w*|missing)", re.IGNORECASE),
    "concision": re.compile(r"\b(concis\w*|filler|padding|repetition)", re.IGNORECASE),
}
"""What in a principle's text says which aspect it is about."""

_PRINCIPLE_RE = re.compile(r"^Principle:\s*(.+?)\s*$", re.MULTILINE)
_VIOLATED_RE = re.compile(r"^Violated:\s*(yes|no)\b", re.IGNORECASE | re.MULTILINE)
_SENTENCE_RE = re.compile(r"(?<=\.)\s+")
_NOTES = {
    "accuracy": "some figures are stated wrongly",
    "completeness": "it leaves out points the request needs",
    "concision": "it pads the answer with sentences that say nothing",
}


def _entries(block: str) -> list[tuple[str, str]]:
    """``(name, body)`` of each ``Principle: name`` entry in a block."""
    heads = list(_PRINCIPLE_RE.finditer(block))
    return [
        (h[1], block[h.end() : n.start() if n else len(block)])
        for h, n in zip(heads, [*heads[1:], None], strict=True)
    ]


def aspects_of(text: str) -> set[str]:
    """The aspects a principle's text is about."""
    return {aspect for aspect, cue in ASPECT_CUES.items() if cue.search(text)}


def faults(task: OpenTask, response: str) -> dict[str, int]:
    """Faults of ``response`` per aspect: wrong facts, missed key points, filler sentences."""
    status = [p.status(response) for p in task.key_points]
    sentences = _SENTENCE_RE.split(response.strip())
    return {
        "accuracy": status.count("wrong"),
        "completeness": status.count("miss"),
        "concision": sum(s.strip() in FILLER for s in sentences),
    }


def critique(ctx: SimContext, rng: random.Random) -> str:
    """One entry per principle: violated when its aspect has a fault, found by critic skill."""
    skill = ctx.profile.critic
    task = ctx.task
    found = faults(task, ctx.blocks.get("RESPONSE", "")) if isinstance(task, OpenTask) else {}
    lines = []
    for name, text in _entries(ctx.blocks.get("PRINCIPLES", "")):
        broken = [a for a in sorted(aspects_of(text)) if found.get(a)]
        hit = rng.random() < (skill.recall if broken else skill.false_positive_rate)
        note = "; ".join(_NOTES[a] for a in broken) if broken else "it could be sharper"
        lines += [f"Principle: {name}", f"Critique: {note if hit else 'nothing'}"]
        if not ctx.malformed(skill.malformed_rate, rng):
            lines.append(f"Violated: {'yes' if hit else 'no'}")
    return "\n".join(lines)


def _violated(ctx: SimContext) -> set[str]:
    """The aspects of the principles the critique marks violated."""
    texts = {name.lower(): body for name, body in _entries(ctx.blocks.get("PRINCIPLES", ""))}
    out: set[str] = set()
    for name, body in _entries(ctx.blocks.get("CRITIQUE", "")):
        calls = _VIOLATED_RE.findall(body)
        if calls and calls[-1].lower() == "yes":
            out |= aspects_of(texts.get(name.lower(), ""))
    return out


def _fix(
    task: OpenTask, sentence: str, fix: set[str], gain: float, rng: random.Random
) -> str | None:
    """The sentence after revision (None: dropped)."""
    if "concision" in fix and sentence in FILLER and rng.random() < (1.0 + gain) / 2.0:
        return None
    wrong = next((p for p in task.key_points if p.status(sentence) == "wrong"), None)
    if "accuracy" in fix and wrong is not None:
        if rng.random() < gain:
            return f"The {task.topic} {wrong.phrase}."
        return None if rng.random() < 0.5 else sentence
    return sentence


def revise(ctx: SimContext, rng: random.Random) -> str:
    """The response with the faults of the violated principles' aspects fixed, by skill."""
    response = ctx.blocks.get("RESPONSE", "")
    task, fix = ctx.task, _violated(ctx)
    if not isinstance(task, OpenTask) or not fix:
        return response
    gain = ctx.profile.actor.refine_gain
    kept = [
        s
        for s in (_fix(task, x.strip(), fix, gain, rng) for x in _SENTENCE_RE.split(response))
        if s
    ]
    if "completeness" in fix:
        text = " ".join(kept)
        kept += [
            f"The {task.topic} {p.phrase}."
            for p in task.key_points
            if p.status(text) == "miss" and rng.random() < gain
        ]
    return " ".join(kept)


register_behaviour(
    "actor.principle_critique",
    critique,
    detect=lambda c: "PRINCIPLES" in c.blocks and "CRITIQUE" not in c.blocks,
    priority=4,
)
register_behaviour(
    "actor.principle_revise",
    revise,
    detect=lambda c: "PRINCIPLES" in c.blocks and "CRITIQUE" in c.blocks,
    priority=4,
)
