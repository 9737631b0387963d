"""Seeded fault injection for the simulator's HTTP server.

Each attempt at a chat completion draws at most one fault. The draw is a pure function of
``(FaultConfig.seed, a hash of the request body, how many times this exact body was seen
before)``: two servers with the same seed given the same requests inject the same faults, and a
retried identical request gets a fresh, independent draw, so with every rate below 1 it
eventually succeeds. No global counter or clock is involved.

Faults, as a client sees them:

- ``429``: HTTP 429 with a ``Retry-After`` header (and ``retry-after-ms``, and
  ``retry_after_s`` in the error body).
- ``500``: HTTP 500 with an OpenAI-shaped error body.
- ``hang``: the server waits ``hang_s`` before answering normally, so a client timeout fires.
- ``malformed``: a complete HTTP 200 response whose body is not valid JSON (a JSON document cut
  in half, with a matching ``Content-Length``); in a stream, one ``data:`` event holds broken JSON.
- ``truncated``: an HTTP 200 response whose connection closes mid-body: the ``Content-Length``
  promises the whole body, half of it is sent, then the socket closes; in a stream, about half of
  the chunks are sent and the connection closes before ``data: [DONE]`` and before the final
  chunk of the chunked transfer encoding. Clients see a protocol / connection error.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import Counter
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any, Literal

from sparring.sim._rng import rng_for

__all__ = [
    "Fault",
    "FaultConfig",
    "FaultDecision",
    "FaultInjector",
    "FaultStats",
    "body_key",
    "cut_body",
    "cut_stream",
    "rate_limit_headers",
]

LatencyDist = Literal["exponential", "uniform"]
_RATE_FIELDS = ("rate_429", "rate_500", "rate_hang", "rate_malformed", "rate_truncated")


class Fault(StrEnum):
    """What the server does to one attempt."""

    OK = "ok"
    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    HANG = "hang"
    MALFORMED = "malformed"
    TRUNCATED = "truncated"


_FAULT_OF_RATE = {
    "rate_429": Fault.RATE_LIMIT,
    "rate_500": Fault.SERVER_ERROR,
    "rate_hang": Fault.HANG,
    "rate_malformed": Fault.MALFORMED,
    "rate_truncated": Fault.TRUNCATED,
}


@dataclass(frozen=True)
class FaultConfig:
    """How often, and how, the server misbehaves. The default injects nothing.

    Attributes:
        latency_s: Mean latency added before every answer, in seconds (0 adds none).
        latency_dist: How the added latency is drawn, per attempt and seeded:
            ``"exponential"`` (mean ``latency_s``; a long tail like real APIs) or
            ``"uniform"`` (uniform on ``[0, 2 * latency_s]``).
        rate_429: Chance that an attempt is answered 429 Too Many Requests.
        retry_after_s: The delay a 429 asks for (``Retry-After``; a non-integer value is sent
            as a decimal, which the openai SDK and sparring accept, and ``retry-after-ms``).
        rate_500: Chance of an HTTP 500 error.
        rate_hang: Chance that the server stalls ``hang_s`` before answering.
        hang_s: How long a hang lasts (long by default, so the client's timeout fires first).
        rate_malformed: Chance of an HTTP 200 whose body is not valid JSON.
        rate_truncated: Chance of an HTTP 200 whose body is cut off by a closed connection.
        seed: Seed of every draw.

    Raises:
        ValueError: A rate is outside ``[0, 1]``, the rates sum above 1, or a duration is
            negative.
    """

    latency_s: float = 0.0
    latency_dist: LatencyDist = "exponential"
    rate_429: float = 0.0
    retry_after_s: float = 1.0
    rate_500: float = 0.0
    rate_hang: float = 0.0
    hang_s: float = 30.0
    rate_malformed: float = 0.0
    rate_truncated: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in _RATE_FIELDS:
            rate = getattr(self, name)
            if not (isinstance(rate, int | float) and 0.0 <= rate <= 1.0):
                raise ValueError(f"FaultConfig.{name} must be in [0, 1], got {rate!r}")
        if self.total_rate > 1.0 + 1e-9:
            raise ValueError(f"FaultConfig rates sum to {self.total_rate:g}; at most one fault is "
                             "drawn per attempt, so they must sum to at most 1")
        for name in ("latency_s", "retry_after_s", "hang_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"FaultConfig.{name} must be a finite number >= 0, got {value!r}")
        if self.latency_dist not in ("exponential", "uniform"):
            raise ValueError("FaultConfig.latency_dist must be 'exponential' or 'uniform', "
                             f"got {self.latency_dist!r}")

    @property
    def total_rate(self) -> float:
        """The chance that an attempt gets any fault."""
        return float(sum(getattr(self, name) for name in _RATE_FIELDS))

    @property
    def active(self) -> bool:
        """Whether this configuration changes anything at all."""
        return self.total_rate > 0.0 or self.latency_s > 0.0


@dataclass(frozen=True, slots=True)
class FaultStats:
    """What the server has done so far (a snapshot).

    Attributes:
        requests: Chat-completion attempts that reached the fault draw (valid requests).
        rate_limited: Attempts answered 429.
        server_errors: Attempts answered 500.
        hangs: Attempts that hung.
        malformed: Attempts answered with a body that is not valid JSON.
        truncated: Attempts whose body was cut off.
        ok: Attempts answered normally.
    """

    requests: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    hangs: int = 0
    malformed: int = 0
    truncated: int = 0
    ok: int = 0

    @property
    def injected(self) -> int:
        """Attempts that got a fault."""
        return self.requests - self.ok

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict."""
        return asdict(self)


_STAT_OF_FAULT = {
    Fault.OK: "ok",
    Fault.RATE_LIMIT: "rate_limited",
    Fault.SERVER_ERROR: "server_errors",
    Fault.HANG: "hangs",
    Fault.MALFORMED: "malformed",
    Fault.TRUNCATED: "truncated",
}


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """The fate of one attempt.

    Attributes:
        fault: The fault drawn (``Fault.OK`` for none).
        latency_s: Latency to add before answering.
        attempt: How many times this exact body had been seen before (0 on the first try).
    """

    fault: Fault
    latency_s: float
    attempt: int


def body_key(body: Any) -> str:
    """A stable hash of a parsed JSON request body (key order does not matter).

    Args:
        body: The parsed request.

    Returns:
        A hex digest.
    """
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(canonical.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class FaultInjector:
    """Draws faults for a server and counts them; safe to share between threads.

    Args:
        config: Rates and durations.
    """

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._lock = threading.Lock()
        self._seen: Counter[str] = Counter()
        self._counts: Counter[str] = Counter()

    def decide(self, body: Any) -> FaultDecision:
        """Draw the fate of an attempt and count it.

        Args:
            body: The parsed JSON request body.

        Returns:
            The decision; the same (seed, body, attempt number) always gives the same one.
        """
        key = body_key(body)
        with self._lock:
            attempt = self._seen[key]
            self._seen[key] = attempt + 1
        decision = self.draw(key, attempt)
        with self._lock:
            self._counts["requests"] += 1
            self._counts[_STAT_OF_FAULT[decision.fault]] += 1
        return decision

    def draw(self, key: str, attempt: int) -> FaultDecision:
        """The decision for attempt ``attempt`` of the body hashed as ``key`` (no counting).

        Args:
            key: ``body_key`` of the request.
            attempt: How many times the body was seen before.

        Returns:
            The decision.
        """
        cfg = self.config
        rng = rng_for("sparring-sim-faults", cfg.seed, key, attempt)
        u = rng.random()
        fault = Fault.OK
        edge = 0.0
        for name in _RATE_FIELDS:
            edge += getattr(cfg, name)
            if u < edge:
                fault = _FAULT_OF_RATE[name]
                break
        latency = 0.0
        if cfg.latency_s > 0:
            if cfg.latency_dist == "uniform":
                latency = rng.uniform(0.0, 2.0 * cfg.latency_s)
            else:
                latency = rng.expovariate(1.0 / cfg.latency_s)
        return FaultDecision(fault, latency, attempt)

    @property
    def stats(self) -> FaultStats:
        """A snapshot of the counters."""
        with self._lock:
            counts = dict(self._counts)
        return FaultStats(**{f.name: counts.get(f.name, 0) for f in fields(FaultStats)})

    def reset(self) -> None:
        """Forget every body seen and zero the counters."""
        with self._lock:
            self._seen.clear()
            self._counts.clear()


def rate_limit_headers(retry_after_s: float) -> dict[str, str]:
    """The headers of a simulated 429: ``Retry-After`` (seconds) and ``retry-after-ms``.

    Args:
        retry_after_s: The delay asked for.

    Returns:
        Header names and values.
    """
    return {"Retry-After": f"{retry_after_s:g}", "retry-after-ms": str(round(retry_after_s * 1000))}


def cut_body(payload: bytes, fault: Fault) -> tuple[bytes, int]:
    """What to send of a JSON response body under a fault.

    Args:
        payload: The whole, valid body.
        fault: The fault drawn.

    Returns:
        The bytes to send and the ``Content-Length`` to declare: for ``MALFORMED`` the first
        half of the body, declared as such (complete HTTP, invalid JSON); for ``TRUNCATED`` the
        first half, declared as the whole (the caller then closes the connection).
    """
    half = payload[: len(payload) // 2]
    if fault is Fault.MALFORMED:
        return half, len(half)
    if fault is Fault.TRUNCATED:
        return half, len(payload)
    return payload, len(payload)


def cut_stream(events: list[bytes], fault: Fault) -> tuple[list[bytes], bool]:
    """What to send of a server-sent-event stream under a fault.

    Args:
        events: The whole stream, one ``data: ...`` event per item, ``data: [DONE]`` last.
        fault: The fault drawn.

    Returns:
        The events to send and whether to end the stream properly: for ``TRUNCATED`` about half
        the events and no proper end (the caller closes the connection mid-body); for
        ``MALFORMED`` about half the events, one event cut in half (broken JSON), then
        ``[DONE]``.
    """
    half = max(1, (len(events) - 1) // 2)
    if fault is Fault.TRUNCATED:
        return events[:half], False
    if fault is Fault.MALFORMED:
        broken = events[half][: len(events[half]) // 2].rstrip(b"\n") + b"\n\n"
        return [*events[:half], broken, events[-1]], True
    return events, True
