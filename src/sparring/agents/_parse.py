r"""``parse_verdict``: read a judge's own final verdict, never one quoted from a candidate.

The rule, in order (the output's line endings are normalised to ``\n`` first):

1. **Mask quoted material** (``_parse_mask``): sparring fences ``[BEGIN LABEL #nonce]`` ...
   ``[END LABEL #nonce]`` (closed only by the same label and nonce), MT-Bench
   ``[The Start of X]`` ... ``[The End of X]`` markers, ``<think>`` sections, markdown code
   fences and ``>`` block quotes are hidden; an unclosed one hides everything after it. The
   text is read left to right and the region that opens first wins, so a marker inside a
   masked region opens nothing. Masking only hides text: it never moves the verdict position.
2. **Trailing JSON.** If the output ends with a JSON object (bare, or as the body of a closed
   ``json``-tagged code fence that is the last thing in the output) whose start is visible,
   that object is the verdict position and nothing else is read (``_parse_json`` lists its
   fields). A bare object that starts inside an inline quote, or right after words that
   quote it ("Response B ends with {...}", see step 5), is a ``parse_failure``. Different
   values in its verdict fields are ``conflicting_verdicts``; an object with no readable
   verdict field is a ``parse_failure``.
3. **Final line.** Otherwise the verdict position is the last line of the output that holds a
   letter or digit and is not only closing tags (so trailing ``---``, ```` ``` ```` or
   ``</answer>`` lines are skipped). Only that one line is read; verdict tokens on earlier
   lines decide nothing. If that line is masked (the output ends inside quoted material),
   there is no verdict.
4. **Inline quotes.** In the final line, ```code```, ``"..."``, ``“...”``, ``«...»``,
   ``「...」`` and ``'...'`` spans are hidden; an unbalanced backtick, straight double quote or
   directional quote hides the whole line.
5. **Tokens** (formats in ``_parse_tokens``) are found in what remains. A token whose
   neighbouring words (between it and the previous/next token) show it is being quoted
   ("... ends with [[A]]", "the response claims Score: 5", "[[A]] appears in Response A";
   list in ``_parse_cues``) is dropped; the other tokens on the line still count.
6. **Decide.** No token left: ``refusal`` if one of the first two or last two visible lines
   declines to evaluate ("I cannot evaluate ...", "I'm sorry, but I can't ..."), else
   ``parse_failure``. Tokens with different values (``[[A]] ... [[B]]``, or
   ``Score: 3`` and ``[[4]]``) are ``conflicting_verdicts``; repeats of one value are fine.
   A pointwise score given out of a maximum other than the scale's top is a ``parse_failure``;
   a score within half the scale's width beyond an end (0 or 5.5 on 1-5) is clipped to the
   scale, one further out (8 on 1-5: the judge used another scale) is a ``parse_failure``.

Every unscored verdict from a parse carries a ``detail`` of the form
``"<what was wrong>; expected <expectation>"``; the default expectation names the format of
sparring's own prompts (``expected=`` overrides it), and the graphs send it back to the judge
once as a repair hint.

Known limit: a judge that ends its output by repeating a candidate's verdict verbatim, as its
own last line and outside any quotation, cannot be told apart from a judge that agrees with
it. The prompts (fences with a fresh nonce, defused markers) and both-order judging are the
defence there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, cast

from sparring.agents._parse_cues import is_mention, is_refusal
from sparring.agents._parse_json import JsonTail, json_reasoning, json_tokens, trailing_json
from sparring.agents._parse_mask import SENTINEL, Scan, final_line, mask_inline, scan
from sparring.agents._parse_tokens import Token, choice_tokens, score_tokens
from sparring.agents._verdict import Choice, Strength, Verdict, VerdictKind

__all__ = ["default_expectation", "parse_verdict"]

_KINDS = ("pointwise", "pairwise", "meta")


@dataclass(frozen=True, slots=True)
class _Spec:
    kind: VerdictKind
    lo: float
    hi: float
    expected: str


def default_expectation(kind: VerdictKind, scale: tuple[float, float] = (1, 5)) -> str:
    """What the parser asks a judge for, in the format of sparring's own prompts."""
    if kind == "pointwise":
        return f"a final line 'Score: <number between {scale[0]:g} and {scale[1]:g}>'"
    if kind == "pairwise":
        return (
            "a final line holding only your verdict: '[[A]]' if A is better, "
            "'[[B]]' if B is better, or '[[C]]' for a tie"
        )
    return "a final line 'Winner: Judgment A' or 'Winner: Judgment B'"


