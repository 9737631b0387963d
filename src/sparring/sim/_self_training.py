"""Simulated self-training: how an actor's skills move when it is fine-tuned on its own samples.

The simulator trains nothing. Between the iterations of a self-taught reasoning run (STaR,
rejection-sampling fine-tuning, B-STaR) it stands in for one SFT step on the samples the reward
selected, with a documented rule (ours) that has the two effects B-STaR measures:

- **accuracy** moves toward the precision of the selected data (the share of it that is
  right): selection that lets wrong samples through teaches wrong answers. The step is scaled
  by how much *new* right data there is: per item ``min(unique right samples / n*, 1)``, so
  a hundred copies of one right solution teach little more than one::

      accuracy' = accuracy + rate * mean_i(min(u_i / n*, 1)) * (precision - accuracy)

- **diversity** (``ActorSkill.diversity``) shrinks: a model tuned on its own outputs puts
  more mass on its mode. Varied training data slows the collapse::

      diversity' = diversity * (1 - collapse * (1 - distinct_share / 2))

  where ``distinct_share`` is the share of selected samples whose text no other selected
  sample of the item repeats.

Skills stay within ``[0.01, 0.99]``; ``rate`` 0 and ``collapse`` 0 freeze the actor.
"""

from __future__ import annotations

from dataclasses import dataclass

from sparring.sim._profile import ActorSkill

__all__ = ["SelfTrainingTally", "self_train"]

_LOW, _HIGH = 0.01, 0.99


@dataclass(frozen=True, slots=True)
class SelfTrainingTally:
    """The selected (training) samples of one iteration.

    Attributes:
        selected: Samples selected, over all items.
        selected_correct: Those that are right by the gold answer.
        selected_distinct: Those whose text is unique among the item's selected samples.
        novelty: Mean over items of ``min(unique right selected / n*, 1)``.
    """

    selected: int
    selected_correct: int
    selected_distinct: int
    novelty: float


def _clip(p: float) -> float:
    return min(_HIGH, max(_LOW, p))


def self_train(
    actor: ActorSkill, tally: SelfTrainingTally, *, rate: float = 0.5, collapse: float = 0.35
) -> ActorSkill:
    """The actor's skill after one simulated SFT step on an iteration's selected samples.

    Args:
        actor: The actor's skill this iteration.
        tally: What the reward selected.
        rate: Learning rate of accuracy.
        collapse: How fast diversity falls per step.

    Returns:
        The skill for the next iteration (unchanged when nothing was selected).
    """
    if tally.selected == 0:
        return actor
    precision = tally.selected_correct / tally.selected
    accuracy = actor.accuracy + rate * tally.novelty * (precision - actor.accuracy)
    distinct = tally.selected_distinct / tally.selected
    diversity = actor.diversity * (1.0 - collapse * (1.0 - distinct / 2.0))
    return actor.model_copy(update={"accuracy": _clip(accuracy), "diversity": _clip(diversity)})
