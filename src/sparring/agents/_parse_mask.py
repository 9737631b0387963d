"""Masking: hide every part of a judge's output that is quoted material, not the judge's words.

The verdict parser reads tokens only from *visible* text. ``scan`` returns a copy of the
output of the same length in which quoted material is replaced by ``SENTINEL`` characters
(newlines are kept, so lines and offsets still line up with the original):

* sparring fences ``[BEGIN LABEL #nonce]`` ... ``[END LABEL #nonce]`` (the end marker must
  repeat the label and nonce exactly; an unclosed fence hides everything to the end);
* MT-Bench answer markers ``[The Start of X]`` ... ``[The End of X]`` (unclosed: to the end);
* ``<think>`` / ``<thinking>`` sections (unclosed: to the end);
* markdown code fences (```` ``` ```` or ``~~~``; unclosed: to the end, as in CommonMark);
* markdown block quotes (lines starting with ``>``).

The text is read left to right; the region that opens first is masked whole, so a marker
inside it (a ``>`` line in a fence, a fence line in a block quote) opens nothing.

``unquote_own_token`` then shows again one quoted span that holds only a double-bracket token
when the judge's own words introduce it and nothing else precedes it on the line ("My final
verdict is `[[A]]`", 'Verdict: "[[B>A]]"'): a judge formatting its verdict, not quoting one.

``mask_inline`` hides quoted spans inside one line: ```code```, ``"..."``, ``“...”``,
``«...»``, ``「...」`` and ``'...'`` (a single quote counts only where it cannot be an
apostrophe). A line with an unbalanced backtick run, straight double quote or directional
quote is hidden entirely, because either side of the odd mark could be the quoted part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "SENTINEL",
    "CodeBlock",
    "Scan",
    "final_line",
    "is_decoration",
    "mask_inline",
    "scan",
    "unquote_own_token",
]

SENTINEL = "\x00"
"""The character that replaces masked text; no verdict pattern matches it."""

_OPENER_RE = re.compile(
    r"\[BEGIN (?P<label>[A-Za-z][A-Za-z0-9 _]*?) #(?P<nonce>[0-9A-Za-z]{4,16})\]"
    r"|(?i:\[The Start of (?P<mt>[^\]\n]{1,80})\])"
    r"|(?i:<(?P<think>think|thinking)>)"
)
_FENCE_RE = re.compile(r"^ {0,3}(?P<mark>`{3,}|~{3,})(?P<info>[^`\n]*)$", re.MULTILINE)
_QUOTE_LINE_RE = re.compile(r"^ {0,3}>.*$", re.MULTILINE)
_BACKTICKS_RE = re.compile(r"`+")
_SINGLE_QUOTED_RE = re.compile(r"(?<![\w'])'(?=[^\s'])[^'\n]*?[^\s']'(?!\w)")
_PAIRS = (('"', '"'), ("“", "”"), ("«", "»"), ("「", "」"), ("『", "』"))
_CLOSING_TAG_LINE_RE = re.compile(r"\s*(?:</[A-Za-z_][\w-]*>\s*)+")
_NOT_NEWLINE_RE = re.compile(r"[^\n]")
_LONE_TOKEN_RE = re.compile(r"(?P<q>`+|\")(?P<tok>\s*\[\[[^\[\]\n`\"]{1,8}\]\]\s*)(?P=q)")
_OWN_LEAD_RE = re.compile(
    r"[\s*_#-]*(?:(?:so|thus|therefore|hence|overall)[,\s]+)?"
    r"(?:my\s+(?:final\s+|overall\s+)?verdict|(?:final\s+)?verdict)(?:\s+is)?[\s:*_\-–—]*",
    re.IGNORECASE,
)
_WORD_CHAR_RE = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A markdown code fence found in visible text."""

    start: int
    end: int
    info: str
    body: str
    closed: bool


