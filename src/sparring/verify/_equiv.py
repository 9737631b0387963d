"""Answer equivalence: a fast exact path for plain answers, math-verify for the rest."""

from __future__ import annotations

import functools
import re

from sparring.verify._extract import extract_answer
from sparring.verify._latex import unwrap_commands
from sparring.verify._normalize import TEXT_COMMANDS, canonical, prepare_latex
from sparring.verify._numbers import numbers_equal, parse_number
from sparring.verify._symbolic import symbolic_equiv

__all__ = ["fast_equiv", "is_equiv"]

_WORDS_RE = re.compile(r"[A-Za-z][A-Za-z'\- ]*")
_MATH_WORDS = frozenset({"pi", "oo", "inf", "infinity"})

# Answer clustering compares every sample's answer with the gold answer and with each bucket's
# first answer, so the same few strings are normalised over and over. The per-string steps are
# pure functions of the string, with immutable results: memoise them (bounded).
_MEMO_SIZE = 4096
_canonical = functools.lru_cache(maxsize=_MEMO_SIZE)(canonical)
_parse_number = functools.lru_cache(maxsize=_MEMO_SIZE)(parse_number)
_prepare_latex = functools.lru_cache(maxsize=_MEMO_SIZE)(prepare_latex)


def is_equiv(pred: str | None, gold: str | None) -> bool:
    r"""Tell whether a predicted answer means the same as the reference answer.

    Plain answers are decided exactly without sympy: identical canonical strings (ignoring
    ``$``, spacing, ``\left``/``\right``, ``\dfrac``/``\tfrac``, ``\text{}`` wrappers,
    degree signs), plain numbers (see :func:`sparring.verify.normalize_number`; ``1,000`` ==
    ``1000``, ``.5`` == ``0.50``, ``3/4`` == ``0.75``, ``$18`` == ``18 dollars``), word answers
    (case-insensitive), and bracketed tuples or intervals whose items are all plain. The percent
    rule: a number with a percent sign on one side only matches the other number as written or
    divided by 100 (``25%`` == ``25`` == GSM8K practice, and ``25%`` == ``0.25``), while
    ``25`` != ``0.25``. A decimal with 3 or more places matches a repeating fraction it rounds
    from (``0.333`` == ``1/3``). Anything else goes to math-verify (symbolic LaTeX equivalence),
    bounded in time and never raising.

    Args:
        pred: The predicted answer, e.g. from :func:`sparring.verify.extract_answer`.
        gold: The reference answer (a whole GSM8K solution counts as its ``#### N`` line).

    Returns:
        True when equivalent; False when not, when either side is None or empty, or when
        math-verify cannot decide.
    """
    if pred is None or gold is None or not pred.strip() or not gold.strip():
        return False
    if "####" in gold:
        # A whole GSM8K solution given as the gold answer (its data files' ``answer`` field):
        # the answer is its final line, not every number the worked solution mentions.
        gold = extract_answer(gold) or gold
    if pred == gold:  # identical strings have identical canonical forms: no need to normalise
        return True
    decided = fast_equiv(pred, gold)
    if decided is not None:
        return decided
    return symbolic_equiv(_prepare_latex(pred), _prepare_latex(gold))


def fast_equiv(pred: str, gold: str) -> bool | None:
    """Decide equivalence of plain answers without sympy.

    Args:
        pred: The predicted answer.
        gold: The reference answer.

    Returns:
        True or False when the fast rules decide, None when symbolic comparison is needed.
    """
    decided = _scalar_equiv(pred, gold)
    if decided is not None:
        return decided
    pred_words, gold_words = _words(pred), _words(gold)
    if pred_words is not None or gold_words is not None:
        return pred_words == gold_words
    return _sequence_equiv(pred, gold)


def _scalar_equiv(pred: str, gold: str) -> bool | None:
    """Compare canonical strings, then plain numbers.

    Args:
        pred: The predicted answer.
        gold: The reference answer.

    Returns:
        True on identical canonical forms, the numeric verdict when both are plain numbers,
        else None.
    """
    if _canonical(pred) == _canonical(gold):
        return True
    pred_number, gold_number = _parse_number(pred), _parse_number(gold)
    if pred_number is not None and gold_number is not None:
        return numbers_equal(pred_number, gold_number)
    return None


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _words(answer: str) -> str | None:
    r"""Return the lower-cased words of an answer made only of words, else None.

    Args:
        answer: An answer string such as ``\text{Evelyn}`` or ``no solution``.

    Returns:
        The words joined by single spaces, lower-cased, when the answer is plain text with a
        word of three or more letters (so that variables like ``x`` or ``ab`` are not text);
        otherwise None.
    """
    text = unwrap_commands(_prepare_latex(answer), TEXT_COMMANDS).strip().rstrip(".")
    if not _WORDS_RE.fullmatch(text) or text.lower() in _MATH_WORDS:
        return None
    words = text.lower().split()
    if not any(len(word) >= 3 for word in words):
        return None
    return " ".join(words)


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _split_sequence(answer: str) -> tuple[str, tuple[str, ...], str] | None:
    r"""Split a bracketed tuple or interval such as ``(1, \frac{1}{2}]`` into its items.

    Args:
        answer: An answer string.

    Returns:
        ``(opening bracket, items, closing bracket)`` when the whole answer is one bracketed
        group of two or more comma-separated items, else None.
    """
    text = _prepare_latex(answer)
    if len(text) < 2 or text[0] not in "([" or text[-1] not in ")]":
        return None
    items: list[str] = []
    depth, start, i = 0, 1, 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return None
        elif char == "," and depth == 1:
            items.append(text[start:i])
            start = i + 1
        i += 1
    items.append(text[start:-1])
    if depth != 0 or len(items) < 2 or not all(item.strip() for item in items):
        return None
    return text[0], tuple(items), text[-1]


def _sequence_equiv(pred: str, gold: str) -> bool | None:
    """Compare two tuples or intervals item by item with the fast rules.

    Args:
        pred: The predicted answer.
        gold: The reference answer.

    Returns:
        False when both are sequences of the same shape and an item differs, True when every
        item matches and the brackets agree, None when undecided.
    """
    pred_seq, gold_seq = _split_sequence(pred), _split_sequence(gold)
    if pred_seq is None or gold_seq is None or len(pred_seq[1]) != len(gold_seq[1]):
        return None
    verdicts = [_scalar_equiv(p, g) for p, g in zip(pred_seq[1], gold_seq[1], strict=True)]
    if False in verdicts:
        return False
    if None in verdicts:
        return None
    if (pred_seq[0], pred_seq[2]) == (gold_seq[0], gold_seq[2]):
        return True
    return None
