"""Checks of graph factory options: one place, one message shape, naming the option."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, TypeVar

from sparring.errors import ConfigError

__all__ = ["check_choice", "check_range"]

N = TypeVar("N", int, float)
C = TypeVar("C", bound=str)


def check_range(
    name: str,
    value: N,
    low: float,
    high: float | None = None,
    *,
    integer: bool = False,
    open_low: bool = False,
) -> N:
    """Return ``value`` if it is a finite number in range, else raise ``ConfigError``.

    Args:
        name: The option's name, for the message.
        value: Its value (a bool is not a number here).
        low: The smallest allowed value (excluded when ``open_low``).
        high: The largest allowed value (no upper bound when None).
        integer: Require an int.
        open_low: Exclude ``low`` itself.
    """
    number: Any = value
    kind = "an integer" if integer else "a number"
    ok = isinstance(number, int if integer else int | float) and not isinstance(number, bool)
    ok = ok and math.isfinite(number)
    ok = ok and (low < number if open_low else low <= number)
    ok = ok and (high is None or number <= high)
    if not ok:
        bounds = (
            (f"> {low:g}" if open_low else f">= {low:g}")
            if high is None
            else (f"in {'(' if open_low else '['}{low:g}, {high:g}]")
        )
        raise ConfigError(f"{name} must be {kind} {bounds}, got {value!r}")
    return value


def check_choice(name: str, value: C, allowed: Iterable[str]) -> C:
    """Return ``value`` if it is one of ``allowed``, else raise ``ConfigError``."""
    options = list(allowed)
    if value not in options:
        raise ConfigError(f"{name} must be one of {', '.join(map(repr, options))}, got {value!r}")
    return value
