"""Judges as reward functions for online trainers (TRL GRPO / Online-DPO, OpenRLHF).

``RewardFunction`` wraps any async scorer ``(prompt, completion, extra) -> float | None`` into
the call TRL's trainers make, ``reward(prompts, completions, **columns) -> list[float | None]``:
batched (the batch is scored concurrently), cached (a repeated prompt and completion is scored
once), usable from synchronous trainer code (it runs its own event loop thread) and from async
code (``await reward.acall(...)``).

An unscored verdict is ``None``, never a low number: TRL treats ``None`` as "no reward from this
function" for that sample. ``openrlhf_reward_func`` adapts a reward to OpenRLHF's remote reward
function file (``reward_func(queries, prompts, labels)``).

``answer_reward`` is the verifiable reward: 1.0 when the completion's extracted answer equals
the sample's gold answer, else 0.0. Extraction is strict by default (a completion that states
no answer earns 0.0, whatever numbers it mentions); the last-number fallback is used only when
asked for, and every reward's ``config`` says which, for the run to record.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from sparring.agents import Judge
from sparring.verify import answer_extraction_config, extract_answer, is_equiv

__all__ = [
    "RewardFunction",
    "Scorer",
    "answer_reward",
    "graph_reward",
    "judge_reward",
    "openrlhf_reward_func",
]

Scorer = Callable[[str, str, Mapping[str, Any]], Awaitable[float | None]]


def _text(item: Any) -> str:
    """A completion or prompt as text (conversational lists give their last message)."""
    if isinstance(item, str):
        return item
    if isinstance(item, Sequence) and item and isinstance(item[-1], Mapping):
        return str(item[-1].get("content", ""))
    return str(item)


class _LoopThread:
    """One background event loop, for calls from synchronous code."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def run(self, coro: Awaitable[Any]) -> Any:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(
                    target=self._loop.run_forever, daemon=True, name="sparring-reward-loop"
                ).start()
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()  # type: ignore[arg-type]


class RewardFunction:
    """A batched, cached reward function with TRL's signature.

    Args:
        score: Scores one (prompt, completion, per-sample columns); None when it cannot.
        name: Shown by trainers in their logs.
        concurrency: Samples scored at once.
        cache_size: Scores remembered (prompt, completion and the sample's columns as the key).
        config: How the reward is computed, for the run's recorded configuration (e.g.
            ``{"answer_extraction": "strict"}``); available as ``config``.
    """

    def __init__(
        self,
        score: Scorer,
        *,
        name: str = "sparring_reward",
        concurrency: int = 32,
        cache_size: int = 100_000,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self._score = score
        self.__name__ = name
        self.config: dict[str, Any] = dict(config or {})
        self._limit = concurrency
        self._cache: OrderedDict[tuple[str, str, str], float | None] = OrderedDict()
        self._cache_size = cache_size
        self._thread = _LoopThread()

    async def _one(
        self, sem: asyncio.Semaphore, prompt: str, completion: str, extra: Mapping[str, Any]
    ) -> float | None:
        # The columns are part of the key: one completion can be right for one gold answer
        # (or reference) and wrong for another.
        key = (prompt, completion, repr(sorted(extra.items(), key=lambda kv: kv[0])))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        async with sem:
            value = await self._score(prompt, completion, extra)
        self._cache[key] = value
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return value

    async def acall(
        self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any
    ) -> list[float | None]:
        """Score a batch (async). Extra keyword columns are per-sample lists (e.g. ``answer``)."""
        if len(prompts) != len(completions):
            raise ValueError(f"{len(prompts)} prompts but {len(completions)} completions")
        sem = asyncio.Semaphore(self._limit)
        rows = [
            {
                k: v[i]
                for k, v in columns.items()
                if isinstance(v, Sequence) and not isinstance(v, str) and len(v) == len(prompts)
            }
            for i in range(len(prompts))
        ]
        return list(
            await asyncio.gather(
                *(
                    self._one(sem, _text(p), _text(c), rows[i])
                    for i, (p, c) in enumerate(zip(prompts, completions, strict=True))
                )
            )
        )

    def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any
    ) -> list[float | None]:
        """Score a batch from synchronous code (TRL calls reward functions this way)."""
        result: list[float | None] = self._thread.run(self.acall(prompts, completions, **columns))
        return result


def judge_reward(
    judge: Judge,
    *,
    n: int = 1,
    normalize: bool = True,
    reference_column: str | None = None,
    **sampling: Any,
) -> RewardFunction:
    """A reward from a pointwise judge: the mean of its scored verdicts (None if none scored).

    Args:
        judge: The judge.
        n: Verdicts per sample (their scored mean is the reward).
        normalize: Map the judge's scale to [0, 1].
        reference_column: A dataset column holding a reference answer to show the judge.
        **sampling: Judge call options (``temperature``, ``seed``...).
    """
    lo, hi = judge.scale

    async def score(prompt: str, completion: str, extra: Mapping[str, Any]) -> float | None:
        reference = extra.get(reference_column) if reference_column else None
        verdicts = await judge.score(prompt, completion, n=n, reference=reference, **sampling)
        values = [v.score for v in verdicts if v.is_scored and v.score is not None]
        if not values:
            return None
        mean = sum(values) / len(values)
        return (mean - lo) / (hi - lo) if normalize and hi > lo else mean

    return RewardFunction(score, name=f"judge_reward_{judge.role}")


def answer_reward(
    *,
    answer_column: str = "answer",
    last_number_fallback: bool = False,
    name: str = "answer_reward",
) -> RewardFunction:
    """A verifiable reward: 1.0 when the completion's answer equals the gold answer, else 0.0.

    Args:
        answer_column: The dataset column holding each sample's gold answer (a sample
            without one is unscored, ``None``).
        last_number_fallback: Read the last number of a completion that states no answer
            (off by default: such a completion earns 0.0). Recorded in ``config``.
        name: Shown in trainer logs.
    """

    async def score(prompt: str, completion: str, extra: Mapping[str, Any]) -> float | None:
        gold = extra.get(answer_column)
        if gold is None or not str(gold).strip():
            return None
        answer = extract_answer(completion, last_number_fallback=last_number_fallback)
        return 1.0 if is_equiv(answer, str(gold)) else 0.0

    config = {"reward": "answer", **answer_extraction_config(last_number_fallback)}
    return RewardFunction(score, name=name, config=config)


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
        return value(state)

    return RewardFunction(score, name=name)


def openrlhf_reward_func(reward: RewardFunction, *, missing: float = 0.0) -> Callable[..., Any]:
    """Adapt a reward to OpenRLHF's remote reward function file.

    OpenRLHF calls ``reward_func(queries, prompts, labels)`` and needs a number for every
    sample: unscored samples get ``missing`` (choose it knowingly; the count of such samples is
    returned under ``extra_logs``). Returns a dict with ``rewards`` (a torch tensor when torch is
    installed, else a list).
    """

    def reward_func(
        queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any] | None = None
    ) -> dict[str, Any]:
        completions = [
            q[len(p) :] if q.startswith(p) else q for q, p in zip(queries, prompts, strict=True)
        ]
        columns = {"label": list(labels)} if labels is not None else {}
        values = reward(list(prompts), completions, **columns)
        unscored = sum(v is None for v in values)
        rewards = [missing if v is None else v for v in values]
        try:
            import torch  # type: ignore[import-not-found]

            out: Any = torch.tensor(rewards, dtype=torch.float32)
        except ImportError:
            out = rewards
        return {"rewards": out, "scores": out, "extra_logs": {"unscored": unscored}}

    return reward_func
