"""``RewardFunction``: any async scorer as a batched, cached reward with TRL's signature.

A scorer is ``async (prompt, completion, columns) -> float | None``. It says why a sample is
unscored by raising :class:`Unscored`; any other exception it raises also leaves that one
sample unscored (with the error as its cause), so one failing call never loses the batch.
Every batch's unscored count and causes are kept (``last_batch``), reported to TRL through
its ``log_metric`` hook when the trainer passes one, and counted for :mod:`._trl`'s callback.
A batch in which *no* sample is scored warns (or raises, ``on_all_unscored="raise"``) with
the causes named, so a judge server that refuses connections is not mistaken for low rewards.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from sparring._secrets import redact
from sparring.rewards._text import completion_text, prompt_text

__all__ = [
    "AllUnscoredError",
    "AllUnscoredWarning",
    "BatchReport",
    "Counted",
    "RewardFunction",
    "Scorer",
    "Unscored",
    "unscored_logs",
]

T = TypeVar("T")
Scorer = Callable[[str, str, Mapping[str, Any]], Awaitable[float | None]]

# Keyword arguments TRL's trainers add to every reward call; they are not dataset columns.
_TRAINER_KWARGS = frozenset(
    {"completion_ids", "trainer_state", "log_extra", "log_metric", "environments"}
)


class Unscored(Exception):
    """Raised by a scorer to leave one sample unscored, with the cause as its message."""


class AllUnscoredError(RuntimeError):
    """No sample of a batch was scored (raised with ``on_all_unscored="raise"``)."""


class AllUnscoredWarning(UserWarning):
    """No sample of a batch was scored (the default: the trainer goes on, warned)."""


@dataclass
class BatchReport:
    """What one call scored.

    Attributes:
        samples: Samples in the batch.
        unscored: Samples without a reward (``None``).
        causes: How many samples each cause left unscored.
    """

    samples: int = 0
    unscored: int = 0
    causes: Counter[str] = field(default_factory=Counter)

    def describe(self, top: int = 3) -> str:
        """The causes as one line, most frequent first (e.g. ``"3x backend_error: ..."``)."""
        parts = [f"{n}x {cause}" for cause, n in self.causes.most_common(top)]
        more = len(self.causes) - top
        return "; ".join(parts) + (f"; and {more} more causes" if more > 0 else "")


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


def _rows(columns: Mapping[str, Any], size: int) -> list[dict[str, Any]]:
    """Per-sample dicts of the dataset columns (lists as long as the batch)."""
    lists = {
        k: v
        for k, v in columns.items()
        if k not in _TRAINER_KWARGS
        and isinstance(v, Sequence)
        and not isinstance(v, str)
        and len(v) == size
    }
    return [{k: v[i] for k, v in lists.items()} for i in range(size)]


class RewardFunction:
    """A batched, cached reward function with TRL's signature.

    Args:
        score: Scores one (prompt, completion, per-sample columns); None or :class:`Unscored`
            when it cannot.
        name: Shown by trainers in their logs (``__name__``).
        concurrency: Samples scored at once.
        cache_size: Scored values remembered (prompt, completion and the sample's columns as
            the key; unscored samples are not cached, so a retry can score them).
        config: How the reward is computed, for the run's recorded configuration.
        label_column: The column that OpenRLHF's ``labels`` fill (the gold answer or the
            reference), or None when the reward reads no label.
        on_all_unscored: ``"warn"`` or ``"raise"`` when no sample of a batch is scored.
    """

    def __init__(
        self,
        score: Scorer,
        *,
        name: str = "sparring_reward",
        concurrency: int = 32,
        cache_size: int = 100_000,
        config: Mapping[str, Any] | None = None,
        label_column: str | None = None,
        on_all_unscored: Literal["warn", "raise"] = "warn",
    ) -> None:
        if on_all_unscored not in ("warn", "raise"):
            raise ValueError(f"on_all_unscored must be 'warn' or 'raise', not {on_all_unscored!r}")
        self._score = score
        self.__name__ = name
        self.config: dict[str, Any] = dict(config or {})
        self.label_column = label_column
        self.on_all_unscored = on_all_unscored
        self.last_batch = BatchReport()
        self._limit = concurrency
        self._cache: OrderedDict[tuple[str, str, str], float] = OrderedDict()
        self._cache_size = cache_size
        self._thread = _LoopThread()
        self._pending = BatchReport()
        self._pending_lock = threading.Lock()

    async def _one(
        self, sem: asyncio.Semaphore, prompt: str, completion: str, extra: Mapping[str, Any]
    ) -> tuple[float | None, str | None]:
        # The columns are part of the key: one completion can be right for one gold answer
        # (or reference) and wrong for another.
        key = (prompt, completion, repr(sorted(extra.items(), key=lambda kv: kv[0])))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key], None
        try:
            async with sem:
                value = await self._score(prompt, completion, extra)
        except Unscored as why:
            return None, redact(str(why)) or "unscored"
        except Exception as err:  # one failing call must not lose the batch
            return None, redact(f"{type(err).__name__}: {' '.join(str(err).split())}")[:300]
        if value is None:
            return None, "unscored (no cause given)"
        self._cache[key] = value
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return value, None

    async def acall(
        self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any
    ) -> list[float | None]:
        """Score a batch (async). Extra keyword columns are per-sample lists (e.g. ``answer``).

        Raises:
            ValueError: The batch has more prompts than completions or fewer.
            AllUnscoredError: No sample was scored and ``on_all_unscored="raise"``.
        """
        if len(prompts) != len(completions):
            raise ValueError(f"{len(prompts)} prompts but {len(completions)} completions")
        sem = asyncio.Semaphore(self._limit)
        rows = _rows(columns, len(prompts))
        results = await asyncio.gather(
            *(
                self._one(sem, prompt_text(p), completion_text(c), rows[i])
                for i, (p, c) in enumerate(zip(prompts, completions, strict=True))
            )
        )
        self._report([cause for value, cause in results if value is None], len(results), columns)
        return [value for value, _ in results]

    def _report(self, causes: list[str | None], size: int, columns: Mapping[str, Any]) -> None:
        report = BatchReport(size, len(causes), Counter(c or "unscored" for c in causes))
        self.last_batch = report
        with self._pending_lock:
            self._pending.samples += size
            self._pending.unscored += report.unscored
            self._pending.causes.update(report.causes)
        log_metric = columns.get("log_metric")
        if callable(log_metric):
            log_metric(f"rewards/{self.__name__}/unscored", float(report.unscored))
        if size and report.unscored == size:
            message = f"{self.__name__}: no sample of {size} was scored: {report.describe()}"
            if self.on_all_unscored == "raise":
                raise AllUnscoredError(message)
            warnings.warn(message, AllUnscoredWarning, stacklevel=4)

    def take_counts(self) -> BatchReport:
        """The samples and unscored counts since the last call (for a trainer's log step)."""
        with self._pending_lock:
            taken, self._pending = self._pending, BatchReport()
        return taken

    def run_sync(self, coro: Awaitable[T]) -> T:
        """Run ``coro`` on this reward's own event-loop thread and wait for its result."""
        result: T = self._thread.run(coro)
        return result

    def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any
    ) -> list[float | None]:
        """Score a batch from synchronous code (TRL calls reward functions this way)."""
        return self.run_sync(self.acall(prompts, completions, **columns))


class Counted(Protocol):
    """A reward that counts what it left unscored (``RewardFunction``, ``require_scores``)."""

    __name__: str

    def take_counts(self) -> BatchReport:
        """The counts since the last call."""
        ...


def unscored_logs(rewards: Sequence[Counted]) -> dict[str, float]:
    """Log entries for the samples each reward left unscored since the last call.

    Returns:
        ``unscored/<name>`` per reward and their sum as ``rewards/unscored``. (GRPO's own
        ``rewards/<name>/unscored``, sent through its ``log_metric`` hook, is the mean per batch.)
    """
    logs = {f"unscored/{r.__name__}": float(r.take_counts().unscored) for r in rewards}
    logs["rewards/unscored"] = sum(logs.values())
    return logs
