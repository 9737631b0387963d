"""Splitting a solution into steps, and the seeded choices of the SPC game."""

from __future__ import annotations

import hashlib
import random
import re

__all__ = ["game_rng", "split_solution_steps"]

_MARKED_RE = re.compile(r"^\s*(?:\**\s*Step\s+\d+\s*\**\s*[:.)]|\d+[.)]\s)", re.IGNORECASE)
_ANSWER_RE = re.compile(
    r"^\s*(?:####|the (?:final )?answer is\b|final answer\s*:|answer\s*:)|\\boxed\{", re.IGNORECASE
)


def _is_answer_line(line: str) -> bool:
    return bool(_ANSWER_RE.search(line))


def split_solution_steps(text: str) -> list[str]:
    r"""The steps of a solution, one string per step, without the final-answer line.

    Lines opening with ``Step k:`` (or ``k.``) start a step and the lines after them, up to the
    next such line, belong to it (joined with spaces). A solution with no marked line counts
    every non-empty line as a step. Final-answer lines (``#### n``, "The answer is ...",
    ``\boxed{}``) are never steps.

    Example:
        >>> split_solution_steps("Intro.\nStep 1: 2 + 2 = 4.\nStep 2: 4 * 3 = 12.\n#### 12")
        ['Step 1: 2 + 2 = 4.', 'Step 2: 4 * 3 = 12.']
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not any(_MARKED_RE.match(ln) for ln in lines):
        return [ln for ln in lines if not _is_answer_line(ln)]
    steps: list[str] = []
    for line in lines:
        if _MARKED_RE.match(line):
            steps.append(line)
        elif steps and not _is_answer_line(line):
            steps[-1] = f"{steps[-1]} {line}"
    return steps


def game_rng(seed: int, key: str, purpose: str) -> random.Random:
    """A ``random.Random`` fixed by the game's seed, the item and what it is drawn for."""
    digest = hashlib.blake2b(f"{seed}\x1f{key}\x1f{purpose}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))
