"""Rewards from judges: a pointwise judge's scored mean, or any compiled judging graph."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sparring.agents import Judge, Verdict
from sparring.rewards._function import RewardFunction, Unscored

__all__ = ["graph_reward", "judge_reward"]


def _where(judge: Judge) -> str:
    """The judge's model and server, for a cause that names where a call failed."""
    try:
        model = judge.roles.resolve(judge.role, judge.model)
    except Exception:  # an unresolvable role fails at the call, with its own message
        return ""
    return f" (model {model.name!r} at {model.api_base})" if model.api_base else ""


def _cause(verdicts: list[Verdict], where: str) -> str:
    """Why none of ``verdicts`` is scored: the first one's reason and detail."""
    first = verdicts[0] if verdicts else None
    if first is None:
        return "the judge returned no verdict"
    detail = " ".join((first.detail or "").split())
    cause = f"{first.reason}: {detail}" if detail else str(first.reason)
    return cause + where if first.reason == "backend_error" else cause


def judge_reward(
    judge: Judge,
    *,
    n: int = 1,
    normalize: bool = True,
    reference_column: str | None = None,
    name: str | None = None,
    **sampling: Any,
) -> RewardFunction:
    """A reward from a pointwise judge: the mean of its scored verdicts (None if none scored).

    An unscored sample's cause is the verdict's reason and detail (``backend_error: ...
    connection refused``, ``parse_failure: ...``), reported in ``last_batch`` and in the
    warning of a batch with no scored sample.

    Args:
        judge: The judge.
        n: Verdicts per sample (their scored mean is the reward).
        normalize: Map the judge's scale to [0, 1].
        reference_column: A dataset column holding a reference answer to show the judge
            (OpenRLHF's ``labels`` fill it).
        name: Shown in trainer logs (default ``judge_reward_<role>``).
        **sampling: Judge call options (``temperature``, ``seed``...).
    """
    lo, hi = judge.scale
    where = _where(judge)

    async def score(prompt: str, completion: str, extra: Mapping[str, Any]) -> float | None:
        reference = extra.get(reference_column) if reference_column else None
        verdicts = await judge.score(
            prompt,
            completion,
            n=n,
            reference=None if reference is None else str(reference),
            **sampling,
        )
        values = [v.score for v in verdicts if v.is_scored and v.score is not None]
        if not values:
            raise Unscored(_cause(verdicts, where))
        mean = sum(values) / len(values)
        return (mean - lo) / (hi - lo) if normalize and hi > lo else mean

    config = {"reward": "judge", "judge_role": judge.role, "n": n, "normalize": normalize}
    return RewardFunction(
        score,
        name=name or f"judge_reward_{judge.role}",
        config=config,
        label_column=reference_column,
    )


def graph_reward(
    graph: Any, value: Callable[[Mapping[str, Any]], float | None], *, name: str = "graph_reward"
) -> RewardFunction:
    """A reward from any compiled judging graph.

    Args:
        graph: A compiled graph taking ``prompt`` and ``response``-style inputs.
        value: Reads the reward from the graph's final state (None when unscored).
        name: Shown in trainer logs.
    """

    async def score(prompt: str, completion: str, extra: Mapping[str, Any]) -> float | None:
        state = await graph.ainvoke({"prompt": prompt, "response": completion, **extra})
        result = value(state)
        if result is None:
            raise Unscored("the graph's final state holds no reward")
        return result

    return RewardFunction(score, name=name)
