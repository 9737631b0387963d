"""Practice word problems with worked, annotated solutions: default data for iterated runs.

B-STaR's exploration monitor counts *distinct* right solutions per problem. The simulator's
world problems (``SimWorld``) have one wording per right solution, so two right samples of one
are always the same text and exploration cannot be seen on them. A solution written in the
GSM8K style, with calculator annotations (``3 * 4 = <<3*4=12>>12``), gives the simulator gold
steps whose wording varies between samples; these problems are written that way. Their text is
an ordinary three-step word problem, so a real model can be asked them too.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

__all__ = ["practice_problems", "write_practice"]

_NAMES = ("Ada", "Bilal", "Chen", "Dara", "Emeka", "Freya", "Gus", "Hiro", "Isla", "Joon")
_Problem = tuple[str, str]


def _line(a: int, op: str, b: int, c: int, unit: str) -> str:
    return f"{a} {op} {b} = <<{a}{op}{b}={c}>>{c} {unit}."


def _bakery(rng: random.Random) -> _Problem:
    a, b, c, d = rng.randint(3, 9), rng.randint(6, 12), rng.randint(2, 9), rng.randint(2, 5)
    p = a * b
    q, r = p - c, (p - c) * d
    question = (
        f"A bakery bakes {a} trays of {b} rolls. {c} of the rolls burn and are thrown away, "
        f"and the rest sell for ${d} each. How many dollars does the bakery take in?"
    )
    steps = (
        _line(a, "*", b, p, "rolls"),
        _line(p, "-", c, q, "rolls"),
        _line(q, "*", d, r, "dollars"),
    )
    return question, "\n".join(steps) + f"\n#### {r}"


def _savings(rng: random.Random) -> _Problem:
    name, a, b, d = rng.choice(_NAMES), rng.randint(4, 15), rng.randint(3, 8), rng.randint(2, 6)
    p = a * b
    r = p // d + rng.randint(1, 6)  # the share, so that the division comes out even
    c, q = r * d - p, r * d
    question = (
        f"{name} saves ${a} a week for {b} weeks and is then given ${c}. The money is shared "
        f"equally among {d} cousins. How many dollars does each cousin get?"
    )
    steps = (
        _line(a, "*", b, p, "dollars"),
        _line(p, "+", c, q, "dollars"),
        _line(q, "/", d, r, "dollars"),
    )
    return question, "\n".join(steps) + f"\n#### {r}"


def _orchard(rng: random.Random) -> _Problem:
    a, b, c, e = rng.randint(4, 12), rng.randint(5, 14), rng.randint(2, 15), rng.randint(3, 20)
    p = a * b
    q, r = p - c, p - c + e
    question = (
        f"An orchard has {a} rows of {b} trees. A storm knocks down {c} trees, and then "
        f"{e} young trees are planted. How many trees does the orchard have now?"
    )
    steps = (
        _line(a, "*", b, p, "trees"),
        _line(p, "-", c, q, "trees"),
        _line(q, "+", e, r, "trees"),
    )
    return question, "\n".join(steps) + f"\n#### {r}"


_SHAPES: tuple[Callable[[random.Random], _Problem], ...] = (_bakery, _savings, _orchard)


def practice_problems(count: int, seed: int = 0) -> list[dict[str, str]]:
    """``count`` distinct problems as ``{"prompt", "answer"}`` rows (the same for a seed)."""
    rng = random.Random(f"practice-{seed}")
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    while len(rows) < count:
        question, answer = _SHAPES[len(rows) % len(_SHAPES)](rng)
        if question not in seen:  # the simulator looks items up by their question text
            seen.add(question)
            rows.append({"prompt": question, "answer": answer})
    return rows


def write_practice(path: str | Path, count: int, seed: int = 0) -> Path:
    """Write ``practice_problems(count, seed)`` to ``path`` as JSON lines; returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r) + "\n" for r in practice_problems(count, seed)))
    return out
