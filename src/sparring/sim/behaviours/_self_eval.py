"""The actor rating its own answer: P(True) as a True/False token, or a verbal confidence.

The rating starts from the truth of the proposed answer (the task's gold) and the actor's
skills: ``self_knowledge`` sets how far apart its ratings of right and wrong answers sit,
``overconfidence`` shifts them all up, and a draw of noise per rating keeps them imperfect.
So a test can check that ratings are informative (AUROC above chance) without being an oracle.
"""

from __future__ import annotations

import math
import random

from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._types import SimToken, TokenText

__all__ = ["belief", "rate_true_false", "rate_verbally"]

_NOISE = 1.2  # log-odds spread of one rating around the actor's belief
_RIGHT = 0.75  # true quality from which a proposed answer counts as right


def _signal(ctx: SimContext, proposed: str) -> float:
    """+1 for a right answer, -1 for a wrong one, a graded value for open tasks, 0 unknown."""
    if ctx.task is None and ctx.gold is None:
        return 0.0  # nothing to know: the rating is all prior and noise
    q = ctx.quality(proposed)
    if ctx.arithmetic is not None or ctx.gold is not None:
        return 1.0 if q >= _RIGHT else -1.0
    return 2.0 * q - 1.0


def belief(ctx: SimContext, rng: random.Random) -> float:
    """The actor's probability that the proposed answer is right, drawn from its skills."""
    skill = ctx.profile.actor
    proposed = ctx.blocks.get("PROPOSED ANSWER", "")
    logit = skill.overconfidence + skill.self_knowledge * _signal(ctx, proposed)
    logit += rng.gauss(0.0, _NOISE)
    return min(0.995, max(0.005, 1.0 / (1.0 + math.exp(-logit))))


def rate_true_false(ctx: SimContext, rng: random.Random) -> str:
    """One word, ``True`` or ``False``, with the belief as its token distribution."""
    p = belief(ctx, rng)
    said_true = p >= 0.5 if ctx.temperature <= 0.0 else rng.random() < p
    top = sorted((("True", math.log(p)), ("False", math.log(1.0 - p))), key=lambda t: -t[1])
    word = "True" if said_true else "False"
    lp = math.log(p if said_true else 1.0 - p)
    return TokenText(word, [SimToken(word, lp, tuple(top))])


def rate_verbally(ctx: SimContext, rng: random.Random) -> str:
    """A short justification and ``Confidence: NN%`` (rounded to 5%, as people write it)."""
    p = belief(ctx, rng)
    percent = int(5 * round(20 * p))
    why = (
        "The steps look consistent with the question."
        if p >= 0.5
        else "Some of the working does not look right to me."
    )
    if ctx.malformed(ctx.profile.actor.malformed_rate, rng):
        return why
    return f"{why}\nConfidence: {percent}%"


def _asks_rating(ctx: SimContext) -> bool:
    return "PROPOSED ANSWER" in ctx.blocks


register_behaviour(
    "actor.p_true",
    rate_true_false,
    detect=lambda c: _asks_rating(c) and c.asks("True or False"),
    priority=17,
)
register_behaviour(
    "actor.confidence",
    rate_verbally,
    detect=lambda c: _asks_rating(c) and c.asks("Confidence:"),
    priority=18,
)