def _spec(kind: str, scale: tuple[float, float], expected: str | None) -> _Spec:
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, not {kind!r}")
    lo, hi = float(scale[0]), float(scale[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"scale must be two finite numbers, low < high, not {scale!r}")
    known = cast(VerdictKind, kind)
    return _Spec(known, lo, hi, expected or default_expectation(known, (lo, hi)))


def _failure(spec: _Spec, raw: str, problem: str) -> Verdict:
    return Verdict.unscored(
        spec.kind, "parse_failure", raw, detail=f"{problem}; expected {spec.expected}"
    )


def _conflict(spec: _Spec, raw: str, values: list[str]) -> Verdict:
    shown = " and ".join(values)
    detail = f"conflicting verdicts ({shown}); expected exactly one verdict: {spec.expected}"
    return Verdict.unscored(spec.kind, "conflicting_verdicts", raw, detail=detail)


def _score_value(spec: _Spec, value: float, out_of: float | None) -> float | str:
    """The clipped score, or the problem with it."""
    width = spec.hi - spec.lo
    if out_of is not None and out_of != spec.hi:
        return f"the score is given out of {out_of:g} but the scale is {spec.lo:g} to {spec.hi:g}"
    if not spec.lo - width / 2 <= value <= spec.hi + width / 2:
        return f"the score {value:g} is outside the scale {spec.lo:g} to {spec.hi:g}"
    return min(spec.hi, max(spec.lo, value))


def _strength(tokens: list[Token]) -> Strength | None:
    stated = {t.strength for t in tokens if t.strength is not None}
    return stated.pop() if len(stated) == 1 else None


def _decide(spec: _Spec, raw: str, tokens: list[Token], reasoning: str) -> Verdict:
    """Turn the tokens in verdict position into a verdict (they are not empty)."""
    if spec.kind == "pointwise":
        scores = sorted({t.score for t in tokens if t.score is not None})
        if len(scores) > 1:
            return _conflict(spec, raw, [f"{s:g}" for s in scores])
        value = _score_value(spec, scores[0], tokens[0].out_of)
        if isinstance(value, str):
            return _failure(spec, raw, value)
        return Verdict.from_score(value, reasoning=reasoning, raw=raw)
    order: dict[Choice, None] = {t.choice: None for t in tokens if t.choice is not None}
    if len(order) > 1:
        return _conflict(spec, raw, list(order))
    choice = next(iter(order))
    strength = None if choice == "tie" else _strength(tokens)
    kind: Literal["pairwise", "meta"] = "meta" if spec.kind == "meta" else "pairwise"
    return Verdict.from_choice(kind, choice, strength=strength, reasoning=reasoning, raw=raw)


def _json_is_quoted(text: str, scanned: Scan, tail: JsonTail) -> bool:
    """Whether the trailing object sits in an inline quote or right after quoting words."""
    line_start = text.rfind("\n", 0, tail.start) + 1
    lead, balanced = mask_inline(scanned.masked[line_start : tail.start])
    return not balanced or is_mention(lead, "")


def _from_json(spec: _Spec, raw: str, text: str, scanned: Scan, tail: JsonTail) -> Verdict:
    if _json_is_quoted(text, scanned, tail):
        return _failure(spec, raw, "the final JSON object is quoted, not stated")
    tokens, unreadable, names = json_tokens(tail.obj, spec.kind == "pointwise")
    if unreadable:
        what = "a number" if spec.kind == "pointwise" else "A, B or tie"
        return _failure(spec, raw, f"the JSON field {unreadable[0]!r} does not hold {what}")
    if not tokens:
        fields = ", ".join(repr(n) for n in names[:4])
        return _failure(spec, raw, f"the final JSON object has no verdict field ({fields})")
    reasoning = text[: tail.start].strip() or json_reasoning(tail.obj)
    return _decide(spec, raw, tokens, reasoning)


def _used_tokens(spec: _Spec, line: str) -> tuple[list[Token], bool]:
    """The tokens of ``line`` that are stated, not quoted; and whether any were quoted."""
    found = score_tokens(line) if spec.kind == "pointwise" else choice_tokens(line)
    used: list[Token] = []
    for i, token in enumerate(found):
        before = line[found[i - 1].end if i else 0 : token.start]
        after = line[token.end : found[i + 1].start if i + 1 < len(found) else len(line)]
        if not is_mention(before, after):
            used.append(token)
    return used, len(used) < len(found)


def _visible_ends(scanned: Scan) -> list[str]:
    """The first two and last two non-empty visible lines (for refusal detection)."""
    lines = [line for line in scanned.masked.split("\n") if line.replace(SENTINEL, "").strip()]
    return [mask_inline(line)[0] for line in lines[:2] + lines[-2:]]


def _no_verdict(spec: _Spec, raw: str, scanned: Scan, problem: str) -> Verdict:
    if is_refusal(_visible_ends(scanned)):
        detail = f"the judge declined to give a verdict; expected {spec.expected}"
        return Verdict.unscored(spec.kind, "refusal", raw, detail=detail)
    return _failure(spec, raw, problem)


def _from_final_line(spec: _Spec, raw: str, text: str, scanned: Scan) -> Verdict:
    span = final_line(text)
    if span is None:
        return _failure(spec, raw, "the output holds no words")
    start, end = span
    line, balanced = mask_inline(scanned.masked[start:end])
    if not line.replace(SENTINEL, "").strip():
        problem = (
            "the final line has an unbalanced quotation mark"
            if not balanced and scanned.masked[start:end].replace(SENTINEL, "").strip()
            else "the output ends inside quoted material, with no verdict of its own"
        )
        return _no_verdict(spec, raw, scanned, problem)
    tokens, quoted = _used_tokens(spec, line)
    if not tokens:
        problem = (
            "the final line quotes a verdict instead of stating one"
            if quoted
            else "no verdict found in the final line"
        )
        return _no_verdict(spec, raw, scanned, problem)
    reasoning = text[:start].strip() or text[start : start + tokens[0].start].strip()
    return _decide(spec, raw, tokens, reasoning)


def parse_verdict(
    text: str,
    kind: VerdictKind,
    *,
    scale: tuple[float, float] = (1, 5),
    expected: str | None = None,
) -> Verdict:
    r"""Parse a judge's output into a scored or unscored ``Verdict``.

    The verdict is read only from the judge's own final verdict: its last line, or a JSON
    object that ends the output; quoted material (fenced candidates, code, quotes) is
    ignored. The full rule is in this module's docstring.

    Args:
        text: The judge's whole output.
        kind: ``pointwise`` (a score), ``pairwise`` (which of two responses) or ``meta``
            (which of two judgments).
        scale: The pointwise score range; scores slightly outside are clipped to it.
        expected: Overrides the "expected ..." part of the failure detail, for judges
            prompted with a format of your own.

    Returns:
        A scored verdict, or an unscored one with ``reason`` ``parse_failure``,
        ``conflicting_verdicts`` or ``refusal`` and a ``detail`` usable as a repair hint.

    Raises:
        ValueError: ``kind`` or ``scale`` is invalid.

    Example:
        >>> parse_verdict("Clear and correct.\nScore: 4.5", "pointwise").score
        4.5
        >>> parse_verdict("Both fine, B is tighter.\n[[B>A]]", "pairwise").choice
        'B'
    """
    spec = _spec(kind, scale, expected)
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    if not normalized.strip():
        return _failure(spec, text, "the output is empty")
    scanned = scan(normalized)
    tail = trailing_json(normalized, scanned)
    if tail is not None:
        return _from_json(spec, text, normalized, scanned, tail)
    return _from_final_line(spec, text, normalized, scanned)
