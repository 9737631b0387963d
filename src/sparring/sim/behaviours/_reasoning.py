"""Shared pieces of the reasoning-graph behaviours (CoVe, S2A, FOBAR); registers nothing.

Focused questions. The actor's ``accuracy`` is the chance of solving a whole world problem,
which the actor behaviour spreads over the problem's steps as a per-step error. A focused
question (one event of a problem, one sentence to keep or drop, one inverse step) is answered
with that same per-step reliability, taken at the world's typical problem length
(``TYPICAL_STEPS``, the mean number of gold steps over ``SimWorld`` problems), so no new
skill knob is needed: the default accuracy 0.6 gives about 13% error per focused step at
temperature 0.7.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sparring.sim._arith import ArithmeticTask
from sparring.sim._context import SimContext

__all__ = [
    "TYPICAL_STEPS",
    "Event",
    "close",
    "events",
    "focused_error",
    "start_value",
]

TYPICAL_STEPS = 3.6
"""Mean gold steps per world problem (measured over 2,000 ``SimWorld`` problems: 3.62)."""

_SPLIT_RE = re.compile(r"(?<=[.?])\s+")
_START_RE = re.compile(r"has (\d+) ")


@dataclass(frozen=True, slots=True)
class Event:
    """One sentence of a problem that changes the quantity, and the gold steps it covers.

    Attributes:
        sentence: The sentence as the problem writes it.
        first_step: Index of its first gold step.
        n_steps: How many gold steps it covers (2 for boxes bought, else 1).
    """

    sentence: str
    first_step: int
    n_steps: int

    @property
    def last_step(self) -> int:
        """Index of its last gold step."""
        return self.first_step + self.n_steps - 1


def focused_error(ctx: SimContext, *, gain: float = 0.0) -> float:
    """Per-step error of one focused step: the actor's per-step skill at a typical length.

    Args:
        ctx: The request (its profile and temperature).
        gain: Share of errors avoided (e.g. ``refine_gain`` when rechecking with care).
    """
    accuracy = ctx.profile.actor.accuracy
    p = 1.0 - float(accuracy ** (1.0 / TYPICAL_STEPS))
    p = 1.0 - float((1.0 - p) ** max(1.0, ctx.temperature))
    return p * (1.0 - gain)


def events(task: ArithmeticTask) -> list[Event]:
    """The problem's events in order, each mapped to the gold steps it covers."""
    parts = [p for p in _SPLIT_RE.split(task.question) if p.strip()]
    out: list[Event] = []
    step = 0
    for sentence in parts[1:-1]:
        n = 2 if " boxes with " in sentence else 1
        out.append(Event(sentence.strip(), step, n))
        step += n
    return out


def start_value(task: ArithmeticTask) -> float:
    """The quantity the problem starts with."""
    found = _START_RE.search(task.question)
    return float(found.group(1)) if found else 0.0


def close(x: float | None, y: float | None) -> bool:
    """Whether two numbers are equal up to rounding (None is never close)."""
    if x is None or y is None:
        return False
    return abs(x - y) <= 1e-6 * max(1.0, abs(y))
