"""A number for every sample, for trainers that would turn ``None`` into 0 without a word.

TRL's Online-DPO sums reward functions with ``nansum``: an unscored sample (``None``) counts
as 0, and a run whose judge is down trains on nothing. OpenRLHF needs a number per sample.
``require_scores`` refuses that silent zero: by default an unscored sample raises
:class:`UnscoredSamplesError` with the causes named; ``fill=`` is the explicit, recorded
policy of standing in a number (the samples it stood in for are still counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sparring.rewards._function import BatchReport, RewardFunction

__all__ = ["NumericReward", "UnscoredSamplesError", "require_scores"]


class UnscoredSamplesError(RuntimeError):
    """Some samples have no reward and no ``fill`` policy says what to stand in."""


class NumericReward:
    """A reward that returns a number for every sample (see :func:`require_scores`).

    Attributes:
        reward: The wrapped reward (its ``last_batch`` and counts stay up to date).
        fill: The number that stands in for an unscored sample, or None to raise.
    """

    def __init__(self, reward: RewardFunction, fill: float | None) -> None:
        self.reward = reward
        self.fill = fill
        self.__name__ = reward.__name__
        self.config: dict[str, Any] = {**reward.config, "unscored_fill": fill}

    def _complete(self, values: list[float | None]) -> list[float]:
        missing = sum(v is None for v in values)
        if missing and self.fill is None:
            raise UnscoredSamplesError(
                f"{self.__name__}: {missing} of {len(values)} samples unscored "
                f"({self.reward.last_batch.describe()}); this trainer would count them as 0. "
                "Fix the cause, or choose a stand-in knowingly with require_scores(..., fill=X)"
            )
        fill = 0.0 if self.fill is None else self.fill
        return [fill if v is None else v for v in values]

    def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any
    ) -> list[float]:
        """Score a batch (sync), every sample a number."""
        return self._complete(self.reward(prompts, completions, **columns))

    async def acall(
        self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any
    ) -> list[float]:
        """Score a batch (async), every sample a number."""
        return self._complete(await self.reward.acall(prompts, completions, **columns))

    def take_counts(self) -> BatchReport:
        """The wrapped reward's counts since the last call."""
        return self.reward.take_counts()


def require_scores(reward: RewardFunction, *, fill: float | None = None) -> NumericReward:
    """Wrap ``reward`` for a trainer that needs a number per sample (Online-DPO, OpenRLHF).

    Args:
        reward: The reward.
        fill: Stand in this number for an unscored sample (counted, and recorded in
            ``config["unscored_fill"]``); None (the default) raises instead.

    Returns:
        A callable with TRL's reward signature returning ``list[float]``.

    Raises:
        UnscoredSamplesError: (When called) a sample is unscored and ``fill`` is None.
    """
    return NumericReward(reward, fill)
