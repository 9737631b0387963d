"""Rewards for online trainers (TRL GRPO / Online-DPO, OpenRLHF): verifiable and judge-based.

- :func:`verifiable_reward`: R1-style rule-based reward, correctness against the gold answer
  by :mod:`sparring.verify` (strict extraction) plus a format term, with weights;
  :func:`answer_reward` is its correctness term alone.
- :func:`judge_reward` (a pointwise judge) and :func:`graph_reward` (any judging graph).

Each is a :class:`RewardFunction` with TRL's ``reward_funcs`` signature, ``reward(prompts,
completions, **columns) -> list[float | None]``: batched, cached, callable from sync and async
code, string or conversational completions, chat templates and end tokens stripped. An
unscored sample is ``None`` with a cause (never a low number); a batch with no scored sample
warns or raises naming the causes. For trainers that need a number per sample use
:func:`require_scores` (Online-DPO) or :func:`openrlhf_reward_func` (OpenRLHF's
``reward_func(queries, prompts, labels)``); ``sparring serve-reward`` serves a reward over
OpenRLHF's remote reward-model HTTP protocol (:class:`RewardServer`). :class:`UnscoredCallback`
(imported on first use; needs transformers) logs unscored counts in a Trainer's metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparring.rewards._function import (
    AllUnscoredError,
    AllUnscoredWarning,
    BatchReport,
    Counted,
    RewardFunction,
    Scorer,
    Unscored,
    unscored_logs,
)
from sparring.rewards._judge import graph_reward, judge_reward
from sparring.rewards._openrlhf import (
    OpenRLHFBatch,
    OpenRLHFScores,
    openrlhf_reward_func,
    score_openrlhf,
)
from sparring.rewards._policy import NumericReward, UnscoredSamplesError, require_scores
from sparring.rewards._server import RewardServer
from sparring.rewards._text import completion_text, prompt_text, split_query, strip_special_tokens
from sparring.rewards._verifiable import AnswerFormat, answer_reward, format_ok, verifiable_reward

if TYPE_CHECKING:
    from sparring.rewards._trl import UnscoredCallback

__all__ = [
    "AllUnscoredError",
    "AllUnscoredWarning",
    "AnswerFormat",
    "BatchReport",
    "Counted",
    "NumericReward",
    "OpenRLHFBatch",
    "OpenRLHFScores",
    "RewardFunction",
    "RewardServer",
    "Scorer",
    "Unscored",
    "UnscoredCallback",
    "UnscoredSamplesError",
    "answer_reward",
    "completion_text",
    "format_ok",
    "graph_reward",
    "judge_reward",
    "openrlhf_reward_func",
    "prompt_text",
    "require_scores",
    "score_openrlhf",
    "split_query",
    "strip_special_tokens",
    "unscored_logs",
    "verifiable_reward",
]


def __getattr__(name: str) -> Any:
    # UnscoredCallback subclasses transformers' TrainerCallback: import it only when asked.
    if name == "UnscoredCallback":
        from sparring.rewards._trl import UnscoredCallback

        return UnscoredCallback
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
