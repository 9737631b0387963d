"""Verdict tokens: the formats of common judge prompts, found inside one (masked) line.

Pointwise (case-insensitive labels; ``N`` is a decimal number, ``D`` an optional maximum):

* ``Score: N``, ``Rating: N``, ``Grade: N``, optionally prefixed by ``Final``/``Overall``/
  ``Total``, with ``:``, ``=`` or ``is``, markdown emphasis (``**Score:** 4``,
  ``Score: **4**``), double brackets (``Rating: [[8]]``), a maximum (``Score: 4/5``,
  ``Score: 4 out of 5``) and a short parenthesis after the label (``Score (1-5): 4``);
* a bare ``[[N]]`` (MT-Bench single-answer style) and Prometheus ``[RESULT] N``.

A range such as ``Score: 3-4`` is not a score.

Pairwise and meta (letters are upper case unless stated):

* ``[[A]]``, ``[[B]]``, ``[[C]]`` (tie), ``[[tie]]``;
* Arena-Hard ``[[A>>B]]`` (A, strong), ``[[A>B]]`` (A, weak), ``[[A=B]]`` (tie), ``[[B>A]]``,
  ``[[B>>A]]``, and the mirrored ``<`` forms;
* ``Winner: Judgment A`` (also ``Judgement``, ``Response``, ``Answer``, ``Output``,
  ``Assistant``, ``Model``, ``Candidate``, any case, where the letter may be lower case; or
  no noun and an upper-case letter, ``Winner: B``; ``Winner: tie``/``draw``/``neither``);
* LLMBar ``Output (a) is better`` (either case) or a line holding only ``Output (a)``;
* Prometheus ``[RESULT] A``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sparring.agents._verdict import Choice, Strength

__all__ = ["Token", "choice_tokens", "score_tokens"]

_NUM = r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?!\.?\d)"
_MAX = r"(?:\s*+(?:/|\bout\s+of\b)\s*+(?P<den>" + _NUM + r"))?"
_NO_RANGE = r"(?!\s*+(?:-|–|—|\bto\b)\s*+\d)"
_SHORT_PAREN = r"(?:\s*+\([^)\n]{0,24}\))?"
_FILL = r"[*_\s]*+"  # spaces and markdown emphasis (possessive: no backtracking)

_LABELED_SCORE_RE = re.compile(
    r"(?<!\w)(?:(?:final|overall|total)\s++)?(?:score|rating|grade)\b"
    + _SHORT_PAREN
    + _FILL
    + r"(?::|=|\bis\b:?)"
    + _FILL
    + r"(?:\[\[?"
    + _FILL
    + r")?(?P<num>"
    + _NUM
    + r")[*_]*+"
    + _MAX
    + r"(?:\s*+\]\]?)?"
    + _NO_RANGE,
    re.IGNORECASE,
)
_BRACKET_SCORE_RE = re.compile(
    r"\[\[\s*+(?P<num>" + _NUM + r")\s*+(?:/\s*+(?P<den>" + _NUM + r")\s*+)?\]\]" + _NO_RANGE
)
_RESULT_SCORE_RE = re.compile(
    r"\[RESULT\]\s*+[*_]*+(?P<num>" + _NUM + r")" + _MAX + _NO_RANGE, re.IGNORECASE
)

_NOUN = r"(?i:judg(?:e)?ment|response|answer|output|assistant|model|candidate)"
_WINNER_HEAD = (
    r"(?i:\bwinner\b)" + _SHORT_PAREN + _FILL + r"(?:(?::|-|=|(?i:\bis\b:?))" + _FILL + r")?"
)
_TIE_WORD = r"(?i:(?:a\s++)?(?:tie|draw)|neither|equal)"

_BRACKET_CHOICE_RE = re.compile(r"\[\[\s*+(?P<c>[ABC])\s*+\]\]")
_BRACKET_TIE_RE = re.compile(r"\[\[\s*+(?i:tie|draw)\s*+\]\]")
_ARENA_RE = re.compile(r"\[\[\s*+(?P<l>[AB])\s*+(?P<op>>>|≫|>|=|<<|≪|<)\s*+(?P<r>[AB])\s*+\]\]")
_WINNER_RE = re.compile(_WINNER_HEAD + r"\(?(?P<c>[AB])\)?(?!\w)")
_WINNER_NOUN_RE = re.compile(_WINNER_HEAD + _NOUN + r"\s*+\(?(?P<c>[ABab])\)?(?!\w)")
_WINNER_TIE_RE = re.compile(_WINNER_HEAD + _TIE_WORD + r"\b")
_OUTPUT_BETTER_RE = re.compile(
    r"(?i:\boutput\s*+\((?P<c>[ab])\)\s*+(?:is|was)\s++(?:the\s++)?"
    r"(?:better|best|preferred|superior|stronger)\b)"
)
_OUTPUT_BARE_RE = re.compile(r"^[\s*_#:.!-]*+(?i:output\s*+\((?P<c>[ab])\))[\s*_.!:]*+$")
_RESULT_CHOICE_RE = re.compile(r"\[RESULT\]\s*+[*_]*+(?P<c>[AB])(?!\w)")


@dataclass(frozen=True, slots=True)
class Token:
    """One verdict token found in a line (``start``/``end`` are offsets in that line)."""

    start: int
    end: int
    score: float | None = None
    out_of: float | None = None
    choice: Choice | None = None
    strength: Strength | None = None


def _score(m: re.Match[str]) -> Token:
    den = m.groupdict().get("den")
    return Token(
        m.start(), m.end(), score=float(m.group("num")), out_of=None if den is None else float(den)
    )


def _letter(m: re.Match[str]) -> Token:
    letter = m.group("c").upper()
    choice: Choice = "A" if letter == "A" else "B" if letter == "B" else "tie"
    return Token(m.start(), m.end(), choice=choice)


def _tie(m: re.Match[str]) -> Token:
    return Token(m.start(), m.end(), choice="tie")


def _arena(m: re.Match[str]) -> Token | None:
    left, op, right = m.group("l"), m.group("op"), m.group("r")
    if left == right:
        return None
    if op == "=":
        return Token(m.start(), m.end(), choice="tie")
    winner = left if op in (">>", "≫", ">") else right
    strength: Strength = "strong" if op in (">>", "≫", "<<", "≪") else "weak"
    choice: Choice = "A" if winner == "A" else "B"
    return Token(m.start(), m.end(), choice=choice, strength=strength)


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], Token | None]]

_SCORE_RULES: tuple[_Rule, ...] = (
    (_LABELED_SCORE_RE, _score),
    (_BRACKET_SCORE_RE, _score),
    (_RESULT_SCORE_RE, _score),
)
_CHOICE_RULES: tuple[_Rule, ...] = (
    (_ARENA_RE, _arena),
    (_BRACKET_CHOICE_RE, _letter),
    (_BRACKET_TIE_RE, _tie),
    (_WINNER_TIE_RE, _tie),
    (_WINNER_RE, _letter),
    (_WINNER_NOUN_RE, _letter),
    (_OUTPUT_BETTER_RE, _letter),
    (_OUTPUT_BARE_RE, _letter),
    (_RESULT_CHOICE_RE, _letter),
)


def _find(line: str, rules: tuple[_Rule, ...]) -> list[Token]:
    """Every token in ``line``; where matches overlap, the earliest, then longest, wins."""
    found = [
        token
        for pattern, build in rules
        for m in pattern.finditer(line)
        if (token := build(m)) is not None
    ]
    found.sort(key=lambda t: (t.start, -(t.end - t.start)))
    kept: list[Token] = []
    for token in found:
        if not kept or token.start >= kept[-1].end:
            kept.append(token)
    return kept


def score_tokens(line: str) -> list[Token]:
    """The pointwise score tokens in ``line``, left to right."""
    return _find(line, _SCORE_RULES)


def choice_tokens(line: str) -> list[Token]:
    """The pairwise/meta choice tokens in ``line``, left to right."""
    return _find(line, _CHOICE_RULES)
