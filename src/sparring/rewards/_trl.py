"""``UnscoredCallback``: the unscored counts of sparring rewards in a transformers Trainer's logs.

GRPO passes reward functions a ``log_metric`` hook, which :class:`RewardFunction` uses
(``rewards/<name>/unscored``, the mean per batch); other trainers (Online-DPO) do not. This
callback adds ``rewards/unscored`` (and ``unscored/<name>`` per reward): the samples left
without a reward since the previous log. A Trainer appends each log to ``state.log_history``
and calls its reporting integrations (wandb, tensorboard) before the callbacks it was given;
the callback therefore also completes that log_history entry, and :meth:`install` puts it
first, so the reporters see the counts too. Importing this module imports transformers.
"""

from __future__ import annotations

from typing import Any, Self

from transformers import TrainerCallback  # type: ignore[import-not-found, unused-ignore]

from sparring.rewards._function import Counted, unscored_logs

__all__ = ["UnscoredCallback"]


class UnscoredCallback(TrainerCallback):  # type: ignore[misc, unused-ignore]
    """Log how many samples each reward left unscored since the trainer's last log.

    Args:
        *rewards: The rewards given to the trainer (``RewardFunction`` or ``require_scores``).

    Example:
        >>> trainer = OnlineDPOTrainer(..., reward_funcs=[reward])  # doctest: +SKIP
        >>> UnscoredCallback(reward).install(trainer)  # doctest: +SKIP
    """

    def __init__(self, *rewards: Counted) -> None:
        if not rewards:
            raise ValueError("UnscoredCallback needs at least one reward to count")
        self.rewards = rewards

    def install(self, trainer: Any) -> Self:
        """Add this callback to ``trainer`` ahead of its reporting integrations."""
        trainer.callback_handler.callbacks.insert(0, self)
        return self

    def on_log(
        self,
        args: Any,
        state: Any,
        control: Any,
        logs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        """Add the counts to ``logs`` and to the log_history entry the trainer just made."""
        if logs is None:
            return
        counts = unscored_logs(self.rewards)
        logs.update(counts)
        history = getattr(state, "log_history", None)
        if history and history[-1].get("step") == getattr(state, "global_step", None):
            history[-1].update(counts)
