r"""Low-level LaTeX scanning: balanced braces, boxed answers, command unwrapping.

These helpers work on raw strings and never evaluate anything. A backslash always escapes the
character after it, so ``\{`` and ``\}`` (literal braces in a set) never count as grouping
braces, and ``\\`` (a row break) is skipped as a pair.
"""

from __future__ import annotations

import re

__all__ = [
    "find_closing",
    "fix_shorthand",
    "iter_boxed",
    "last_boxed",
    "strip_math_delimiters",
    "unwrap_commands",
]

_BOXED_RE = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_SHORTHAND_RE = re.compile(r"\\(frac|sqrt)(?![A-Za-z])")
_MATH_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))


def find_closing(text: str, open_index: int) -> int | None:
    """Find the brace that closes the one at ``open_index``.

    Args:
        text: The string to scan.
        open_index: Index of an opening ``{`` in ``text``.

    Returns:
        The index of the matching ``}``, or None when the group is never closed.
    """
    depth = 0
    i = open_index
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _boxed_argument(text: str, start: int) -> tuple[str, int] | None:
    r"""Read the argument of a ``\boxed`` command whose name ends at ``start``.

    Args:
        text: The full text.
        start: Index just after the command name.

    Returns:
        ``(content, end)`` where ``end`` is the index after the argument, or None when the
        argument is missing or its braces never close.
    """
    i = start
    while i < len(text) and text[i] in " \t":
        i += 1
    if i < len(text) and text[i] == "{":
        close = find_closing(text, i)
        if close is None:
            return None
        return text[i + 1 : close], close + 1
    if i > start:
        # ``\boxed 5``: the argument runs to the next space or math delimiter.
        match = re.match(r"[^\s$]+", text[i:])
        if match:
            return match.group(0), i + match.end()
    return None


def iter_boxed(text: str) -> list[tuple[int, str]]:
    r"""List every complete ``\boxed{...}`` or ``\fbox{...}`` in ``text``.

    Args:
        text: The text to scan.

    Returns:
        ``(position, content)`` pairs in text order; ``position`` is where the command starts.
        Commands whose braces never close (a truncated output) are left out.
    """
    found: list[tuple[int, str]] = []
    for match in _BOXED_RE.finditer(text):
        argument = _boxed_argument(text, match.end())
        if argument is not None:
            found.append((match.start(), argument[0]))
    return found


def last_boxed(text: str) -> str | None:
    r"""Return the content of the last complete, non-empty ``\boxed{...}`` in ``text``.

    Args:
        text: The text to scan.

    Returns:
        The content between the braces, or None when there is none.
    """
    for _, content in reversed(iter_boxed(text)):
        if content.strip():
            return content
    return None


def unwrap_commands(text: str, names: tuple[str, ...]) -> str:
    r"""Replace each ``\name{X}`` by ``X`` for the given command names, nested ones included.

    Args:
        text: The LaTeX string.
        names: Command names without the backslash, e.g. ``("text", "mbox")``.

    Returns:
        The string with those commands unwrapped. A command whose braces never close is kept.
    """
    pattern = re.compile(r"\\(?:" + "|".join(map(re.escape, names)) + r")\s*\{")
    search_from = 0
    while True:
        match = pattern.search(text, search_from)
        if match is None:
            return text
        open_index = match.end() - 1
        close = find_closing(text, open_index)
        if close is None:
            search_from = match.end()
            continue
        text = text[: match.start()] + text[open_index + 1 : close] + text[close + 1 :]
        search_from = match.start()


def _read_argument(text: str, i: int) -> tuple[str, int] | None:
    """Read one macro argument at ``i``: a brace group, a command, or a single character.

    Args:
        text: The LaTeX string.
        i: Where the argument may start (spaces before it are skipped).

    Returns:
        ``(argument with braces, index after it)``, or None at the end of the text.
    """
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return None
    if text[i] == "{":
        close = find_closing(text, i)
        if close is None:
            return None
        return text[i : close + 1], close + 1
    if text[i] == "\\":
        match = re.match(r"\\(?:[A-Za-z]+|.)", text[i:])
        if match:
            return "{" + match.group(0) + "}", i + match.end()
    return "{" + text[i] + "}", i + 1


def fix_shorthand(text: str) -> str:
    r"""Brace the arguments of ``\frac`` and ``\sqrt`` written without braces.

    ``\frac12`` becomes ``\frac{1}{2}``, ``\frac 34`` becomes ``\frac{3}{4}``,
    ``\frac9{19}`` becomes ``\frac{9}{19}`` and ``\sqrt2`` becomes ``\sqrt{2}``.

    Args:
        text: The LaTeX string.

    Returns:
        The string with every such argument in braces.
    """
    out: list[str] = []
    i = 0
    while True:
        match = _SHORTHAND_RE.search(text, i)
        if match is None:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i : match.end()])
        i = match.end()
        if match.group(1) == "sqrt":
            optional = re.match(r"\s*\[[^\]]*\]", text[i:])
            if optional:
                out.append(optional.group(0).strip())
                i += optional.end()
        for _ in range(2 if match.group(1) == "frac" else 1):
            argument = _read_argument(text, i)
            if argument is None:
                break
            out.append(argument[0])
            i = argument[1]


def strip_math_delimiters(text: str) -> str:
    r"""Remove math delimiters (``$``, ``$$``, ``\(...\)``, ``\[...\]``) around the text.

    Args:
        text: The answer string.

    Returns:
        The inner text, stripped, with every enclosing pair removed.
    """
    text = text.strip()
    changed = True
    while changed:
        changed = False
        for left, right in _MATH_DELIMITERS:
            inner = text[len(left) : len(text) - len(right)]
            if (
                len(text) >= len(left) + len(right)
                and text.startswith(left)
                and text.endswith(right)
                and left not in inner.replace("\\$", "")
            ):
                text = inner.strip()
                changed = True
                break
    return text
