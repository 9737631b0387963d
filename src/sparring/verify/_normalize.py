"""String normalization of answers: cleaning an extracted span, and a canonical comparison form."""

from __future__ import annotations

import re

from sparring.verify._latex import (
    fix_shorthand,
    last_boxed,
    strip_math_delimiters,
    unwrap_commands,
)

__all__ = ["TEXT_COMMANDS", "canonical", "clean_answer", "prepare_latex"]

TEXT_COMMANDS = ("text", "textbf", "textit", "textrm", "textnormal", "mbox", "mathrm", "mathbf")

_MARKDOWN_RE = re.compile(r"\*\*|__")
# Not "!": "5!" is a factorial.
_TRAILING_PUNCT = ".,;:"
_WHOLE_TEXT_RE = re.compile(r"\\(?:" + "|".join(TEXT_COMMANDS) + r")\s*\{")
_LEFT_RIGHT_RE = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![A-Za-z])\s*")
_NULL_DELIMITER_RE = re.compile(r"\\(?:left|right)\s*\.")
_THIN_SPACE_RE = re.compile(r"\\[!,]|\{,\}")
_WIDE_SPACE_RE = re.compile(r"\\(?:quad|qquad)(?![A-Za-z])|\\[;: ]|~")
_DEGREES_RE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree(?![A-Za-z])")
_STYLE_FRAC_RE = re.compile(r"\\[dt]frac(?![A-Za-z])")
_STYLE_BINOM_RE = re.compile(r"\\[dt]binom(?![A-Za-z])")
_CHOICE_RE = re.compile(r"^\(([A-Z])\)$")


def _strip_outer_text(text: str) -> str:
    r"""Unwrap a text command that encloses the whole answer, e.g. ``\text{(B)}``.

    Args:
        text: The answer string.

    Returns:
        The content of the wrapper, or ``text`` unchanged when the command does not span it.
    """
    match = _WHOLE_TEXT_RE.match(text)
    if match and text.endswith("}"):
        inner = text[match.end() : -1]
        if _balanced(inner):
            return inner.strip()
    return text


def _balanced(text: str) -> bool:
    """Tell whether the unescaped braces of ``text`` balance and never go negative.

    Args:
        text: The string to check.

    Returns:
        True when every ``{`` has its ``}``.
    """
    depth = 0
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth < 0:
            return False
        i += 1
    return depth == 0


def clean_answer(text: str) -> str | None:
    r"""Tidy a raw answer span taken from a solution.

    Takes the content of a ``\boxed{}`` inside the span, then repeatedly strips markdown bold,
    math delimiters, trailing sentence punctuation and a ``\text{...}`` wrapper that spans the
    whole answer. Units written inside the answer (``18 \text{ cm}``) are kept: ``is_equiv``
    handles them.

    Args:
        text: The raw span.

    Returns:
        The cleaned answer, or None when nothing is left.
    """
    boxed = last_boxed(text)
    if boxed is not None:
        text = boxed
    previous = None
    while previous != text:
        previous = text
        text = _MARKDOWN_RE.sub("", text).strip()
        text = strip_math_delimiters(text)
        text = text.rstrip(_TRAILING_PUNCT).rstrip()
        text = _strip_outer_text(text)
    return text or None


def prepare_latex(text: str) -> str:
    r"""Rewrite LaTeX spelling variants that do not change meaning, keeping the spaces.

    Removes math delimiters, ``\left``/``\right`` sizing, thin spaces and the degree sign;
    maps ``\dfrac``/``\tfrac`` to ``\frac``, wide spacing commands to a space and ``\%``
    to ``%``; braces shorthand ``\frac12``.

    Args:
        text: An answer string.

    Returns:
        The rewritten string.
    """
    text = strip_math_delimiters(text)
    text = _NULL_DELIMITER_RE.sub("", text)
    text = _LEFT_RIGHT_RE.sub("", text)
    text = _THIN_SPACE_RE.sub("", text)
    text = _WIDE_SPACE_RE.sub(" ", text)
    text = _DEGREES_RE.sub("", text)
    text = _STYLE_FRAC_RE.sub(r"\\frac", text)
    text = _STYLE_BINOM_RE.sub(r"\\binom", text)
    text = text.replace("\\%", "%").replace("−", "-")
    return fix_shorthand(text).strip()


def canonical(text: str) -> str:
    """Return a canonical string form for exact comparison of two answers.

    On top of :func:`prepare_latex`, unwraps text commands, drops dollar signs and
    whitespace (except between two digits), braces one-character sub- and superscripts,
    strips trailing sentence punctuation and turns a choice ``(B)`` into ``B``.

    Args:
        text: An answer string.

    Returns:
        The canonical form; two answers with the same form are equivalent.
    """
    text = prepare_latex(text)
    text = unwrap_commands(text, TEXT_COMMANDS)
    text = text.replace("\\$", "").replace("$", "")
    text = re.sub(r"([_^])([A-Za-z0-9])", r"\1{\2}", text)
    text = re.sub(r"(?<=\d)\s+(?=\d)", " ", text)  # "3 5" is two numbers, not 35
    text = re.sub(r"(?<!\d)\s+|\s+(?!\d)", "", text).rstrip(_TRAILING_PUNCT)
    choice = _CHOICE_RE.match(text)
    return choice.group(1) if choice else text
