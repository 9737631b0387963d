"""Guarded, lazily imported symbolic equivalence through ``math-verify``.

``math_verify`` pulls in sympy (slow to import), so it is imported on first use only. Every call
is wrapped so that nothing it raises escapes, and runtime is bounded:

* On POSIX, in the main thread, math-verify's own ``signal.alarm`` timeouts are used
  (``PARSE_TIMEOUT_S`` per parse, ``VERIFY_TIMEOUT_S`` per comparison). Note that the alarm
  replaces any ``SIGALRM`` alarm the caller had pending.
* Elsewhere (other threads, where ``signal`` cannot be used, or Windows, where math-verify would
  spawn a process per call) no timeout is available, so inputs that can make sympy run for a long
  time (huge exponents, factorials, very long answers) are refused and compare as not equal.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_SYMBOLIC_CHARS", "PARSE_TIMEOUT_S", "VERIFY_TIMEOUT_S", "symbolic_equiv"]

MAX_SYMBOLIC_CHARS = 400
PARSE_TIMEOUT_S = 3
VERIFY_TIMEOUT_S = 3

# Exponents with 3+ digits (also 1e999) or a nested power, factorials, and binomials: cheap
# to write, possibly very slow for sympy to evaluate.
_HAZARD_RE = re.compile(
    r"\^\s*\{?\s*[-+]?\d{3,}|\^\s*\{[^}]*\^|!|\\binom|\\choose|\d[eE][-+]?\d{3,}"
)


@functools.cache
def _load() -> tuple[Callable[..., Any], Callable[..., Any], type[BaseException]] | None:
    """Import math-verify once.

    Returns:
        ``(parse, verify, TimeoutException)``, or None when math-verify is not installed.
    """
    try:
        from math_verify import parse, verify
        from math_verify.errors import TimeoutException
    except ImportError:  # pragma: no cover - it is a declared dependency
        return None
    return parse, verify, TimeoutException


def _alarm_usable() -> bool:
    """Tell whether math-verify's ``signal.alarm`` timeouts can run in this context.

    Returns:
        True on POSIX in the main thread.
    """
    return os.name == "posix" and threading.current_thread() is threading.main_thread()


def _as_latex(answer: str) -> str:
    r"""Wrap an answer so that math-verify reads it whole, as LaTeX.

    Args:
        answer: The answer string (no surrounding math delimiters).

    Returns:
        ``\boxed{answer}`` with bare ``%`` escaped (a bare ``%`` starts a LaTeX comment).
    """
    escaped = re.sub(r"(?<!\\)%", r"\\%", answer)
    return "\\boxed{" + escaped + "}"


def symbolic_equiv(pred: str, gold: str) -> bool:
    """Compare two answers with math-verify, never raising and within a time bound.

    Args:
        pred: The predicted answer.
        gold: The reference answer (math-verify is not symmetric; the gold side matters for
            assignments such as ``x = 5`` and for intervals versus inequalities).

    Returns:
        True when math-verify finds them equivalent; False when it does not, cannot parse
        either side, fails, times out, or the inputs are refused.
    """
    bounded = _alarm_usable()
    if len(pred) > MAX_SYMBOLIC_CHARS or len(gold) > MAX_SYMBOLIC_CHARS:
        return False
    if not bounded and (_HAZARD_RE.search(pred) or _HAZARD_RE.search(gold)):
        return False
    return _cached_verify(pred, gold, bounded)


@functools.lru_cache(maxsize=4096)
def _cached_verify(pred: str, gold: str, bounded: bool) -> bool:
    """Run math-verify on a pair (memoized: a gold answer is often checked many times).

    Args:
        pred: The predicted answer.
        gold: The reference answer.
        bounded: Whether math-verify's alarm timeouts may be used.

    Returns:
        math-verify's verdict, False on any failure.
    """
    loaded = _load()
    if loaded is None:  # pragma: no cover
        return False
    parse, verify, timeout_error = loaded
    parse_timeout = PARSE_TIMEOUT_S if bounded else None
    verify_timeout = VERIFY_TIMEOUT_S if bounded else None
    try:
        gold_parsed = parse(_as_latex(gold), parsing_timeout=parse_timeout)
        pred_parsed = parse(_as_latex(pred), parsing_timeout=parse_timeout)
        if not gold_parsed or not pred_parsed:
            return False
        return bool(verify(gold_parsed, pred_parsed, timeout_seconds=verify_timeout))
    except (Exception, timeout_error):
        return False
