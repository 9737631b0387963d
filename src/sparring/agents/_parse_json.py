"""JSON verdicts: an object that ends the judge's output, bare or in a code fence.

The object must end the output (only whitespace after it) and start in visible text (not in
a quoted block). A fenced object counts only when its fence is the last thing in the output,
is closed, and is tagged ``json`` (an untagged fence is quoted material). Only top-level
fields are read; their names are matched case-insensitively, with spaces and hyphens read
as underscores:

* pointwise: ``score``, ``rating``, ``final_score``, ``overall_score``, ``total_score``;
* pairwise and meta: ``choice``, ``winner``, ``verdict``, ``better``, ``final_verdict``,
  ``preferred``, ``better_response``.

A choice value may be ``"A"``, ``"B"``, ``"tie"`` (also ``"C"``, ``"draw"``, ``"equal"``,
``"neither"``, ``"A=B"``), a labelled letter (``"Response A"``, ``"Judgment B"``,
``"Output (a)"``) or any choice token (``"[[A>>B]]"``). A score value may be a number or a
string holding one (``"4"``, ``"4/5"``, ``"[[4]]"``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sparring.agents._parse_mask import SENTINEL, Scan
from sparring.agents._parse_tokens import Token, choice_tokens, score_tokens

__all__ = [
    "CHOICE_FIELDS",
    "REASONING_FIELDS",
    "SCORE_FIELDS",
    "JsonTail",
    "choice_from_value",
    "json_reasoning",
    "json_tokens",
    "score_from_value",
    "trailing_json",
]

SCORE_FIELDS = ("score", "rating", "final_score", "overall_score", "total_score")
CHOICE_FIELDS = (
    "choice",
    "winner",
    "verdict",
    "better",
    "final_verdict",
    "preferred",
    "better_response",
)
REASONING_FIELDS = (
    "reasoning",
    "explanation",
    "rationale",
    "justification",
    "feedback",
    "analysis",
)

_MAX_SCAN = 50_000
_MAX_TRIES = 400
_JSON_INFO = ("json", "jsonc", "json5")
_TIE_WORDS = frozenset({"tie", "c", "draw", "equal", "neither", "a=b", "b=a"})
_LABELLED_RE = re.compile(
    r"(?:response|answer|output|judg(?:e)?ment|assistant|model|candidate)\s*\(?([ab])\)?"
)
_SCORE_STRING_RE = re.compile(
    r"\[{0,2}\s*([-+]?(?:\d+(?:\.\d+)?|\.\d+))\s*(?:/\s*([-+]?(?:\d+(?:\.\d+)?|\.\d+)))?\s*\]{0,2}"
)


@dataclass(frozen=True, slots=True)
class JsonTail:
    """The JSON object that ends an output and where it starts."""

    start: int
    obj: dict[str, Any]


def _fenced_tail(text: str, scanned: Scan) -> JsonTail | None:
    if not scanned.code_blocks:
        return None
    block = scanned.code_blocks[-1]
    if not block.closed or text[block.end :].strip() or block.info.lower() not in _JSON_INFO:
        return None
    try:
        obj = json.loads(block.body)
    except ValueError:
        return None
    return JsonTail(block.start, obj) if isinstance(obj, dict) else None


def _bare_tail(text: str, masked: str) -> JsonTail | None:
    body = text.rstrip()
    if not body.endswith("}"):
        return None
    decoder = json.JSONDecoder()
    pos = max(0, len(body) - _MAX_SCAN)
    for _ in range(_MAX_TRIES):
        pos = body.find("{", pos)
        if pos < 0:
            return None
        if masked[pos] != SENTINEL:
            try:
                obj, end = decoder.raw_decode(body, pos)
            except ValueError:
                obj, end = None, -1
            if end == len(body) and isinstance(obj, dict):
                return JsonTail(pos, obj)
        pos += 1
    return None


def trailing_json(text: str, scanned: Scan) -> JsonTail | None:
    """The JSON object that ends ``text`` in visible text, if there is one."""
    return _fenced_tail(text, scanned) or _bare_tail(text, scanned.masked)


def _field_values(obj: dict[str, Any], names: tuple[str, ...]) -> list[tuple[str, Any]]:
    wanted = set(names)
    found: list[tuple[str, Any]] = []
    for key, value in obj.items():
        norm = re.sub(r"[\s-]+", "_", str(key).strip().lower())
        if norm in wanted:
            found.append((str(key), value))
    return found


def score_from_value(value: Any) -> Token | None:
    """A score token from a JSON field value, or ``None`` when it holds no number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Token(0, 0, score=float(value))
    if not isinstance(value, str):
        return None
    m = _SCORE_STRING_RE.fullmatch(value.strip())
    if m is not None:
        den = None if m.group(2) is None else float(m.group(2))
        return Token(0, 0, score=float(m.group(1)), out_of=den)
    tokens = score_tokens(value)
    return tokens[0] if len(tokens) == 1 else None


def choice_from_value(value: Any) -> Token | None:
    """A choice token from a JSON field value, or ``None`` when it names no choice."""
    if not isinstance(value, str):
        return None
    word = value.strip().strip("*_\"'[]() .").lower()
    if word in ("a", "b"):
        return Token(0, 0, choice="A" if word == "a" else "B")
    if word in _TIE_WORDS:
        return Token(0, 0, choice="tie")
    m = _LABELLED_RE.fullmatch(word)
    if m is not None:
        return Token(0, 0, choice="A" if m.group(1) == "a" else "B")
    tokens = choice_tokens(value.strip())
    return tokens[0] if len(tokens) == 1 else None


def json_tokens(
    obj: dict[str, Any], pointwise: bool
) -> tuple[list[Token], list[str], tuple[str, ...]]:
    """The verdict tokens of a JSON object.

    Returns:
        The tokens read, the names of verdict fields whose value could not be read, and the
        field names that were looked for.
    """
    names = SCORE_FIELDS if pointwise else CHOICE_FIELDS
    read = score_from_value if pointwise else choice_from_value
    tokens: list[Token] = []
    unreadable: list[str] = []
    for key, value in _field_values(obj, names):
        token = read(value)
        if token is None:
            unreadable.append(key)
        else:
            tokens.append(token)
    return tokens, unreadable, names


def json_reasoning(obj: dict[str, Any]) -> str:
    """The first non-empty reasoning-like string field of ``obj``, trimmed."""
    for _, value in _field_values(obj, REASONING_FIELDS):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
