"""The model layer against ``serve-sim`` on loopback, with injected faults (real HTTP)."""

from __future__ import annotations

import asyncio

import pytest

from sparring import Model
from sparring.errors import ModelServerError, ModelTimeoutError
from sparring.models import ConcurrencyPolicy, Gateway, RetryPolicy
from sparring.sim import FaultConfig, SimServer, SimWorld
from sparring.trace import MemorySink, ModelCallEvent, RetryEvent

RETRY = RetryPolicy(max_attempts=10, initial_delay_s=0.01, max_delay_s=0.2, jitter=0.5)


def _model(srv: SimServer, **kw: object) -> Model:
    return Model(
        name="openai/actor", api_base=srv.base_url, api_key="sk-test-not-a-real-key-00", **kw
    )  # type: ignore[arg-type]


async def test_200_calls_with_429_and_500_injected_all_succeed() -> None:
    faults = FaultConfig(rate_429=0.2, retry_after_s=0.05, rate_500=0.1, seed=7)
    sink = MemorySink()
    gw = Gateway(sink=sink, retry=RETRY, seed=0)
    world = SimWorld(seed=1)
    with SimServer(faults=faults) as srv:
        model = _model(srv)
        results = await asyncio.gather(
            *(gw.complete(model, world.task(i).question, role="actor", seed=i) for i in range(200))
        )
        stats = srv.stats
    assert len(results) == 200 and all(r.text for r in results)
    calls = sink.of_kind(ModelCallEvent)
    retries = sink.of_kind(RetryEvent)
    assert len(calls) == 200 and all(c.error is None for c in calls)
    by_kind = {k: sum(r.error.kind == k for r in retries) for k in ("rate_limit", "server")}
    assert by_kind["rate_limit"] == stats.rate_limited
    assert by_kind["server"] == stats.server_errors
    assert sum(c.retries for c in calls) == len(retries) == stats.injected
    # 200 first attempts at 30% faults: far from zero, and every retry is one extra request.
    assert 30 <= len(retries) <= 140
    assert stats.requests == 200 + len(retries)
    assert all(
        r.retry_after_s == pytest.approx(0.05) for r in retries if r.error.kind == "rate_limit"
    )
    assert gw.usage.by_role["actor"].retries == len(retries)


async def test_hangs_time_out_and_are_retried() -> None:
    faults = FaultConfig(rate_hang=0.3, hang_s=5.0, seed=3)
    sink = MemorySink()
    gw = Gateway(sink=sink, retry=RETRY)
    with SimServer(faults=faults) as srv:
        model = _model(srv, timeout_s=0.3)
        results = await asyncio.gather(*(gw.complete(model, f"q{i}", seed=i) for i in range(20)))
        hangs = srv.stats.hangs
    assert len(results) == 20 and hangs > 0
    timeouts = [r for r in sink.of_kind(RetryEvent) if r.error.kind == "timeout"]
    assert len(timeouts) == hangs


async def test_malformed_and_truncated_bodies_are_retried() -> None:
    faults = FaultConfig(rate_malformed=0.2, rate_truncated=0.2, seed=5)
    sink = MemorySink()
    gw = Gateway(sink=sink, retry=RETRY)
    with SimServer(faults=faults) as srv:
        model = _model(srv)
        results = await asyncio.gather(*(gw.complete(model, f"q{i}", seed=i) for i in range(40)))
        stats = srv.stats
    assert len(results) == 40
    kinds = {r.error.kind for r in sink.of_kind(RetryEvent)}
    assert len(sink.of_kind(RetryEvent)) == stats.malformed + stats.truncated > 0
    assert kinds <= {"malformed", "connection", "server"}


async def test_permanent_failure_is_a_typed_error_naming_model_and_cause() -> None:
    gw = Gateway(retry=RetryPolicy(max_attempts=3, initial_delay_s=0.01, jitter=0))
    srv = SimServer(faults=FaultConfig(rate_500=1.0))
    with srv, pytest.raises(ModelServerError) as info:
        await gw.complete(_model(srv), "hello", role="judge")
    message = str(info.value)
    assert "judge model 'openai/actor' failed after 3 attempts" in message
    assert "HTTP 500" in message and "Traceback" not in message


async def test_permanent_hang_is_a_timeout_error() -> None:
    gw = Gateway(retry=RetryPolicy(max_attempts=2, initial_delay_s=0.01, jitter=0))
    srv = SimServer(faults=FaultConfig(rate_hang=1.0, hang_s=5.0))
    with srv, pytest.raises(ModelTimeoutError):
        await gw.complete(_model(srv, timeout_s=0.2), "hello")


async def test_native_n_and_determinism_over_http() -> None:
    gw = Gateway()
    question = SimWorld(seed=2).problem(5).question
    with SimServer() as srv:
        model = _model(srv, temperature=0.9, seed=11)
        first = await gw.complete(model, question, n=4)
        again = await gw.complete(model, question, n=4)
    assert len(first) == 4 and first.texts == again.texts
    assert first.usage.prompt_tokens > 0 and first.cost_usd is None  # a local server: unpriced


async def test_rate_limits_shrink_adaptive_concurrency() -> None:
    sink = MemorySink()
    gw = Gateway(
        sink=sink,
        retry=RETRY,
        concurrency=ConcurrencyPolicy(initial=16, ceiling=32, cooldown_s=0.05),
    )
    with SimServer(faults=FaultConfig(rate_429=0.5, retry_after_s=0.02, seed=2)) as srv:
        model = _model(srv)
        await asyncio.gather(*(gw.complete(model, f"q{i}", seed=i) for i in range(60)))
        assert gw.limiter(model).limit < 16
