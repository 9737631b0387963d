"""Reading a self-rating: P(True) from the first token's log probabilities, or a verbal estimate.

Kadavath et al. (2022) read P(True) as the probability the model puts on the token "True"
when asked whether its proposed answer is correct. Backends return the sampled token's log
probability and, when asked, its top alternatives; both "True" and "False" usually appear
among them, and the probability is renormalised over the two. A verbal estimate is read from
the rater's last ``Confidence: NN%`` line (a bare probability such as 0.7 is read too).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sparring.models import Completion

__all__ = ["ConfidenceReading", "p_true_from_logprobs", "parse_verbal_confidence"]

_CONF_RE = re.compile(r"confidence\s*[:=]\s*\**\s*(\d+(?:\.\d+)?)\s*(%?)", re.IGNORECASE)
_WORDS = {"true": True, "false": False, "(a)": True, "(b)": False, "a": True, "b": False}


@dataclass(frozen=True, slots=True)
class ConfidenceReading:
    """A probability read from a rating (``value``), or why none could be read (``reason``)."""

    value: float | None
    reason: str | None = None


def _side(token: str) -> bool | None:
    return _WORDS.get(token.strip().strip(".:*\"'").lower())


def p_true_from_logprobs(completion: Completion) -> ConfidenceReading:
    """P(True) from the first readable token of ``completion``.

    Returns:
        The probability renormalised over True and False when the alternatives name both; the
        sampled token's own probability (or one minus it, for False) otherwise. A reading
        with ``value=None`` says why: no log probabilities, or no True/False token.
    """
    if not completion.logprobs:
        return ConfidenceReading(None, "no_logprobs")
    for token in completion.logprobs:
        side = _side(token.token)
        if side is None:
            if token.token.strip():
                break  # the reply opens with something else: not a True/False answer
            continue
        mass = {True: 0.0, False: 0.0}
        for alt in token.top_logprobs:
            alt_side = _side(alt.token)
            if alt_side is not None:
                mass[alt_side] += math.exp(alt.logprob)
        if mass[True] > 0.0 and mass[False] > 0.0:
            return ConfidenceReading(mass[True] / (mass[True] + mass[False]))
        p = math.exp(token.logprob)
        return ConfidenceReading(p if side else 1.0 - p)
    return ConfidenceReading(None, "parse_failure: no True/False token")


def parse_verbal_confidence(text: str) -> ConfidenceReading:
    """The last ``Confidence: NN%`` (or ``Confidence: 0.NN``) in ``text``, as a probability."""
    found = _CONF_RE.findall(text)
    if not found:
        return ConfidenceReading(None, "parse_failure: no 'Confidence: NN%' line")
    number, percent = found[-1]
    value = float(number)
    if percent or value > 1.0:
        value /= 100.0
    if not 0.0 <= value <= 1.0:
        return ConfidenceReading(None, f"parse_failure: confidence {number}{percent} out of range")
    return ConfidenceReading(value)
