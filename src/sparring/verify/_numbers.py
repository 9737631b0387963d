r"""Fast exact parsing and comparison of plain numeric answers (no sympy).

A plain number is one rational value, possibly written with a sign, thousands separators, a
decimal point, an exponent, a fraction (``3/4``, ``\frac{3}{4}``), a mixed number
(``1\frac{4}{5}``), a currency sign, a percent sign, a degree sign, a leading ``x =`` or
trailing units (``18 dollars``, ``18 \text{ cm}``, ``15\mbox{ cm}^2``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from sparring.verify._latex import unwrap_commands
from sparring.verify._normalize import TEXT_COMMANDS, prepare_latex

__all__ = ["ParsedNumber", "normalize_number", "numbers_equal", "parse_number"]

_DEC = r"(?:\d+(?:\.\d*)?|\.\d+)"
_NUMBER_RE = re.compile(
    r"(?P<sign>[+-]?)(?:"
    rf"(?P<whole>\d+)\\frac\{{(?P<mnum>\d+)\}}\{{(?P<mden>\d+)\}}"
    rf"|\\frac\{{(?P<fnum>[+-]?{_DEC})\}}\{{(?P<fden>[+-]?{_DEC})\}}"
    rf"|(?P<snum>{_DEC})/(?P<sden>{_DEC})"
    rf"|(?P<dec>{_DEC})(?:[eE](?P<exp>[+-]?\d+)"
    r"|(?:\\times|\\cdot)10\^(?:\{(?P<texp>[+-]?\d+)\}|(?P<texp1>\d)))?"
    r")"
)
_TEXT_UNIT_RE = re.compile(
    r"(?:\\(?:" + "|".join(TEXT_COMMANDS) + r")\s*\{[^{}]*\}(?:\s*\^\s*\{?\d\}?)?\s*)+$"
)
_WORD_UNIT_RE = re.compile(r"(?<=[\d.}%])\s+(?P<unit>[A-Za-z]{2,}(?:\s+[A-Za-z]+)*)(?:\^\d)?$")
_NOT_UNITS = frozenset({"pi", "inf", "infinity", "oo", "sqrt", "i", "e"})
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z]\s*=\s*")
_CURRENCY_RE = re.compile(r"\\\$|\$|£|€|¥|₹|\\euro(?![A-Za-z])|\\pounds(?![A-Za-z])")
_THOUSANDS_RE = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d,])")
_SPACED_THOUSANDS_RE = re.compile(r"(?<![\d.])\d{1,3}(?: \d{3})+(?![\d])")
_MAX_EXPONENT = 400
_PERCENT_RE = re.compile(r"\s*(?:%|\bpercent\b|\bper\s+cent\b)\s*$")


@dataclass(frozen=True)
class ParsedNumber:
    """One numeric answer.

    Attributes:
        value: The exact value, as written (a percent sign is not applied).
        percent: Whether a percent sign or word followed the number.
        decimals: Digits after the decimal point when written as a decimal without an
            exponent, else None. Used to accept a rounded decimal for a repeating fraction.
    """

    value: Fraction
    percent: bool = False
    decimals: int | None = None


def _strip_decorations(text: str) -> tuple[str, bool]:
    """Remove currency, units, a leading assignment and a percent sign around a number.

    Args:
        text: The answer string.

    Returns:
        ``(core, percent)``: what is left, and whether a percent sign was removed.
    """
    text = prepare_latex(text)
    unit = _TEXT_UNIT_RE.search(text)
    if unit and text[: unit.start()].strip():
        text = text[: unit.start()]
    text = unwrap_commands(text, TEXT_COMMANDS)
    text = _CURRENCY_RE.sub("", text).strip()
    text = _ASSIGNMENT_RE.sub("", text)
    text, percent = _strip_percent(text)
    unit = _WORD_UNIT_RE.search(text)
    if unit and unit.group("unit").lower() not in _NOT_UNITS:
        text, percent_before_unit = _strip_percent(text[: unit.start()])
        percent = percent or percent_before_unit
    text = _THOUSANDS_RE.sub(lambda m: m.group(0).replace(",", ""), text.strip())
    text = _SPACED_THOUSANDS_RE.sub(lambda m: m.group(0).replace(" ", ""), text)
    if re.search(r"\d\s+\d", text):
        return text, percent  # "3 5" is two numbers, not 35
    return re.sub(r"\s+", "", text).rstrip("."), percent


def _strip_percent(text: str) -> tuple[str, bool]:
    """Remove a trailing percent sign or word.

    Args:
        text: The answer string.

    Returns:
        ``(rest, found)``.
    """
    match = _PERCENT_RE.search(text)
    return (text[: match.start()], True) if match else (text, False)


def _value(match: re.Match[str]) -> tuple[Fraction, int | None] | None:
    """Compute the value of a full match of the number pattern.

    Args:
        match: A full match of ``_NUMBER_RE``.

    Returns:
        ``(value, decimals)``, or None for a zero denominator or a huge exponent.
    """
    g = match.groupdict()
    if g["whole"] is not None:
        den = Fraction(g["mden"])
        return (Fraction(g["whole"]) + Fraction(g["mnum"]) / den, None) if den else None
    if g["fnum"] is not None or g["snum"] is not None:
        num = Fraction(g["fnum"] or g["snum"])
        den = Fraction(g["fden"] or g["sden"])
        return (num / den, None) if den else None
    literal = g["dec"]
    exponent = g["exp"] or g["texp"] or g["texp1"]
    if exponent is not None:
        if abs(int(exponent)) > _MAX_EXPONENT:
            return None  # not worth an exact big-integer power; left to the symbolic path
        return Fraction(literal) * Fraction(10) ** int(exponent), None
    decimals = len(literal.split(".")[1]) if "." in literal else 0
    return Fraction(literal), decimals


def parse_number(text: str) -> ParsedNumber | None:
    r"""Parse an answer that is one plain number.

    Args:
        text: The answer, e.g. ``"$1,000"``, ``"-\frac{3}{4}"``, ``"25%"``, ``"18 \text{ cm}"``.

    Returns:
        The parsed number, or None when the answer is not a single plain number (an expression,
        a tuple, a variable such as ``18x``, a complex number such as ``2i``).
    """
    if len(text) > 200:
        return None
    core, percent = _strip_decorations(text)
    match = _NUMBER_RE.fullmatch(core)
    if match is None:
        return None
    parsed = _value(match)
    if parsed is None:
        return None
    value, decimals = parsed
    if match.group("sign") == "-":
        value = -value
    return ParsedNumber(value, percent, decimals)


def normalize_number(text: str) -> str | None:
    r"""Return a canonical string for a plain-number answer.

    Integers come out as ``"1000"``, other rationals as a reduced fraction ``"3/4"``; a percent
    sign is kept as a suffix (``"25%"``).

    Args:
        text: The answer, e.g. ``"1,000"``, ``"0.750"``, ``"\dfrac{3}{4}"``, ``"\$18"``.

    Returns:
        The canonical string, or None when ``text`` is not a plain number.
    """
    parsed = parse_number(text)
    if parsed is None:
        return None
    return f"{parsed.value}{'%' if parsed.percent else ''}"


def _terminates(value: Fraction) -> bool:
    """Tell whether ``value`` has a finite decimal expansion.

    Args:
        value: A rational number.

    Returns:
        True when the reduced denominator has no prime factors other than 2 and 5.
    """
    den = value.denominator
    for prime in (2, 5):
        while den % prime == 0:
            den //= prime
    return den == 1


def _close(a: Fraction, a_decimals: int | None, b: Fraction, b_decimals: int | None) -> bool:
    """Compare two values exactly, or a rounded decimal against a repeating fraction.

    Args:
        a: First value.
        a_decimals: Decimal places ``a`` was written with, or None.
        b: Second value.
        b_decimals: Decimal places ``b`` was written with, or None.

    Returns:
        True when ``a == b``, or when one side is a decimal with at least 3 places and the
        other a non-terminating fraction that rounds to it (``0.333`` == ``1/3``).
    """
    if a == b:
        return True
    for dec, x, y in ((a_decimals, a, b), (b_decimals, b, a)):
        if dec is not None and dec >= 3 and not _terminates(y) and round(y, dec) == x:
            return True
    return False


def _readings(number: ParsedNumber, other_percent: bool) -> list[tuple[Fraction, int | None]]:
    """List the values a number may stand for, given whether the other side had a percent.

    Args:
        number: One side.
        other_percent: Whether the other side had a percent sign.

    Returns:
        ``[(value, decimals)]``: only the value as written, plus ``value / 100`` when this side
        alone has a percent sign.
    """
    readings = [(number.value, number.decimals)]
    if number.percent and not other_percent:
        shifted = None if number.decimals is None else number.decimals + 2
        readings.append((number.value / 100, shifted))
    return readings


def numbers_equal(a: ParsedNumber, b: ParsedNumber) -> bool:
    """Decide whether two plain numbers are the same answer.

    The percent rule: when only one side has a percent sign, it matches the other side's
    number either as written or divided by 100, so ``25%`` equals both ``25`` (what GSM8K
    graders accept) and ``0.25``; ``25`` and ``0.25`` stay different, and two percentages
    compare as written.

    Args:
        a: One answer.
        b: The other answer.

    Returns:
        True when some reading of ``a`` equals some reading of ``b`` under :func:`_close`.
    """
    return any(
        _close(x, x_dec, y, y_dec)
        for x, x_dec in _readings(a, b.percent)
        for y, y_dec in _readings(b, a.percent)
    )
