"""Recover the final answer from a solution text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

from sparring.verify._latex import iter_boxed
from sparring.verify._normalize import clean_answer
from sparring.verify._numbers import parse_number

__all__ = [
    "AnswerExtraction",
    "answer_extraction",
    "answer_extraction_config",
    "extract_answer",
    "use_answer_extraction",
]

AnswerExtraction = Literal["strict", "last_number_fallback"]
"""The rule for a text that states no answer: none (``strict``) or its last number."""
EXTRACTION_RULES: tuple[AnswerExtraction, ...] = ("strict", "last_number_fallback")
# The rule in force where a caller does not choose one: a run sets it for its items (it is
# recorded in the run's config), so every graph, verifier and summary in the run reads the same.
_RULE: ContextVar[AnswerExtraction] = ContextVar("answer_extraction", default="strict")

# GSM8K calculator annotations, as in "48/2 = <<48/2=24>>24".
_CALCULATOR_RE = re.compile(r"<<[^<>\n]*>>")
# A one-letter token such as the x in "5x + 1": the text is an equation, not a calculation.
_VARIABLE_RE = re.compile(r"(?<![A-Za-z\\])[A-Za-z](?![A-Za-z])")
_HASHES_RE = re.compile(r"####")
# Text after "####" that reads as a heading: a word of two or more letters, then more words.
# A line without digits that more text follows is taken as a heading too.
_HEADING_RE = re.compile(r"[A-Za-z]{2,}\b\W*\s+\S|(?:final\s+)?answer\s*:?\s*$", re.IGNORECASE)
_ANSWER_SECTION_RE = re.compile(r"(?im)^[ \t]*#{1,6}[ \t]*(?:final[ \t]+)?answer[ \t]*:?[ \t]*$")
_ANSWER_IS_RE = re.compile(
    r"(?i)\b(?:final\s+)?answer\s+is\b\s*:?"
    r"(?:\s*(?:therefore|thus|hence|then|so|simply|just|clearly|indeed)\b,?)?"
)
_ANSWER_LINE_RE = re.compile(
    r"(?im)^[ \t>*_#-]*(?:\*\*)?(?:final[ \t]+)?answer(?:\*\*)?[ \t]*[:：](?:\*\*)?[ \t]*(.*)$"
)
# "Our answer is correct" comments on an answer instead of giving one.
_VERDICT_RE = re.compile(r"(?i)(?:not\s+|in)?(?:correct|right|wrong|valid|invalid|true|false)\b")
# The end of a sentence: a period, "!" or "?" followed by a space or the end, or a new line.
_SENTENCE_END_RE = re.compile(r"(?<!\\)[.!?](?=\s|$)|\n")
_NUMBER_RE = re.compile(
    r"(?<![\w.])(?P<sign>-)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:/\d+)?|\.\d+)"
    r"(?![\d])"
)

Candidate = tuple[int, str]


def _first_line(text: str) -> str:
    """Return the first non-blank line of ``text``.

    Args:
        text: Any text.

    Returns:
        The line, stripped, or ``""``.
    """
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _from_hashes(text: str) -> Candidate | None:
    """Find the GSM8K ``#### N`` marker (the last one), unless it is a markdown heading.

    Args:
        text: The solution.

    Returns:
        ``(position, raw answer)`` or None.
    """
    matches = list(_HASHES_RE.finditer(text))
    if not matches:
        return None
    last = matches[-1]
    rest = text[last.end() :].lstrip("#")
    line = _first_line(rest)
    more_follows = bool(rest.strip()[len(line) :].strip())
    if _HEADING_RE.match(line) or (more_follows and not re.search(r"\d", line)):
        return None  # a markdown heading such as "#### Step 2: check", not an answer
    return last.start(), line


def _from_answer_section(text: str) -> Candidate | None:
    """Find a trailing ``# Answer`` section (PRM800K style), the last one.

    Args:
        text: The solution.

    Returns:
        ``(position, raw answer)`` or None.
    """
    matches = list(_ANSWER_SECTION_RE.finditer(text))
    if not matches:
        return None
    last = matches[-1]
    return last.start(), _first_line(text[last.end() :])


def _from_boxed(text: str) -> Candidate | None:
    r"""Find the last complete, non-empty ``\boxed{}`` or ``\fbox{}``.

    Args:
        text: The solution.

    Returns:
        ``(position, content)`` or None.
    """
    for position, content in reversed(iter_boxed(text)):
        if content.strip():
            return position, content
    return None


def _sentence_after(text: str, start: int) -> str:
    """Return the text from ``start`` to the end of its sentence.

    A period ends the sentence only when a space or the end follows it, so decimals survive;
    math in ``$...$`` is kept whole.

    Args:
        text: The solution.
        start: Where the answer starts.

    Returns:
        The span, stripped.
    """
    rest = text[start:].lstrip()
    i = 0
    in_math = False
    while i < len(rest):
        char = rest[i]
        if char == "\\":
            i += 2
            continue
        if char == "$":
            in_math = not in_math
        elif not in_math and _SENTENCE_END_RE.match(rest, i):
            break
        i += 1
    return rest[:i].strip()


def _from_answer_is(text: str) -> Candidate | None:
    """Find the last "the answer is ..." or "the final answer is ..." phrase.

    Args:
        text: The solution.

    Returns:
        ``(position, raw answer)`` or None.
    """
    for match in reversed(list(_ANSWER_IS_RE.finditer(text))):
        span = _sentence_after(text, match.end())
        if not _VERDICT_RE.match(span):
            return match.start(), span
    return None


def _from_answer_line(text: str) -> Candidate | None:
    """Find the last ``Answer: ...`` line (also ``**Final Answer:** ...``).

    Args:
        text: The solution.

    Returns:
        ``(position, raw answer)`` or None.
    """
    matches = [m for m in _ANSWER_LINE_RE.finditer(text) if m.group(1).strip()]
    if not matches:
        return None
    return matches[-1].start(), matches[-1].group(1)


Finder = Callable[[str], Candidate | None]
# Markup that states an answer outright, then prose that introduces one; the first group wins.
_FINDER_GROUPS: tuple[tuple[Finder, ...], ...] = (
    (_from_hashes, _from_answer_section, _from_boxed),
    (_from_answer_is, _from_answer_line),
)


def _chain_result(answer: str) -> str:
    """Keep only the result of a worked calculation such as ``15 * 8 = 120 pints``.

    Args:
        answer: A cleaned answer.

    Returns:
        The part after the last ``=`` when it is a plain number and the part before it is
        arithmetic (digits, no one-letter variable), so that ``x = 5`` and
        ``5x - 7y + 4 = 0`` are kept whole; else ``answer``.
    """
    left, equals, right = answer.rpartition("=")
    if (
        equals
        and re.search(r"\d", left)
        and not _VARIABLE_RE.search(left)
        and parse_number(right) is not None
    ):
        return right.strip()
    return answer


def _last_number(text: str) -> str | None:
    """Return the last number in ``text`` (integers, decimals, ``1,000``, ``3/4``).

    Args:
        text: The solution.

    Returns:
        The number as written, with its minus sign when it is not a subtraction, or None.
    """
    matches = list(_NUMBER_RE.finditer(text))
    if not matches:
        return None
    last = matches[-1]
    if last.group("sign") and last.start() > 0 and re.match(r"[\w)\]}]", text[last.start() - 1]):
        return last.group("num")
    return last.group(0)


def answer_extraction() -> AnswerExtraction:
    """The answer-extraction rule in force here (``strict`` unless a run or caller set one)."""
    return _RULE.get()


@contextmanager
def use_answer_extraction(rule: str) -> Iterator[None]:
    """Make ``rule`` the answer-extraction rule inside the ``with`` block (and its tasks).

    Asyncio tasks created inside the block inherit the rule, so a run sets it once for all
    its items.

    Args:
        rule: ``strict`` or ``last_number_fallback``.

    Raises:
        ValueError: ``rule`` is neither.
    """
    if rule not in EXTRACTION_RULES:
        raise ValueError(
            f"answer extraction must be one of {', '.join(EXTRACTION_RULES)}, got {rule!r}"
        )
    token = _RULE.set(rule)  # narrowed to a known rule by the check above
    try:
        yield
    finally:
        _RULE.reset(token)


def extract_answer(text: str, *, last_number_fallback: bool | None = None) -> str | None:
    r"""Recover the final answer from a solution text.

    Recognised forms: GSM8K ``#### N``, a ``# Answer`` section (PRM800K), ``\boxed{...}`` and
    ``\fbox{...}`` (nested braces, the last complete one), "The answer is ..." / "the final
    answer is ...", and ``Answer: ...`` lines. Markup (``####``, ``# Answer``, boxed) wins
    over prose (so "... \boxed{44}. Our answer is correct." gives ``44``); within each kind
    the form that starts last in the text wins. Without any of these there is no answer
    (None): extraction is strict by default, because a solution that states no answer must
    not be graded by whatever number it mentions last ("I cannot tell. Step 2 is unclear."
    is not the answer 2). With ``last_number_fallback=True`` the last number in the text is
    used instead (for reference solutions, or a run that asks for it and records so with
    :func:`answer_extraction_config`). GSM8K calculator annotations
    (``<<48/2=24>>``) are ignored. The answer is cleaned: surrounding
    ``$`` and ``**``, trailing periods and a ``\text{...}`` wrapping the whole answer are
    removed.

    Args:
        text: The solution, e.g. a model completion or a dataset reference solution.
        last_number_fallback: Fall back to the last number in the text. None (the default)
            follows the rule in force (:func:`use_answer_extraction`; ``strict`` unless a run
            asked for ``last_number_fallback``).

    Returns:
        The answer string, or None when nothing is found.
    """
    text = _CALCULATOR_RE.sub("", text)
    for finders in _FINDER_GROUPS:
        candidates = [found for finder in finders if (found := finder(text)) is not None]
        for _, raw in sorted(candidates, key=lambda candidate: candidate[0], reverse=True):
            answer = clean_answer(raw)
            if answer is not None:
                return _chain_result(answer)
    if last_number_fallback is None:
        last_number_fallback = _RULE.get() == "last_number_fallback"
    if last_number_fallback:
        return _last_number(text)
    return None


def answer_extraction_config(last_number_fallback: bool) -> dict[str, str]:
    """How answers are extracted, as an entry for a run's recorded configuration.

    Args:
        last_number_fallback: Whether the last-number fallback was asked for.

    Returns:
        ``{"answer_extraction": "strict"}`` or ``{"answer_extraction": "last_number_fallback"}``.
    """
    return {"answer_extraction": "last_number_fallback" if last_number_fallback else "strict"}
