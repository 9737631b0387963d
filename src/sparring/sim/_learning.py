"""Simulated learning: how simulated players' skills move with the rewards of a game.

The simulator does not train anything. Between self-play iterations it stands in for a training
step with a documented rule, so that what a game's rewards *would* teach can be seen offline.

The rule (ours) is one policy-gradient step per skill, in logit space. A skill ``p`` is the
probability of one action (the critic flags a wrong step; the sneaky generator picks a subtle
error). Over the iteration's games, each with action ``a`` (1 taken, 0 not) and reward ``r``
(+1 or -1 by the game's rules)::

    logit(p') = logit(p) + rate * mean(r * (a - p))

which is the REINFORCE estimate for a Bernoulli policy. With the SPC rules:

- the critic's ``recall`` moves on visible (calculation) errors and ``subtle_recall`` on subtle
  ones (misread, wrong operation): flagging a tampered step pays +1, so both only rise, fastest
  where the critic is least sure;
- its ``false_positive_rate`` moves on control steps: flagging an untouched step pays -1, so it
  only falls;
- the sneaky generator's ``subtlety`` rises when subtle errors fool the critic more often than
  visible ones do, and falls otherwise. Its ``effectiveness`` is not learned (a rewrite that is
  not wrong is discarded by validation and earns no reward).

Skills stay within ``[0.01, 0.99]``. ``rate`` is the learning rate (0 freezes the players).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sparring.sim._profile import CriticSkill, SneakySkill

__all__ = ["SpcTally", "learn_skills", "policy_step"]

_LOW, _HIGH = 0.01, 0.99


@dataclass(slots=True)
class SpcTally:
    """Scored critic calls of one iteration, by kind of step (the evidence a step learns from).

    Attributes:
        visible_caught: Calls on visibly wrong (calculation) tampered steps that said Incorrect.
        visible_missed: Calls on those steps that said Correct.
        subtle_caught: Calls on subtly wrong tampered steps that said Incorrect.
        subtle_missed: Calls on those steps that said Correct.
        control_flagged: Calls on untouched steps that said Incorrect.
        control_passed: Calls on untouched steps that said Correct.
    """

    visible_caught: int = 0
    visible_missed: int = 0
    subtle_caught: int = 0
    subtle_missed: int = 0
    control_flagged: int = 0
    control_passed: int = 0


def _logit(p: float) -> float:
    p = min(_HIGH, max(_LOW, p))
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def policy_step(p: float, outcomes: list[tuple[int, int]], rate: float) -> float:
    """One learning step of a Bernoulli skill ``p`` from ``(action, reward)`` outcomes.

    Args:
        p: The probability of taking the action.
        outcomes: ``(a, r)`` per game: ``a`` 1 if the action was taken, ``r`` its +1/-1 reward.
        rate: The learning rate.

    Returns:
        The new probability, within [0.01, 0.99] (``p`` itself when there are no outcomes).
    """
    if not outcomes or rate == 0.0:
        return p
    gradient = sum(r * (a - p) for a, r in outcomes) / len(outcomes)
    return min(_HIGH, max(_LOW, _sigmoid(_logit(p) + rate * gradient)))


def _critic_step(skill: CriticSkill, t: SpcTally, rate: float) -> CriticSkill:
    visible = [(1, 1)] * t.visible_caught + [(0, -1)] * t.visible_missed
    subtle = [(1, 1)] * t.subtle_caught + [(0, -1)] * t.subtle_missed
    control = [(1, -1)] * t.control_flagged + [(0, 1)] * t.control_passed
    return skill.model_copy(
        update={
            "recall": policy_step(skill.recall, visible, rate),
            "subtle_recall": policy_step(skill.subtle_recall, subtle, rate),
            "false_positive_rate": policy_step(skill.false_positive_rate, control, rate),
        }
    )


def _sneaky_step(skill: SneakySkill, t: SpcTally, rate: float) -> SneakySkill:
    games = (
        [(1, 1)] * t.subtle_missed
        + [(1, -1)] * t.subtle_caught
        + [(0, 1)] * t.visible_missed
        + [(0, -1)] * t.visible_caught
    )
    return skill.model_copy(update={"subtlety": policy_step(skill.subtlety, games, rate)})


def learn_skills(
    critic: CriticSkill,
    sneaky: SneakySkill,
    tally: SpcTally,
    *,
    critic_rate: float = 1.0,
    sneaky_rate: float = 1.0,
) -> tuple[CriticSkill, SneakySkill]:
    """The critic's and the sneaky generator's skills after learning from one iteration.

    Args:
        critic: The critic's skill this iteration.
        sneaky: The sneaky generator's skill this iteration.
        tally: The iteration's scored critic calls.
        critic_rate: The critic's learning rate.
        sneaky_rate: The sneaky generator's learning rate.

    Returns:
        ``(critic, sneaky)`` for the next iteration.
    """
    return _critic_step(critic, tally, critic_rate), _sneaky_step(sneaky, tally, sneaky_rate)
