"""OpenRLHF's reward contract (0.11.2), shared by the reward-function file and the HTTP server.

OpenRLHF scores each rollout with ``reward_func(queries, prompts, labels)`` (a Python file
given to ``--reward.remote_url``) or by POSTing ``{"query": [...], "prompts": [...], "labels":
[...]}`` to an HTTP reward server. ``queries`` are the decoded prompt-plus-completion
sequences with special tokens kept (the chat template and ``<|im_end|>``); ``prompts`` are
the templated prompts; ``labels`` are the ``--data.label_key`` column or ``None``. It wants
back ``{"rewards": ..., "scores": ..., "extra_logs": {...}}``, one reward per query: ``rewards``
drive the advantages, ``scores`` the dynamic filtering, and every ``extra_logs`` value is
logged as a metric (here ``unscored``: the samples no reward could be given to). OpenRLHF
has no "no reward": an unscored sample raises unless ``missing`` names the stand-in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sparring.rewards._function import RewardFunction
from sparring.rewards._policy import UnscoredSamplesError
from sparring.rewards._text import prompt_text, split_query

__all__ = ["OpenRLHFBatch", "OpenRLHFScores", "openrlhf_reward_func", "score_openrlhf"]


@dataclass(frozen=True)
class OpenRLHFBatch:
    """One request in OpenRLHF's terms.

    Attributes:
        queries: Prompt plus completion, decoded with special tokens.
        prompts: The prompts as the policy saw them (templated), one per query.
        labels: The label column (gold answers or references), or None.
    """

    queries: Sequence[str]
    prompts: Sequence[str]
    labels: Sequence[Any] | None = None

    def __post_init__(self) -> None:
        for what, items in (("query", self.queries), ("prompts", self.prompts)):
            if not all(isinstance(q, str) for q in items):
                raise ValueError(f"every item of {what!r} must be a string")
        if len(self.prompts) != len(self.queries):
            raise ValueError(f"{len(self.queries)} queries but {len(self.prompts)} prompts")
        if self.labels is not None and len(self.labels) != len(self.queries):
            raise ValueError(f"{len(self.queries)} queries but {len(self.labels)} labels")


@dataclass(frozen=True)
class OpenRLHFScores:
    """What OpenRLHF gets back.

    Attributes:
        rewards: One number per query (unscored ones replaced by the ``missing`` stand-in).
        unscored: How many queries had no reward.
        causes: Why, as one line (empty when every query was scored).
    """

    rewards: list[float]
    unscored: int
    causes: str = ""

    def payload(self) -> dict[str, Any]:
        """The response body of OpenRLHF's remote reward protocol."""
        return {
            "rewards": self.rewards,
            "scores": self.rewards,
            "extra_logs": {"unscored": float(self.unscored)},
        }


async def score_openrlhf(
    reward: RewardFunction, batch: OpenRLHFBatch, *, missing: float | None = None
) -> OpenRLHFScores:
    """Score an OpenRLHF batch: templates and end tokens stripped, labels in the reward's column.

    Args:
        reward: The reward; ``labels`` fill its ``label_column``.
        batch: The request.
        missing: The stand-in for an unscored query; None raises.

    Raises:
        UnscoredSamplesError: A query is unscored and ``missing`` is None.
    """
    completions = [split_query(q, p) for q, p in zip(batch.queries, batch.prompts, strict=True)]
    prompts = [prompt_text(p) for p in batch.prompts]
    columns: dict[str, Any] = {}
    if batch.labels is not None and reward.label_column:
        columns[reward.label_column] = list(batch.labels)
    values = await reward.acall(prompts, completions, **columns)
    unscored = sum(v is None for v in values)
    causes = reward.last_batch.describe() if unscored else ""
    if unscored and missing is None:
        raise UnscoredSamplesError(
            f"{reward.__name__}: {unscored} of {len(values)} queries unscored ({causes}); "
            "OpenRLHF needs a number for each: fix the cause, or set the stand-in knowingly"
        )
    stand_in = 0.0 if missing is None else missing
    return OpenRLHFScores([stand_in if v is None else v for v in values], unscored, causes)


def openrlhf_reward_func(
    reward: RewardFunction, *, missing: float | None = None
) -> Callable[..., dict[str, Any]]:
    """Adapt a reward to OpenRLHF's reward-function file (``--reward.remote_url reward.py``).

    In the file: ``reward_func = openrlhf_reward_func(verifiable_reward())``.

    Args:
        reward: The reward.
        missing: The reward an unscored sample gets (counted in ``extra_logs["unscored"]``);
            None (the default) raises :class:`UnscoredSamplesError` naming the cause instead.

    Returns:
        ``reward_func(queries, prompts, labels, **kwargs)`` returning ``rewards`` and
        ``scores`` (torch tensors when torch is installed, else lists) and ``extra_logs``.
    """

    def reward_func(
        queries: Sequence[str],
        prompts: Sequence[str],
        labels: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        batch = OpenRLHFBatch(
            list(queries), list(prompts), None if labels is None else list(labels)
        )
        result: OpenRLHFScores = reward.run_sync(score_openrlhf(reward, batch, missing=missing))
        payload = result.payload()
        try:
            import torch  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            return payload
        tensor = torch.tensor(result.rewards, dtype=torch.float32)
        return {**payload, "rewards": tensor, "scores": tensor}

    return reward_func
