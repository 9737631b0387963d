r"""Prose verdicts: a judge's verdict stated in words, read only when no verdict token is found.

Some judges never write the requested token and state the verdict in a sentence instead. A
prose verdict must be phrased as the judge's own decision, so that comparisons inside a
justification ("Assistant B is better at formatting") are not read as verdicts. Pairwise and
meta (``X`` is ``Assistant``, ``Response``, ``Answer``, ``Output``, ``Model``,
``Candidate`` or ``Judgment``/``Judgement`` with an upper-case letter ``A``/``B``, or
``Output (a)``; ``X's answer``/``X's response``/``X's judgment`` also count):

* a first-person decision: "I judge/find/consider/deem/believe/rate X (to be) better",
  "I prefer X";
* a concluding lead-in (``final verdict``, ``my verdict``, ``verdict``, ``overall``,
  ``in conclusion``, ``in summary``, ``to conclude``, ``therefore``, ``thus``, ``hence``,
  ``so``, ``based on``, ``taking everything``, ``on balance``, ``all in all``,
  ``all things considered``, then up to 24 characters) then "X is better" (also
  ``superior``, ``stronger``, ``preferable``, ``the better/stronger response``) or "X
  provides the better answer" (gives, offers, delivers, has);
* "X is the (clear) winner", "X wins", "the better response is X" (explicit verdict words,
  no lead-in needed).

"Better" counts only at the end of a clause ("better.", "better than ...", "better overall"),
never as in "better organised" or "better at". A degree word gives the strength:
``significantly``/``much``/``far``/``considerably``/``substantially`` are strong,
``slightly``/``marginally``/``somewhat``/``a bit``/``a little`` weak. A tie needs a
lead-in or first person: "my final verdict is a tie", "Final verdict: Tie", "it's a tie",
"I judge it a tie", "(verdict:) ... relatively the same".

Pointwise: "I would give it a 4", "I rate this response 7 out of 10", "I award the answer a
score of 3/5" (the verbs give, rate, score, award, assign).
"""

from __future__ import annotations

import re

from sparring.agents._parse_tokens import Token
from sparring.agents._verdict import Choice, Strength

__all__ = ["prose_choice_tokens", "prose_score_tokens"]

