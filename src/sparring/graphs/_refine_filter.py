"""The anti-shortcut filter of critique-in-the-loop refinement (MathCritique, Xi et al. 2024).

A refinement written after a critique may skip the work and just state an answer the critique
hinted at. MathCritique's filter rejects a refinement that holds fewer numbers than
``min(numbers in the gold solution, numbers in the original attempt) - slack`` (slack 2 in
their code). Without a gold solution only the original attempt sets the bar.
"""

from __future__ import annotations

import re

__all__ = ["count_numbers", "is_shortcut", "shortcut_bar"]

_NUMBER_RE = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?(?![\w])")


def count_numbers(text: str) -> int:
    r"""How many numbers ``text`` writes out (``1,200`` and ``3.5`` count once each).

    Example:
        >>> count_numbers("Step 1: 12 + 3 = 15.\n#### 15")
        5
    """
    return len(_NUMBER_RE.findall(text))


def shortcut_bar(original: str, reference: str | None = None, *, slack: int = 2) -> int:
    """The fewest numbers a refinement must hold not to count as a shortcut."""
    counts = [count_numbers(original)]
    if reference:
        counts.append(count_numbers(reference))
    return min(counts) - slack


def is_shortcut(
    refined: str, original: str, reference: str | None = None, *, slack: int = 2
) -> bool:
    """Whether ``refined`` shows too little work compared with the original (and gold) solution."""
    return count_numbers(refined) < shortcut_bar(original, reference, slack=slack)
