"""The verdict position: the last line, or the last verdict line followed by its justification.

Judges often state their verdict and then justify it for a few more lines. ``locate`` walks up
from the final line over at most ``MAX_TRAILING`` visible lines and returns the first line
holding a stated verdict, provided every line after it is *trailing*: visible, free of verdict
tokens (stated or quoted), and not disowning a verdict (``disowns`` in ``_parse_cues``). The
walk stops, with no verdict, at a line that quotes a token, disowns one or is hidden by an
unbalanced quotation mark. A verdict found above the final line also needs the lines above
it (again at most ``MAX_TRAILING``) not to end by introducing a quote ("Response B reads:"),
since the judge could be echoing a candidate. Lines that are blank, decoration, or hidden
quoted blocks (a code fence inside the justification) are skipped and not counted.
``cut_points`` gives the same trailing lines to a JSON verdict that they follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from sparring.agents._parse_cues import disowns, introduces_quote, is_mention
from sparring.agents._parse_mask import (
    SENTINEL,
    Scan,
    is_decoration,
    mask_inline,
    unquote_own_token,
)
from sparring.agents._parse_tokens import Token

__all__ = [
    "MAX_TRAILING",
    "Finder",
    "Found",
    "Line",
    "Stop",
    "cut_points",
    "introduced_at",
    "locate",
    "stated",
    "visible_lines",
]

MAX_TRAILING = 8
"""How many visible lines may follow a verdict line (measured judges use 1 to 6)."""

Finder = Callable[[str], list[Token]]


@dataclass(frozen=True, slots=True)
class Line:
    """One non-blank, non-decoration line of the output."""

    start: int
    end: int
    visible: str  # block- and inline-masked text
    balanced: bool
    block_hidden: bool  # entirely inside a quoted block

    @property
    def hidden(self) -> bool:
        """Whether nothing of the line is visible."""
        return not self.visible.replace(SENTINEL, "").strip()


@dataclass(frozen=True, slots=True)
class Found:
    """A verdict line: its stated tokens and the trailing lines after it."""

    line: Line
    tokens: list[Token]
    trailing: list[Line]


class Stop(Enum):
    """Why the walk found no verdict."""

    NOTHING = "no verdict found"
    QUOTED = "a verdict is quoted, not stated"
    DISOWNED = "a verdict is followed by lines that disown it or give none"
    INTRODUCED = "the verdict follows words that introduce a quote"
    UNBALANCED = "a line after the verdict has an unbalanced quotation mark"


_ENOUGH = 2 * MAX_TRAILING + 2  # visible lines the walk and the quote check can look at


def _line(scanned: Scan, raw: str, start: int) -> Line:
    end = start + len(raw)
    masked = scanned.masked[start:end]
    visible, balanced = mask_inline(masked)
    if balanced:
        visible = unquote_own_token(masked, visible)
    return Line(start, end, visible, balanced, not masked.replace(SENTINEL, "").strip())


def visible_lines(text: str, scanned: Scan, *, whole: bool = False) -> list[Line]:
    """The lines of ``text`` that are neither blank nor decoration, with their visible text.

    Only the last lines that the walk and the quote check can reach are built (enough to hold
    ``2 * MAX_TRAILING + 2`` visible ones), unless ``whole`` is set: a long output costs no
    more than a short one.
    """
    lines: list[Line] = []
    shown = 0
    end = len(text)
    while end >= 0 and (whole or shown < _ENOUGH):
        start = text.rfind("\n", 0, end) + 1
        raw = text[start:end]
        if not is_decoration(raw):
            line = _line(scanned, raw, start)
            lines.append(line)
            shown += not line.hidden
        end = start - 1
    return lines[::-1]


def stated(find: Finder, line: str) -> tuple[list[Token], bool]:
    """The tokens of ``line`` that are stated, not quoted; and whether any were quoted."""
    found = find(line)
    used: list[Token] = []
    for i, token in enumerate(found):
        before = line[found[i - 1].end if i else 0 : token.start]
        after = line[token.end : found[i + 1].start if i + 1 < len(found) else len(line)]
        if not is_mention(before, after):
            used.append(token)
    return used, len(used) < len(found)


def _introduced(lines: list[Line], at: int) -> bool:
    """Whether one of the visible lines just above ``lines[at]`` introduces an unfenced quote.

    An introduction followed by a quoted block ("Response B reads:" and then a fence) is
    answered by that block, which is masked; only one followed by visible text counts.
    """
    above = [i for i in range(at) if not lines[i].hidden][-MAX_TRAILING:]
    return any(introduces_quote(lines[i].visible) and not lines[i + 1].block_hidden for i in above)


def introduced_at(lines: list[Line], offset: int) -> bool:
    """Whether the line holding ``offset`` follows words that introduce an unfenced quote."""
    at = next((i for i, line in enumerate(lines) if line.end >= offset), len(lines))
    return _introduced(lines, at)


def _step(line: Line, find: Finder, quote_tokens: Finder) -> Stop | list[Token] | None:
    """One line of the walk: its stated tokens, a reason to stop, or None (trailing)."""
    if not line.balanced:
        return Stop.UNBALANCED
    tokens, quoted = stated(find, line.visible)
    if tokens:
        return tokens
    if quoted or quote_tokens(line.visible):
        return Stop.QUOTED
    return Stop.DISOWNED if disowns(line.visible) else None


def locate(
    lines: list[Line], find: Finder, quote_tokens: Finder, *, guard_final: bool
) -> Found | Stop:
    """Walk up from the last line to the verdict line (see the module docstring).

    Args:
        lines: ``visible_lines`` of the output; the last one is visible.
        find: Finds the verdict tokens being looked for in a visible line.
        quote_tokens: Finds any verdict token (of a higher-priority family too): a trailing
            line holding one, stated or quoted, stops the walk.
        guard_final: Also require the quote-introduction check when the verdict is on the
            final line itself (for lower-priority token families).
    """
    trailing: list[Line] = []
    for at in range(len(lines) - 1, -1, -1):
        line = lines[at]
        if line.block_hidden:
            continue
        step = _step(line, find, quote_tokens)
        if isinstance(step, list):
            if (trailing or guard_final) and _introduced(lines, at):
                return Stop.INTRODUCED
            return Found(line, step, trailing[::-1])
        if step is not None:
            return step
        trailing.append(line)
        if len(trailing) > MAX_TRAILING:
            return Stop.NOTHING
    return Stop.NOTHING


def cut_points(lines: list[Line], tokens: Finder) -> list[int]:
    """Where the output may end before its trailing lines, nearest the end first.

    Each offset is the start of a visible line such that it and every visible line after it
    are trailing lines (no verdict token, not disowning, balanced; at most ``MAX_TRAILING``),
    so a JSON verdict that ends right before it may be read as the trailing JSON.
    """
    points: list[int] = []
    for line in reversed(lines):
        if line.block_hidden:
            continue
        if _step(line, tokens, tokens) is not None or len(points) == MAX_TRAILING:
            break
        points.append(line.start)
    return points
