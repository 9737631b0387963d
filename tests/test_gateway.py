"""The gateway: retries, classification, timeout, concurrency, cache, usage, events."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from sparring import Model
from sparring.errors import (
    ModelAuthError,
    ModelBadRequestError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from sparring.models import ConcurrencyPolicy, Gateway, ResponseCache, RetryPolicy, classify
from sparring.trace import ConcurrencyEvent, JsonlSink, MemorySink, ModelCallEvent, RetryEvent
from tests._scripted import ScriptedBackend

FAST = RetryPolicy(max_attempts=4, initial_delay_s=0.001, jitter=0.0)


def _litellm_error(
    name: str, status: int, message: str = "boom", retry_after: str | None = None
) -> Exception:
    import litellm

    headers = {"retry-after": retry_after} if retry_after else {}
    response = httpx.Response(status, headers=headers, request=httpx.Request("POST", "http://x"))
    cls = getattr(litellm, name)
    if name in ("Timeout", "APIConnectionError"):
        return cls(message=message, model="m", llm_provider="openai")  # type: ignore[no-any-return]
    return cls(message=message, model="m", llm_provider="openai", response=response)  # type: ignore[no-any-return]


def _gateway(backend: ScriptedBackend, sink: MemorySink | None = None, **kw: object) -> Gateway:
    return Gateway(sink=sink, retry=FAST, backend_factory=backend, seed=0, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "status", "message", "kind"),
    [
        ("RateLimitError", 429, "slow down", "rate_limit"),
        ("InternalServerError", 500, "kaboom", "server"),
        ("InternalServerError", 500, "OpenAIException - Connection error.", "connection"),
        (
            "InternalServerError",
            500,
            "error - Unterminated string starting at: line 1",
            "malformed",
        ),
        ("ServiceUnavailableError", 503, "busy", "server"),
        ("Timeout", 408, "Request timed out", "timeout"),
        ("AuthenticationError", 401, "bad key", "auth"),
        ("BadRequestError", 400, "bad param", "bad_request"),
        ("NotFoundError", 404, "no model", "bad_request"),
        ("APIConnectionError", 500, "handler bug", "connection"),
    ],
)
def test_classify_litellm_exceptions(name: str, status: int, message: str, kind: str) -> None:
    failure = classify(_litellm_error(name, status, message))
    assert failure.kind == kind
    assert failure.retryable == (kind not in ("auth", "bad_request"))


def test_classify_reads_retry_after_and_redacts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_PROVIDER_API_KEY", "sk-secret-value-123456789")
    exc = _litellm_error("RateLimitError", 429, "key sk-secret-value-123456789 over quota", "2")
    failure = classify(exc)
    assert failure.retry_after_s == 2.0
    assert "sk-secret-value-123456789" not in failure.message and "[REDACTED]" in failure.message


async def test_retries_transient_failures_then_succeeds() -> None:
    backend = ScriptedBackend(
        [_litellm_error("RateLimitError", 429), _litellm_error("InternalServerError", 500)]
    )
    sink = MemorySink()
    result = await _gateway(backend, sink).complete(Model(name="openai/x"), "hi", role="judge")
    assert result.text == "ok #0" and result.attempts == 3 and result.retries == 2
    retries = sink.of_kind(RetryEvent)
    assert [r.error.kind for r in retries] == ["rate_limit", "server"]
    assert [r.attempt for r in retries] == [1, 2]
    (call,) = sink.of_kind(ModelCallEvent)
    assert call.retries == 2 and call.attempts == 3 and call.error is None and call.role == "judge"


async def test_auth_and_bad_request_are_not_retried() -> None:
    for name, status, cls in (
        ("AuthenticationError", 401, ModelAuthError),
        ("BadRequestError", 400, ModelBadRequestError),
    ):
        backend = ScriptedBackend([_litellm_error(name, status)])
        sink = MemorySink()
        with pytest.raises(cls) as info:
            await _gateway(backend, sink).complete(Model(name="openai/x"), "hi", role="critic")
        assert len(backend.calls) == 1 and not sink.of_kind(RetryEvent)
        assert "critic model 'openai/x' failed after 1 attempt" in str(info.value)
        (call,) = sink.of_kind(ModelCallEvent)
        assert call.error is not None and call.error.status_code == status


async def test_gives_up_after_max_attempts_with_typed_error() -> None:
    backend = ScriptedBackend([_litellm_error("RateLimitError", 429)] * 10)
    with pytest.raises(ModelRateLimitError) as info:
        await _gateway(backend).complete(Model(name="openai/x"), "hi")
    assert info.value.attempts == 4 and len(backend.calls) == 4
    assert info.value.model == "openai/x" and info.value.kind == "rate_limit"


async def test_retry_after_is_honoured() -> None:
    backend = ScriptedBackend([_litellm_error("RateLimitError", 429, retry_after="0.3")])
    sink = MemorySink()
    started = time.monotonic()
    await _gateway(backend, sink).complete(Model(name="openai/x"), "hi")
    (retry,) = sink.of_kind(RetryEvent)
    assert retry.retry_after_s == 0.3 and retry.delay_s >= 0.3
    assert time.monotonic() - started >= 0.3


def test_backoff_grows_exponentially_and_is_capped() -> None:
    from sparring.models import Failure

    policy = RetryPolicy(initial_delay_s=0.5, multiplier=2, max_delay_s=3, jitter=0)
    fail = Failure(kind="server", message="x")
    assert [policy.delay(a, fail) for a in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    jittered = RetryPolicy(initial_delay_s=1, jitter=0.5)
    import random

    delays = [jittered.delay(1, fail, random.Random(i)) for i in range(50)]
    assert min(delays) >= 1.0 and max(delays) <= 1.5 and len(set(delays)) > 40


async def test_timeout_is_enforced_per_attempt() -> None:
    backend = ScriptedBackend(delay_s=5.0)
    sink = MemorySink()
    started = time.monotonic()
    with pytest.raises(ModelTimeoutError, match=r"no answer within 0\.05s"):
        await _gateway(backend, sink).complete(Model(name="openai/x", timeout_s=0.05), "hi")
    assert time.monotonic() - started < 2.0
    assert len(backend.calls) == 4 and len(sink.of_kind(RetryEvent)) == 3


async def test_native_n_is_one_request_and_other_providers_get_single_calls() -> None:
    backend = ScriptedBackend()
    gw = _gateway(backend)
    result = await gw.complete(Model(name="openai/x"), "hi", n=3, seed=10)
    assert len(backend.calls) == 1 and backend.calls[0].n == 3
    assert [c.index for c in result] == [0, 1, 2]
    backend.calls.clear()
    result = await gw.complete(Model(name="anthropic/x"), "hi", n=3, seed=10, sample_index=5)
    assert sorted(c.sample_index for c in backend.calls) == [5, 6, 7]
    assert sorted(c.params["seed"] for c in backend.calls) == [10, 11, 12]
    assert result.texts == ["ok #5", "ok #6", "ok #7"]


async def test_rate_limit_halves_concurrency_and_success_grows_it() -> None:
    backend = ScriptedBackend([_litellm_error("RateLimitError", 429)])
    sink = MemorySink()
    gw = _gateway(backend, sink, concurrency=ConcurrencyPolicy(initial=8, ceiling=16, cooldown_s=0))
    model = Model(name="openai/x")
    await gw.complete(model, "hi")
    limiter = gw.limiter(model)
    assert limiter.limit == 4
    events = sink.of_kind(ConcurrencyEvent)
    assert events[0].reason == "rate_limit" and events[0].limit == 4
    for _ in range(40):
        await gw.complete(model, "hi")
    assert limiter.limit > 4 and any(e.reason == "grow" for e in sink.of_kind(ConcurrencyEvent))


async def test_concurrency_limit_bounds_calls_in_flight() -> None:
    in_flight = peak = 0

    class Slow(ScriptedBackend):
        async def generate(self, request):  # type: ignore[no-untyped-def]
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            return await super().generate(request)

    gw = _gateway(Slow(), concurrency=ConcurrencyPolicy(initial=3, ceiling=3))
    await asyncio.gather(*(gw.complete(Model(name="openai/x"), f"q{i}") for i in range(20)))
    assert peak == 3


async def test_cache_hits_identical_seeded_request_and_misses_otherwise(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    gw = _gateway(backend, cache=ResponseCache(tmp_path / "cache.sqlite"))
    model = Model(name="openai/x", seed=1, temperature=0.7)
    first = await gw.complete(model, "hi")
    again = await gw.complete(model, "hi")
    assert not first.cache_hit and again.cache_hit and again.text == first.text
    assert again.usage.total_tokens == 0 and again.attempts == 0
    assert len(backend.calls) == 1
    for variation in ({"n": 2}, {"temperature": 0.9}, {"sample_index": 1}, {"seed": 2}):
        n = variation.pop("n", 1)
        result = await gw.complete(model, "hi", n=n, **variation)  # type: ignore[arg-type]
        assert not result.cache_hit, variation
    await gw.complete(model, "hello")
    assert len(backend.calls) == 6


async def test_cache_skips_unseeded_samples_keeps_greedy_and_never_stores_errors(
    tmp_path: Path,
) -> None:
    backend = ScriptedBackend([_litellm_error("BadRequestError", 400)])
    cache = ResponseCache(tmp_path / "c.sqlite")
    gw = _gateway(backend, cache=cache)
    with pytest.raises(ModelBadRequestError):
        await gw.complete(Model(name="openai/x", temperature=0.0), "hi")
    assert len(cache) == 0
    await gw.complete(Model(name="openai/x", temperature=0.0), "hi")
    assert (await gw.complete(Model(name="openai/x", temperature=0.0), "hi")).cache_hit
    await gw.complete(Model(name="openai/x", temperature=1.0), "hi")
    assert not (await gw.complete(Model(name="openai/x", temperature=1.0), "hi")).cache_hit
    assert len(cache) == 1
    cache.enabled = False
    assert not (await gw.complete(Model(name="openai/x", temperature=0.0), "hi")).cache_hit


async def test_cache_persists_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    model = Model(name="openai/x", temperature=0.0)
    await _gateway(ScriptedBackend(text="first"), cache=ResponseCache(path)).complete(model, "q")
    result = await _gateway(ScriptedBackend(text="second"), cache=ResponseCache(path)).complete(
        model, "q"
    )
    assert result.cache_hit and result.text == "first #0"


async def test_usage_and_cost_totals_per_role_and_model() -> None:
    gw = _gateway(ScriptedBackend())
    await gw.complete(Model(name="openai/a"), "x", role="judge", n=2)
    await gw.complete(Model(name="openai/a"), "x", role="actor")
    await gw.complete(
        Model(name="openai/b", input_cost_per_token=1e-3, output_cost_per_token=2e-3),
        "x",
        role="judge",
    )
    judge, actor = gw.usage.by_role["judge"], gw.usage.by_role["actor"]
    assert (judge.calls, judge.samples, judge.prompt_tokens, judge.completion_tokens) == (
        2,
        3,
        20,
        15,
    )
    assert judge.cost_usd == pytest.approx(0.001 + 10 * 1e-3 + 5 * 2e-3)
    assert actor.cost_usd == pytest.approx(0.001) and actor.cost_label == "$0.001000"
    assert gw.usage.by_model["openai/a"].calls == 2
    assert gw.usage.total().calls == 3


async def test_unknown_price_is_reported_as_unknown() -> None:
    class Unpriced(ScriptedBackend):
        async def generate(self, request):  # type: ignore[no-untyped-def]
            result = await super().generate(request)
            result.cost_usd = None
            return result

    gw = _gateway(Unpriced())
    result = await gw.complete(Model(name="hosted_vllm/m"), "x", role="actor")
    assert result.cost_usd is None
    assert gw.usage.by_role["actor"].cost_label == "unknown"


async def test_keys_never_reach_events_or_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-proj-THISISASECRETKEY0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    backend = ScriptedBackend(
        [_litellm_error("AuthenticationError", 401, f"Incorrect API key {secret}")]
    )
    sink = MemorySink()
    jsonl = JsonlSink(tmp_path / "events.jsonl")
    from sparring.trace import FanoutSink

    gw = Gateway(sink=FanoutSink([sink, jsonl]), retry=FAST, backend_factory=backend)
    model = Model(name="openai/x", api_key=secret)
    with pytest.raises(ModelAuthError) as info:
        await gw.complete(model, f"please echo {secret}")
    await gw.complete(model, "fine")
    jsonl.close()
    assert secret not in str(info.value)
    assert secret not in (tmp_path / "events.jsonl").read_text()
    for event in sink.events:
        dumped = event.model_dump_json()
        assert "api_key" not in dumped
        if isinstance(event, ModelCallEvent) and event.error is not None:
            assert secret not in event.error.message


async def test_bad_arguments_fail_clearly() -> None:
    gw = _gateway(ScriptedBackend())
    with pytest.raises(TypeError, match="unknown call option"):
        await gw.complete(Model(name="openai/x"), "hi", temprature=0.5)
    with pytest.raises(ValueError, match="n must be"):
        await gw.complete(Model(name="openai/x"), "hi", n=0)
    with pytest.raises(TypeError, match="messages\\[0\\]"):
        await gw.complete(Model(name="openai/x"), [{"role": "robot", "content": "x"}])  # type: ignore[list-item]


def test_redact_catches_json_escaped_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    import json as _json

    from sparring._secrets import redact

    secret = 'pa"ss\\word-0123456789'
    monkeypatch.setenv("WEIRD_SERVICE_TOKEN", secret)
    assert secret not in redact(f"plain {secret} end")
    dumped = _json.dumps({"error": f"bad token {secret}"})
    assert _json.dumps(secret)[1:-1] not in redact(dumped)
