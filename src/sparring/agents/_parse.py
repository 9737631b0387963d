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
   verdict field is a ``parse_failure``. An object followed only by trailing lines (as in
   step 6: at most 8 visible lines with no verdict token that do not disown a verdict) is
   read the same way, unless a line above it ends by introducing an unfenced quote.
3. **Final line.** Otherwise the final line is the last line of the output that holds a
   letter or digit and is not only closing tags (so trailing ``---``, ```` ``` ```` or
   ``</answer>`` lines are skipped). If that line is masked (the output ends inside quoted
   material, or its quotation marks are unbalanced, see step 4), there is no verdict.
4. **Visible lines.** In each line, ```code```, ``"..."``, ``“...”``, ``«...»``, ``「...」``
   and ``'...'`` spans are hidden; an unbalanced backtick, straight double quote or
   directional quote hides the whole line. One exception: a code or double-quote span that
   holds only a double-bracket token and follows nothing but the judge's own verdict words
   (``My final verdict is `[[A>B]]```, ``Verdict: "[[B]]"``) stays visible.
5. **Tokens** (formats in ``_parse_tokens``) are found in the visible text. A token whose
   neighbouring words (between it and the previous/next token) show it is being quoted
   ("... ends with [[A]]", "the response claims Score: 5", "[[A]] appears in Response A";
   list in ``_parse_cues``) is *quoted*; the other tokens on the line are *stated*.
6. **Verdict position** (``_parse_position``). Walking up from the final line, the verdict
   line is the first line with a stated token, if every line after it is a *trailing* line:
   visible, holding no token (stated or quoted), not disowning a verdict ("That line is an
   injection", "I could not decide", list in ``_parse_cues.disowns``), and at most
   ``MAX_TRAILING`` (8) of them; blank lines, decoration and hidden quoted blocks are
   skipped and not counted. A line that breaks these conditions ends the walk with no
   verdict, so a token further up decides nothing. A verdict line above the final line also
   needs none of the 8 visible lines above it to end by introducing an unfenced quote
   ("Response B reads:", ``_parse_cues.introduces_quote``), since the judge may be echoing a
   candidate verbatim.
7. **Prose verdicts** (``_parse_prose``, lower priority). Only when step 6 finds no verdict
   line, the same walk runs again for verdicts written in words ("Therefore, I judge
   Assistant B's answer to be slightly better", "I would give it a 4"), where a line holding
   any verdict token also ends the walk and the quote-introduction check applies to the
   final line too. Stated prose verdicts on the trailing lines of a token verdict line join
   its tokens in step 8, so a justification that names the other winner is a conflict.
8. **Decide.** No verdict line: ``refusal`` if one of the first two or last two visible
   lines declines to evaluate ("I cannot evaluate ...", "I'm sorry, but I can't ..."), else
   ``parse_failure``. Tokens with different values (``[[A]] ... [[B]]``, or ``Score: 3`` and
   ``[[4]]``) are ``conflicting_verdicts``; repeats of one value are fine. A pointwise score
   given out of a maximum other than the scale's top is a ``parse_failure``; a score within
   half the scale's width beyond an end (0 or 5.5 on 1-5) is clipped to the scale, one
   further out (8 on 1-5: the judge used another scale) is a ``parse_failure``. The
   verdict's ``reasoning`` is the text before the verdict line and the trailing lines after
   it (or, for a one-line output, the words before the first token).

Every unscored verdict from a parse carries a ``detail`` of the form
``"<what was wrong>; expected <expectation>"``; the default expectation names the format of
sparring's own prompts (``expected=`` overrides it), and the graphs send it back to the judge
once as a repair hint.

Known limit: a judge that repeats a candidate's verdict verbatim, outside any quotation, as
its own last line, or followed only by neutral justification with no quoting words before it,
cannot be told apart from a judge that agrees with it. The prompts (fences with a fresh
nonce, defused markers) and both-order judging are the defence there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, cast

from sparring.agents._parse_cues import is_mention, is_refusal
from sparring.agents._parse_json import JsonTail, json_reasoning, json_tokens, trailing_json
from sparring.agents._parse_mask import SENTINEL, Scan, final_line, mask_inline, scan
from sparring.agents._parse_position import (
    Finder,
    Found,
    Line,
    Stop,
    cut_points,
    introduced_at,
    locate,
    stated,
    visible_lines,
)
from sparring.agents._parse_prose import prose_choice_tokens, prose_score_tokens
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


def _from_json(
    spec: _Spec, raw: str, text: str, scanned: Scan, tail: JsonTail, after: str = ""
) -> Verdict:
    if _json_is_quoted(text, scanned, tail):
        return _failure(spec, raw, "the final JSON object is quoted, not stated")
    tokens, unreadable, names = json_tokens(tail.obj, spec.kind == "pointwise")
    if unreadable:
        what = "a number" if spec.kind == "pointwise" else "A, B or tie"
        return _failure(spec, raw, f"the JSON field {unreadable[0]!r} does not hold {what}")
    if not tokens:
        fields = ", ".join(repr(n) for n in names[:4])
        return _failure(spec, raw, f"the final JSON object has no verdict field ({fields})")
    before = text[: tail.start].strip()
    reasoning = "\n".join(p for p in (before, after.strip()) if p) or json_reasoning(tail.obj)
    return _decide(spec, raw, tokens, reasoning)


def _visible_ends(scanned: Scan) -> list[str]:
    """The first two and last two non-empty visible lines (for refusal detection)."""
    lines = [line for line in scanned.masked.split("\n") if line.replace(SENTINEL, "").strip()]
    return [mask_inline(line)[0] for line in lines[:2] + lines[-2:]]


def _no_verdict(spec: _Spec, raw: str, scanned: Scan, problem: str) -> Verdict:
    if is_refusal(_visible_ends(scanned)):
        detail = f"the judge declined to give a verdict; expected {spec.expected}"
        return Verdict.unscored(spec.kind, "refusal", raw, detail=detail)
    return _failure(spec, raw, problem)


_STOP_PROBLEMS = {
    Stop.NOTHING: "no verdict found in the final line",
    Stop.QUOTED: "the final lines quote a verdict instead of stating one",
    Stop.DISOWNED: "the final lines disown a verdict or say there is none",
    Stop.INTRODUCED: "the verdict line follows words that introduce a quote",
    Stop.UNBALANCED: "a line after the verdict has an unbalanced quotation mark",
}


def _finders(spec: _Spec) -> tuple[Finder, Finder]:
    """The token finders of ``spec``'s kind: verdict tokens, then prose verdicts."""
    if spec.kind == "pointwise":
        return score_tokens, prose_score_tokens
    return choice_tokens, prose_choice_tokens


def _final_problem(text: str, scanned: Scan) -> str | None:
    """Why the final line cannot hold a verdict at all (hidden or missing), if it cannot."""
    span = final_line(text)
    if span is None:
        return "the output holds no words"
    start, end = span
    line, balanced = mask_inline(scanned.masked[start:end])
    if line.replace(SENTINEL, "").strip():
        return None
    if not balanced and scanned.masked[start:end].replace(SENTINEL, "").strip():
        return "the final line has an unbalanced quotation mark"
    return "the output ends inside quoted material, with no verdict of its own"


def _reasoning(text: str, found: Found) -> str:
    """The judge's words around the verdict: before its line, and its trailing lines."""
    line = found.line
    before = text[: line.start].strip()
    after = text[line.end :].strip() if found.trailing else ""
    if not before and not after:
        return text[line.start : line.start + found.tokens[0].start].strip()
    return "\n".join(part for part in (before, after) if part)


def _json_before_trailing(spec: _Spec, raw: str, text: str, lines: list[Line]) -> Verdict | None:
    """The verdict of a JSON object followed only by trailing lines, if there is one."""
    for cut in cut_points(lines, _finders(spec)[0]):
        prefix = text[:cut].rstrip()
        if not prefix.endswith(("}", "```", "~~~")):
            continue
        scanned = scan(prefix)
        tail = trailing_json(prefix, scanned)
        if tail is None:
            continue
        # The object may start far above the lines the walk built: check against all lines.
        if introduced_at(visible_lines(text, scan(text), whole=True), tail.start):
            return _failure(spec, raw, "the JSON verdict follows words that introduce a quote")
        return _from_json(spec, raw, prefix, scanned, tail, after=text[cut:])
    return None


def _from_lines(spec: _Spec, raw: str, text: str, scanned: Scan, lines: list[Line]) -> Verdict:
    problem = _final_problem(text, scanned)
    if problem is not None:
        if problem == "the output holds no words":
            return _failure(spec, raw, problem)
        return _no_verdict(spec, raw, scanned, problem)
    tokens, prose = _finders(spec)
    found = locate(lines, tokens, tokens, guard_final=False)
    if isinstance(found, Stop):
        # A prose verdict counts only below every verdict token, so it is looked for on its
        # own walk; the token walk's reason is reported when both fail.
        in_prose = locate(lines, prose, tokens, guard_final=True)
        if isinstance(in_prose, Stop):
            stop = in_prose if found is Stop.NOTHING else found
            return _no_verdict(spec, raw, scanned, _STOP_PROBLEMS[stop])
        found = in_prose
    # Prose verdicts in the justification must agree with the verdict they justify.
    agreeing = [t for line in found.trailing for t in stated(prose, line.visible)[0]]
    return _decide(spec, raw, found.tokens + agreeing, _reasoning(text, found))


def parse_verdict(
    text: str,
    kind: VerdictKind,
    *,
    scale: tuple[float, float] = (1, 5),
    expected: str | None = None,
) -> Verdict:
    r"""Parse a judge's output into a scored or unscored ``Verdict``.

    The verdict is read only from the judge's own final verdict: its last verdict line (the
    last line, or a verdict line followed by a few lines of justification), or a JSON
    object that ends the output; quoted material (fenced candidates, code, quotes) is
    ignored, and a verdict written only in words is read when no verdict token is found.
    The full rule is in this module's docstring.

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
    lines = visible_lines(normalized, scanned)
    before_trailing = _json_before_trailing(spec, text, normalized, lines)
    if before_trailing is not None:
        return before_trailing
    return _from_lines(spec, text, normalized, scanned, lines)
