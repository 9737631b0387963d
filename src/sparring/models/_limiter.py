"""Adaptive concurrency per model (AIMD): halve on 429, grow by about one per window of successes.

A 429 with ``Retry-After`` also pauses new calls to that model until the time has passed. The
limiter keeps no asyncio primitive bound to a loop, so one gateway may serve several loops.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["AdaptiveLimiter", "ConcurrencyPolicy"]


@dataclass(frozen=True, slots=True)
class ConcurrencyPolicy:
    """How adaptive concurrency behaves.

    Attributes:
        initial: Concurrent calls allowed at start.
        ceiling: Never more than this many calls in flight to one model.
        floor: Never fewer than this.
        decrease: Factor applied to the limit on a 429.
        cooldown_s: At most one decrease per this many seconds (one 429 burst = one cut).
    """

    initial: int = 16
    ceiling: int = 128
    floor: int = 1
    decrease: float = 0.5
    cooldown_s: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.floor <= self.initial <= self.ceiling:
            raise ValueError("ConcurrencyPolicy needs 1 <= floor <= initial <= ceiling")
        if not 0 < self.decrease < 1:
            raise ValueError("ConcurrencyPolicy.decrease must be between 0 and 1")


class AdaptiveLimiter:
    """An AIMD semaphore for one model."""

    def __init__(
        self,
        policy: ConcurrencyPolicy,
        *,
        ceiling: int | None = None,
        on_change: Callable[[int, str], None] | None = None,
    ) -> None:
        self.policy = policy
        self.ceiling = max(policy.floor, min(ceiling or policy.ceiling, policy.ceiling))
        self._limit = float(min(policy.initial, self.ceiling))
        self._in_flight = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._paused_until = 0.0
        self._last_cut = -1e9
        self._on_change = on_change

    @property
    def limit(self) -> int:
        """Calls allowed in flight now."""
        return int(self._limit)

    @property
    def in_flight(self) -> int:
        """Calls in flight now."""
        return self._in_flight

    async def acquire(self) -> None:
        """Wait for a slot (and for any Retry-After pause to end)."""
        await self._sleep_through_pause()
        if self._in_flight < self.limit and not self._waiters:
            self._in_flight += 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # the slot had been handed to us already
            elif fut in self._waiters:
                self._waiters.remove(fut)
            raise
        try:  # the slot is ours; a pause may have started while we waited
            await self._sleep_through_pause()
        except asyncio.CancelledError:
            self.release()
            raise

    async def _sleep_through_pause(self) -> None:
        while (pause := self._paused_until - time.monotonic()) > 0:
            await asyncio.sleep(pause)

    def release(self) -> None:
        """Give a slot back."""
        self._in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        # Hand slots over directly, so a second wake-up cannot over-admit.
        while self._in_flight < self.limit and self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                self._in_flight += 1
                fut.set_result(None)

    def on_success(self) -> None:
        """Additive increase: about +1 per ``limit`` successes."""
        before = self.limit
        self._limit = min(float(self.ceiling), self._limit + 1.0 / max(self._limit, 1.0))
        if self.limit != before:
            self._notify("grow")
            self._wake()

    def on_rate_limit(self, retry_after_s: float | None) -> None:
        """Multiplicative decrease, and a pause when the server said how long to wait."""
        now = time.monotonic()
        if retry_after_s:
            self._paused_until = max(self._paused_until, now + retry_after_s)
        if now - self._last_cut < self.policy.cooldown_s:
            return
        self._last_cut = now
        before = self.limit
        self._limit = max(float(self.policy.floor), self._limit * self.policy.decrease)
        if self.limit != before:
            self._notify("rate_limit")

    def _notify(self, reason: str) -> None:
        if self._on_change is not None:
            self._on_change(self.limit, reason)
