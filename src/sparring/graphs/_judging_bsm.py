"""Branch-Solve-Merge parsing: the branch's criteria list and the solve step's score line.

The solve step ends with one line ``Scores: A=<1-10>, B=<1-10>``. Only the judge's own last
non-empty line is read (a candidate's text inside the prompt never is), and it must match
the whole grammar; anything else is an unscored ``parse_failure`` with a detail the judge is
sent back once. A scored result is a pairwise ``Verdict`` (choice from the two scores) whose
``raw`` keeps the line, so ``criterion_scores`` can read the numbers again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from typing_extensions import TypedDict

from sparring.agents import Choice, Verdict

__all__ = [
    "FALLBACK_CRITERIA",
    "SCORE_RANGE",
    "Criterion",
    "EvaluationText",
    "criterion_scores",
    "format_evaluations",
    "parse_criteria",
    "parse_criterion_verdict",
]

SCORE_RANGE = (1.0, 10.0)
_EXPECTED = "expected a final line 'Scores: A=<whole number 1-10>, B=<whole number 1-10>'"
_NUM = r"(\d+(?:\.\d+)?)"
_SCORES_RE = re.compile(
    rf"Scores?\s*:\s*A\s*=\s*{_NUM}(?:\s*/\s*10)?\s*[,;]\s*B\s*=\s*{_NUM}(?:\s*/\s*10)?\s*\.?",
    re.IGNORECASE,
)
_ITEM_RE = re.compile(r"^\s*(?:\d+[.)]|[-*])\s+(.+?)\s*$")


class Criterion(TypedDict):
    """One evaluation criterion: a short name and what to check."""

    name: str
    check: str


class EvaluationText(TypedDict):
    """A scored evaluation as the merge step is shown it."""

    criterion: Criterion
    reasoning: str
    scores: tuple[float, float]


FALLBACK_CRITERIA: tuple[Criterion, ...] = (
    {"name": "Overall quality", "check": "how well the response answers the question"},
)
"""Used when the branch step gives no readable list (or its call fails)."""


def parse_criteria(text: str, limit: int) -> list[Criterion]:
    """The numbered (or bulleted) criteria in ``text``, at most ``limit``, without repeats."""
    out: list[Criterion] = []
    seen: set[str] = set()
    for line in text.splitlines():
        found = _ITEM_RE.match(line)
        if found is None:
            continue
        name, _, check = found.group(1).partition(":")
        name = name.strip(" *_")
        key = name.lower()
        if name and key not in seen:
            seen.add(key)
            out.append({"name": name, "check": check.strip()})
        if len(out) == limit:
            break
    return out


def _last_line(text: str) -> tuple[str, str]:
    lines = text.strip().splitlines()
    return (lines[-1].strip().strip("*_` ") if lines else ""), "\n".join(lines[:-1]).strip()


def _read(line: str) -> tuple[float, float] | None:
    found = _SCORES_RE.fullmatch(line)
    if found is None:
        return None
    return float(found.group(1)), float(found.group(2))


def parse_criterion_verdict(text: str) -> Verdict:
    """Read the solve step's final ``Scores: A=<n>, B=<n>`` line into a pairwise verdict."""
    line, reasoning = _last_line(text)
    scores = _read(line)
    if scores is None:
        return Verdict.unscored(
            "pairwise", "parse_failure", text, detail=f"no score line; {_EXPECTED}"
        )
    lo, hi = SCORE_RANGE
    if not all(lo <= s <= hi for s in scores):
        return Verdict.unscored(
            "pairwise", "parse_failure", text, detail=f"score out of range; {_EXPECTED}"
        )
    a, b = scores
    choice: Choice = "A" if a > b else "B" if b > a else "tie"
    return Verdict.from_choice("pairwise", choice, reasoning=reasoning, raw=text)


def criterion_scores(verdict: Verdict) -> tuple[float, float] | None:
    """``(score of A, score of B)`` of a scored solve verdict; None when unscored."""
    if not verdict.is_scored:
        return None
    return _read(_last_line(verdict.raw)[0])


def format_evaluations(evaluations: Sequence[EvaluationText]) -> str:
    """The scored evaluations of one order, one ``Criterion k:`` section each."""
    sections = []
    for k, item in enumerate(evaluations, 1):
        c = item["criterion"]
        head = f"Criterion {k}: {c['name']}" + (f" ({c['check']})" if c["check"] else "")
        a, b = item["scores"]
        sections.append(f"{head}\n{item['reasoning']}\nScores: A={a:g}, B={b:g}")
    return "\n\n".join(sections)