@dataclass(frozen=True, slots=True)
class Scan:
    """The block-masked text and the code fences found in it."""

    masked: str
    code_blocks: tuple[CodeBlock, ...]


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the characters of ``spans`` (sorted, disjoint) masked, newlines kept."""
    if not spans:
        return text
    pieces: list[str] = []
    pos = 0
    for start, end in spans:
        pieces.append(text[pos:start])
        pieces.append(_NOT_NEWLINE_RE.sub(SENTINEL, text[start:end]))
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


def _closer_end(text: str, m: re.Match[str]) -> int:
    """Where the region opened by ``m`` ends (the end of the text when it is never closed)."""
    if m.group("label") is not None:
        closer = f"[END {m.group('label')} #{m.group('nonce')}]"
        at = text.find(closer, m.end())
        return len(text) if at < 0 else at + len(closer)
    if m.group("mt") is not None:
        pattern = r"\[The End of " + re.escape(m.group("mt")) + r"\]"
    else:
        pattern = "</" + m.group("think") + ">"
    found = re.compile(pattern, re.IGNORECASE).search(text, m.end())
    return len(text) if found is None else found.end()


def _fence_end(text: str, opener: re.Match[str]) -> tuple[int, int, bool]:
    """``(body_end, block_end, closed)`` of the code fence opened by ``opener``."""
    mark = opener.group("mark")
    close_re = re.compile(
        r"^ {0,3}" + re.escape(mark[0]) + "{" + str(len(mark)) + r",}[ \t]*$", re.MULTILINE
    )
    found = close_re.search(text, opener.end() + 1)
    if found is None:
        return len(text), len(text), False
    return found.start(), found.end(), True


def scan(text: str) -> Scan:
    """Mask quoted material at block level (see the module docstring).

    The text is read left to right; whichever quoted region starts first is masked whole, so
    a fence marker inside a block quote, or a block quote inside a fence, opens nothing.
    """
    spans: list[tuple[int, int]] = []
    blocks: list[CodeBlock] = []
    patterns = (_OPENER_RE, _FENCE_RE, _QUOTE_LINE_RE)
    found: list[re.Match[str] | None] = [p.search(text) for p in patterns]
    while any(found):
        i, m = min(
            ((i, m) for i, m in enumerate(found) if m is not None), key=lambda im: im[1].start()
        )
        if i == 1:
            body_end, end, closed = _fence_end(text, m)
            body = text[m.end() + 1 : body_end]
            blocks.append(CodeBlock(m.start(), end, m.group("info").strip(), body, closed))
        else:
            end = m.end() if i == 2 else _closer_end(text, m)
        spans.append((m.start(), end))
        pos = max(end, m.start() + 1)
        found = [
            f if f is None or f.start() >= pos else patterns[k].search(text, pos)
            for k, f in enumerate(found)
        ]
    return Scan(_blank(text, spans), tuple(blocks))


def _backtick_spans(line: str) -> list[tuple[int, int]] | None:
    """Code spans (a backtick run closed by the next run of the same length); None: unclosed."""
    runs = list(_BACKTICKS_RE.finditer(line))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(runs):
        n = len(runs[i].group())
        j = next((k for k in range(i + 1, len(runs)) if len(runs[k].group()) == n), None)
        if j is None:
            return None
        spans.append((runs[i].start(), runs[j].end()))
        i = j + 1
    return spans


def _quote_spans(line: str, open_mark: str, close_mark: str) -> list[tuple[int, int]] | None:
    """Quoted spans between the marks (nested for directional marks); None: unbalanced."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for m in re.finditer("[" + re.escape(open_mark + close_mark) + "]", line):
        opens = m.group() == open_mark and (open_mark != close_mark or depth == 0)
        if opens:
            start = m.start() if depth == 0 else start
            depth += 1
        elif depth == 0:
            return None
        else:
            depth -= 1
            if depth == 0:
                spans.append((start, m.end()))
    return spans if depth == 0 else None


def mask_inline(line: str) -> tuple[str, bool]:
    """Hide quoted spans inside one line.

    Returns:
        The masked line and whether its quotation marks were balanced. An unbalanced line
        comes back entirely masked.
    """
    spans = _backtick_spans(line)
    if spans is None:
        return SENTINEL * len(line), False
    line = _blank(line, spans)
    for open_mark, close_mark in _PAIRS:
        found = _quote_spans(line, open_mark, close_mark)
        if found is None:
            return SENTINEL * len(line), False
        line = _blank(line, found)
    singles = [m.span() for m in _SINGLE_QUOTED_RE.finditer(line)]
    return _blank(line, singles), True


def is_decoration(line: str) -> bool:
    """A line that cannot hold a verdict: no letter or digit, or only closing tags."""
    return _WORD_CHAR_RE.search(line) is None or _CLOSING_TAG_LINE_RE.fullmatch(line) is not None


def final_line(text: str) -> tuple[int, int] | None:
    """``(start, end)`` of the last line that is neither blank nor decoration, if any."""
    end = len(text)
    while end >= 0:
        start = text.rfind("\n", 0, end) + 1
        if not is_decoration(text[start:end]):
            return start, end
        end = start - 1
    return None


def unquote_own_token(line: str, visible: str) -> str:
    """``visible`` with a lone quoted verdict token shown again (see the module docstring).

    Args:
        line: The block-masked line (inline quotes still in place).
        visible: The same line after ``mask_inline``.
    """
    m = _LONE_TOKEN_RE.search(line)
    if m is None or SENTINEL in line[: m.start()] or visible[m.start()] != SENTINEL:
        return visible
    if _OWN_LEAD_RE.fullmatch(line[: m.start()]) is None:
        return visible
    pad = " " * len(m.group("q"))
    return visible[: m.start()] + pad + m.group("tok") + pad + visible[m.end() :]