_LETTER = r"(?:\s*\(?(?P<c>[AB])\)?|\s*\((?P<lc>[ab])\))(?!\w)"
_SUBJECT = (
    r"(?i:assistant|response|answer|output|model|candidate|judg(?:e)?ment)"
    + _LETTER
    + r"(?:'s(?:\s+(?i:answer|response|output|judg(?:e)?ment|reply))?)?"
)
_DEGREE = (
    r"(?:(?P<deg>significantly|much|far|considerably|substantially|slightly|marginally|"
    r"somewhat|a\s+bit|a\s+little|clearly|noticeably)\s+)?"
)
_COMPARATIVE = (
    r"(?:(?:better|superior|stronger|preferable)"
    r"(?=\s*(?:than\b|overall\b|here\b|in\s+this\s+case\b|[.!,;:)*_]|$))"
    r"|the\s+(?:better|stronger|superior|preferred)\s+"
    r"(?:response|answer|output|one|judg(?:e)?ment|choice|option)\b)"
)
_LEAD = (
    r"(?:(?:my\s+)?(?:final\s+)?verdict|overall|in\s+conclusion|in\s+summary|to\s+conclude|"
    r"therefore|thus|hence|all\s+things\s+considered|so|based\s+on|taking\s+everything|"
    r"on\s+balance|all\s+in\s+all)\b"
)
_FIRST_PERSON = (
    r"\bI\s+(?:would\s+)?(?:judge|find|consider|deem|believe|think|rate|conclude|declare|"
    r"regard)\s+(?:that\s+)?"
)
_JUDGE_SAYS_RE = re.compile(
    r"(?i:"
    + _FIRST_PERSON
    + r")"
    + _SUBJECT
    + r"\s+(?i:(?:to\s+be|is|as|was)\s+)?(?i:"
    + _DEGREE
    + r"(?:"
    + _COMPARATIVE
    + r"))"
)
_PREFER_RE = re.compile(r"(?i:\bI\s+(?:would\s+)?(?:prefer|choose|pick|select)\s+)" + _SUBJECT)
_LEAD_SAYS_RE = re.compile(
    r"(?i:"
    + _LEAD
    + r"[^.\n]{0,24}?(?::|,|\bis\b:?)?\s*(?:that\s+)?)"
    + _SUBJECT
    + r"(?i:\s+(?:(?:is|was)\s+"
    + _DEGREE
    + r"(?:"
    + _COMPARATIVE
    + r")"
    + r"|(?:provides|gives|offers|delivers|has|is)\s+the\s+(?:better|stronger|superior)\s+"
    + r"(?:response|answer|output|judg(?:e)?ment)\b))"
)
_WINNER_RE = re.compile(_SUBJECT + r"(?i:\s+(?:is\s+the\s+(?:clear\s+|overall\s+)?winner|wins)\b)")
_THE_BETTER_RE = re.compile(
    r"(?i:\bthe\s+(?:better|stronger|superior|preferred)\s+(?:response|answer|output|"
    r"judg(?:e)?ment|one)\s+(?:here\s+|overall\s+)?is\s+)" + _SUBJECT
)
_TIE_RE = re.compile(
    r"(?i:(?:" + _LEAD + r"[^.\n]{0,20}?(?::|,|\bis\b:?)\s*(?:a\s+)?tie\b)"
    r"|\b(?:it(?:'s|\s+is)|this\s+is|I\s+(?:would\s+)?(?:call|judge|consider|declare)\s+"
    r"(?:it|this))\s+a\s+tie\b"
    r"|" + _LEAD + r"[^.\n]{0,40}?\brelatively\s+the\s+same\b)"
)
_NUM = r"(?P<num>[-+]?(?:\d+(?:\.\d+)?|\.\d+))(?!\.?\d)"
_SCORE_RE = re.compile(
    r"(?i:\bI\s+(?:would\s+|will\s+)?(?:give|rate|score|award|assign)\s+"
    r"(?:it|this(?:\s+(?:response|answer))?|the\s+(?:response|answer))\s+"
    r"(?:an?\s+)?(?:(?:score|rating|grade)\s+of\s+)?)"
    + _NUM
    + r"(?:\s*(?:/|\bout\s+of\b)\s*(?P<den>[-+]?(?:\d+(?:\.\d+)?|\.\d+)))?"
    + r"(?!\s*(?:-|–|—|\bto\b|\bor\b)\s*\d)"
)
_STRONG = frozenset({"significantly", "much", "far", "considerably", "substantially"})
_WEAK = frozenset({"slightly", "marginally", "somewhat", "a bit", "a little"})


def _strength(m: re.Match[str]) -> Strength | None:
    degree = m.groupdict().get("deg")
    if degree is None:
        return None
    word = " ".join(degree.lower().split())
    return "strong" if word in _STRONG else "weak" if word in _WEAK else None


def _choice_token(m: re.Match[str]) -> Token:
    letter = (m.group("c") or m.group("lc")).upper()
    choice: Choice = "A" if letter == "A" else "B"
    return Token(m.start(), m.end(), choice=choice, strength=_strength(m))


def _non_overlapping(found: list[Token]) -> list[Token]:
    found.sort(key=lambda t: (t.start, -(t.end - t.start)))
    kept: list[Token] = []
    for token in found:
        if not kept or token.start >= kept[-1].end:
            kept.append(token)
    return kept


def prose_choice_tokens(line: str) -> list[Token]:
    """The prose pairwise/meta verdicts stated in ``line``, left to right."""
    found = [
        _choice_token(m)
        for pattern in (_JUDGE_SAYS_RE, _PREFER_RE, _LEAD_SAYS_RE, _WINNER_RE, _THE_BETTER_RE)
        for m in pattern.finditer(line)
    ]
    found += [Token(m.start(), m.end(), choice="tie") for m in _TIE_RE.finditer(line)]
    return _non_overlapping(found)


def prose_score_tokens(line: str) -> list[Token]:
    """The prose pointwise scores stated in ``line`` ("I would give it a 4"), left to right."""
    found = []
    for m in _SCORE_RE.finditer(line):
        den = m.group("den")
        out_of = None if den is None else float(den)
        found.append(Token(m.start(), m.end(), score=float(m.group("num")), out_of=out_of))
    return found
