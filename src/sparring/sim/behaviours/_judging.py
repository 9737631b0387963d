"""Shared pieces of the simulated judges: true quality, length, scales and verdict formats."""

from __future__ import annotations

import math
import re

from sparring.sim._arith import ArithmeticTask
from sparring.sim._context import SimContext
from sparring.sim._grade import word_count
from sparring.sim._open import OpenTask

__all__ = ["expected_words", "length_log_ratio", "pairwise_token", "scale_of", "true_quality"]

_SCALE_RE = re.compile(r"(?:out of|scale of 1 to|from 1 to|1\s*-\s*|1 to )\s*(10|5|7|100)\b")


def true_quality(ctx: SimContext, text: str) -> float:
    """The real quality of ``text`` for this request's task, in [0, 1]."""
    return ctx.quality(text)


def expected_words(ctx: SimContext) -> int:
    """A typical length for a good answer to this task."""
    task = ctx.task
    if isinstance(task, OpenTask):
        return task.expected_words
    if isinstance(task, ArithmeticTask):
        return 14 * len(task.steps) + 12
    return 80


def length_log_ratio(ctx: SimContext, text: str) -> float:
    """log2 of the length of ``text`` relative to a typical good answer."""
    return math.log2(max(word_count(text), 1) / expected_words(ctx))


def scale_of(ctx: SimContext) -> tuple[int, int]:
    """The score scale the prompt asks for (1-5 unless it says otherwise)."""
    m = _SCALE_RE.search(ctx.instructions)
    return (1, int(m.group(1))) if m else (1, 5)


def pairwise_token(ctx: SimContext, choice: str, strong: bool) -> str:
    """The verdict in the format the prompt asked for (``[[A]]`` unless it asks otherwise)."""
    if ctx.asks("[[A>>B]]", "[[A>B]]"):
        if choice == "tie":
            return "[[A=B]]"
        first, second = ("A", "B") if choice == "A" else ("B", "A")
        return f"[[{first}{'>>' if strong else '>'}{second}]]"
    if ctx.asks("Output (a)"):
        return {"A": "Output (a)", "B": "Output (b)"}.get(choice, "Output (a)") + " is better."
    return {"A": "[[A]]", "B": "[[B]]"}.get(choice, "[[C]]")
