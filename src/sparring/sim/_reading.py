"""How the simulator reads text it is shown: steps, equations and final answers."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Equation", "final_answer", "parse_number", "read_steps", "split_steps"]

_NUM = r"-?\d+(?:,\d{3})*(?:\.\d+)?"
_EQ_RE = re.compile(rf"({_NUM})\s*([+\-*/×÷])\s*({_NUM})\s*=\s*({_NUM})")
_STEP_RE = re.compile(r"^\s*(?:Step\s+\d+\s*[:.)]|\d+[.)])\s*", re.IGNORECASE)
_HASH_RE = re.compile(rf"####\s*\$?({_NUM})")
_BOXED_RE = re.compile(rf"\\boxed\{{\s*({_NUM})\s*\}}")
_ANSWER_RE = re.compile(rf"answer is[:\s]*\$?\\?(?:boxed\{{)?\s*({_NUM})", re.IGNORECASE)
_LAST_NUM_RE = re.compile(_NUM)


@dataclass(frozen=True, slots=True)
class Equation:
    """``a op b = c`` as written in one step (``c`` may be wrong)."""

    a: float
    op: str
    b: float
    c: float
    text: str


def parse_number(text: str) -> float | None:
    """A number written with optional thousands separators; None if it is not one."""
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def split_steps(text: str) -> list[str]:
    """The lines of a solution that are steps (``Step k:`` or ``k.`` lines, else equation lines)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    marked = [ln for ln in lines if _STEP_RE.match(ln)]
    return marked or [ln for ln in lines if _EQ_RE.search(ln)]


def _equation(line: str) -> Equation | None:
    m = _EQ_RE.search(line)
    if m is None:
        return None
    a, b, c = (parse_number(m.group(i)) for i in (1, 3, 4))
    if a is None or b is None or c is None:
        return None
    op = {"×": "*", "÷": "/"}.get(m.group(2), m.group(2))
    return Equation(a, op, b, c, line)


def read_steps(text: str) -> list[Equation | None]:
    """One equation per step line (None for a step with no readable equation)."""
    return [_equation(line) for line in split_steps(text)]


def final_answer(text: str) -> float | None:
    r"""The final answer: ``#### n``, ``\\boxed{n}``, "the answer is n", else None."""
    for pattern in (_HASH_RE, _BOXED_RE, _ANSWER_RE):
        found = pattern.findall(text)
        if found:
            return parse_number(found[-1])
    return None
