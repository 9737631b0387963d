"""The gateway: every model call goes through here.

It resolves the backend, serves the cache, bounds concurrency per model (AIMD), enforces the
per-attempt timeout, retries what is worth retrying, totals usage and cost, and emits one
``ModelCallEvent`` per call (plus a ``RetryEvent`` per retried attempt).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from sparring.errors import ModelCallError, model_error
from sparring.models._backend import Backend, BackendRequest, BackendResult
from sparring.models._cache import ResponseCache, cache_key, is_cacheable
from sparring.models._limiter import AdaptiveLimiter, ConcurrencyPolicy
from sparring.models._model import SAMPLING_FIELDS, Model, use_default_gateway
from sparring.models._openai_fast import OpenAICompatBackend, is_fast_route
from sparring.models._retry import Failure, RetryPolicy, classify
from sparring.models._types import ChatMessage, Completion, CompletionSet, Usage, as_messages
from sparring.models._usage import UsageTotals
from sparring.trace import (
    CallErrorInfo,
    ConcurrencyEvent,
    Event,
    EventSink,
    ModelCallEvent,
    NoticeEvent,
    NullSink,
    RetryEvent,
)

__all__ = [
    "SIM_PRICE_PER_TOKEN",
    "Gateway",
    "backend_for",
    "default_gateway",
    "litellm_backend",
    "set_default_gateway",
]

_OVERRIDES = (*SAMPLING_FIELDS, "timeout_s")
T = TypeVar("T")


class _Outcome:
    """Attempts and retries accumulated over the requests of one logical call."""

    __slots__ = ("attempts", "retries", "spent", "spent_cost")

    def __init__(self) -> None:
        self.attempts = 0
        self.retries = 0
        self.spent = Usage()
        self.spent_cost: float | None = 0.0


class Gateway:
    """Concurrency, retries, timeout, cache, usage and events for model calls.

    Args:
        sink: Where events go (dropped when None).
        cache: A response cache, or None for no caching.
        retry: The retry policy.
        concurrency: The adaptive concurrency policy (per model).
        timeout_s: Per-attempt timeout overriding every model's own ``timeout_s``.
        seed: Seed of the backoff jitter, for reproducible waits in tests.
        backend_factory: Builds the backend for a model (``backend_for`` when None;
            ``litellm_backend`` sends every call through LiteLLM); a hook for custom clients
            and tests.
    """

    def __init__(
        self,
        *,
        sink: EventSink | None = None,
        cache: ResponseCache | None = None,
        retry: RetryPolicy | None = None,
        concurrency: ConcurrencyPolicy | None = None,
        timeout_s: float | None = None,
        seed: int | None = None,
        backend_factory: Callable[[Model], Backend] | None = None,
    ) -> None:
        self.sink: EventSink = sink or NullSink()
        self.cache = cache
        self.retry = retry or RetryPolicy()
        self.concurrency = concurrency or ConcurrencyPolicy()
        self.timeout_s = timeout_s
        self.usage = UsageTotals()
        self._limiters: dict[tuple[str, str | None], AdaptiveLimiter] = {}
        self._rng = random.Random(seed)
        self._backend_factory = backend_factory or backend_for
        self._single_n: set[tuple[str, str | None]] = set()

    def native_n(self, model: Model) -> bool:
        """Whether to ask this model for ``n`` samples in one request."""
        return model.uses_native_n and (model.name, model.api_base) not in self._single_n

    def short_n(self, model: Model, asked: int, got: int) -> None:
        """Remember a model that returned fewer choices than asked; say so once."""
        key = (model.name, model.api_base)
        if key in self._single_n:
            return
        self._single_n.add(key)
        where = f" at {model.api_base}" if model.api_base else ""
        self.emit(
            NoticeEvent(
                model=model.name,
                message=(
                    f"{model.name}{where} ignores n (asked for {asked} choices, got {got}): "
                    "asking for one sample per request from now on"
                ),
            )
        )

    def emit(self, event: Event) -> None:
        """Send an event to the sink; a failing sink never breaks a call."""
        with contextlib.suppress(Exception):
            self.sink.emit(event)

    def limiter(self, model: Model) -> AdaptiveLimiter:
        """The adaptive limiter shared by every call to this model and API base."""
        key = (model.name, model.api_base)
        limiter = self._limiters.get(key)
        if limiter is None:

            def changed(limit: int, reason: str, name: str = model.name) -> None:
                self.emit(ConcurrencyEvent(model=name, limit=limit, reason=reason))

            limiter = AdaptiveLimiter(
                self.concurrency, ceiling=model.max_concurrency, on_change=changed
            )
            self._limiters[key] = limiter
        return limiter

    async def complete(
        self,
        model: Model,
        messages: Sequence[ChatMessage] | str,
        *,
        n: int = 1,
        role: str | None = None,
        sample_index: int = 0,
        **overrides: Any,
    ) -> CompletionSet:
        """Call ``model`` for ``n`` samples; see ``Model.complete`` for the arguments."""
        unknown = sorted(set(overrides) - set(_OVERRIDES))
        if unknown:
            raise TypeError(f"unknown call option(s) {unknown}; allowed: {list(_OVERRIDES)}")
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        msgs = as_messages(messages)
        params = model.sampling()
        params.update(
            {k: v for k, v in overrides.items() if k in SAMPLING_FIELDS and v is not None}
        )
        timeout = overrides.get("timeout_s") or self.timeout_s or model.timeout_s
        key = None
        if self.cache is not None and is_cacheable(params):
            key = cache_key(
                model=model.name,
                api_base=model.api_base,
                messages=msgs,
                params=params,
                n=n,
                sample_index=sample_index,
            )
        call = _CallSpec(self, model, role, msgs, params, n, sample_index, timeout)
        return await call.run(key)

    async def attempt(
        self, model: Model, request: BackendRequest, call: _CallSpec, outcome: _Outcome
    ) -> BackendResult:
        """Run one request with retries; raise a typed ``ModelCallError`` when out of attempts."""
        backend = self._backend_factory(model)
        limiter = self.limiter(model)
        for attempt in range(1, self.retry.max_attempts + 1):
            outcome.attempts += 1
            await limiter.acquire()
            try:
                # ``timeout`` runs the request in this task; ``wait_for`` would make a task per
                # attempt (a measurable share of a simulator call's CPU).
                async with asyncio.timeout(request.timeout_s):
                    result = await backend.generate(request)
            except asyncio.CancelledError:
                limiter.release()
                raise
            except Exception as exc:
                limiter.release()
                failure = (
                    _timeout_failure(request) if isinstance(exc, TimeoutError) else classify(exc)
                )
                if failure.kind == "rate_limit":
                    limiter.on_rate_limit(failure.retry_after_s)
                if not failure.retryable or attempt == self.retry.max_attempts:
                    raise model_error(
                        model=model.name,
                        kind=failure.kind,
                        cause=failure.message,
                        attempts=outcome.attempts,
                        role=call.role,
                        status_code=failure.status_code,
                        fatal=failure.fatal,
                    ) from exc
                delay = self.retry.delay(attempt, failure, self._rng)
                outcome.retries += 1
                self.emit(
                    RetryEvent(
                        call_id=call.call_id,
                        role=call.role,
                        model=model.name,
                        attempt=attempt,
                        delay_s=delay,
                        retry_after_s=failure.retry_after_s,
                        error=_info(failure),
                    )
                )
                await asyncio.sleep(delay)
                continue
            limiter.release()
            limiter.on_success()
            outcome.spent = outcome.spent + result.usage
            if result.cost_usd is None or outcome.spent_cost is None:
                outcome.spent_cost = None
            else:
                outcome.spent_cost += result.cost_usd
            return result
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


class _CallSpec:
    """One logical call: its requests, its cache entry, its event and its usage record."""

    def __init__(
        self,
        gateway: Gateway,
        model: Model,
        role: str | None,
        messages: list[ChatMessage],
        params: dict[str, Any],
        n: int,
        sample_index: int,
        timeout_s: float,
    ) -> None:
        self.gateway = gateway
        self.model = model
        self.role = role
        self.messages = messages
        self.params = params
        self.n = n
        self.sample_index = sample_index
        self.timeout_s = timeout_s
        self.call_id = uuid.uuid4().hex
        self.started = time.perf_counter()

    def requests(self) -> list[BackendRequest]:
        """One request for n samples, or n single requests (seeded ``seed + i``)."""
        if self.n == 1 or self.gateway.native_n(self.model):
            return [
                BackendRequest(
                    self.messages, dict(self.params), self.n, self.sample_index, self.timeout_s
                )
            ]
        return [self._single(i) for i in range(self.n)]

    def _single(self, i: int) -> BackendRequest:
        """The request for sample ``i`` alone (its seed is ``seed + i``)."""
        params = dict(self.params)
        if params.get("seed") is not None:
            params["seed"] = int(params["seed"]) + i
        return BackendRequest(self.messages, params, 1, self.sample_index + i, self.timeout_s)

    async def _fetch(self, outcome: _Outcome) -> list[Completion]:
        """Every sample, topping up one by one when a server returned fewer than asked."""
        gw = self.gateway
        requests = self.requests()
        results = await _gather_or_cancel(
            [gw.attempt(self.model, r, self, outcome) for r in requests]
        )
        completions = [c for r in results for c in r.completions]
        if len(completions) < self.n:
            gw.short_n(self.model, self.n, len(completions))
            have = {c.index - self.sample_index for c in completions}
            missing = [self._single(i) for i in range(self.n) if i not in have]
            more = await _gather_or_cancel(
                [gw.attempt(self.model, r, self, outcome) for r in missing]
            )
            completions += [c for r in more for c in r.completions[:1]]
        return sorted(completions, key=lambda c: c.index)

    async def run(self, key: str | None) -> CompletionSet:
        """Serve from the cache or the backend; record usage and emit the call event."""
        gw = self.gateway
        if key is not None and gw.cache is not None and (hit := gw.cache.get(key)) is not None:
            completions = [c.model_copy(update={"cache_hit": True}) for c in hit[0]]
            return self._finish(completions, Usage(), None, _Outcome(), cache_hit=True)
        outcome = _Outcome()
        try:
            completions = await self._fetch(outcome)
        except ModelCallError as err:
            self._fail(err, outcome)
            raise
        usage = outcome.spent
        cost = _price(self.model, usage, outcome.spent_cost)
        if key is not None and gw.cache is not None:
            gw.cache.put(
                key, model=self.model.name, completions=completions, usage=usage, cost_usd=cost
            )
        return self._finish(completions, usage, cost, outcome, cache_hit=False)

    def _event(self, outcome: _Outcome, **fields: Any) -> ModelCallEvent:
        params = {
            **self.params,
            "n": self.n,
            "sample_index": self.sample_index,
            "timeout_s": self.timeout_s,
        }
        if self.model.extra:
            params["extra_keys"] = sorted(self.model.extra)
        return ModelCallEvent(
            call_id=self.call_id,
            role=self.role,
            model=self.model.name,
            api_base=self.model.api_base,
            messages=[dict(m) for m in self.messages],
            params=params,
            n=self.n,
            attempts=outcome.attempts,
            retries=outcome.retries,
            latency_s=time.perf_counter() - self.started,
            **fields,
        )

    def _finish(
        self,
        completions: list[Completion],
        usage: Usage,
        cost: float | None,
        outcome: _Outcome,
        *,
        cache_hit: bool,
    ) -> CompletionSet:
        result = CompletionSet(
            model=self.model.name,
            role=self.role,
            completions=completions,
            usage=usage,
            cost_usd=cost,
            latency_s=time.perf_counter() - self.started,
            attempts=outcome.attempts,
            retries=outcome.retries,
        )
        self.gateway.usage.record(
            role=self.role,
            model=self.model.name,
            usage=usage,
            cost_usd=cost,
            samples=len(completions),
            cache_hit=cache_hit,
            retries=outcome.retries,
            failed=False,
        )
        self.gateway.emit(
            self._event(
                outcome,
                outputs=result.texts,
                finish_reasons=[c.finish_reason for c in completions],
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cost_usd=cost,
                cache_hits=len(completions) if cache_hit else 0,
            )
        )
        return result

    def _fail(self, err: ModelCallError, outcome: _Outcome) -> None:
        cost = _price(self.model, outcome.spent, outcome.spent_cost)
        self.gateway.usage.record(
            role=self.role,
            model=self.model.name,
            usage=outcome.spent,
            cost_usd=cost,
            samples=0,
            cache_hit=False,
            retries=outcome.retries,
            failed=True,
        )
        info = CallErrorInfo(
            kind=err.kind, message=err.cause, status_code=err.status_code, fatal=err.fatal
        )
        self.gateway.emit(
            self._event(
                outcome,
                error=info,
                cost_usd=cost,
                prompt_tokens=outcome.spent.prompt_tokens,
                completion_tokens=outcome.spent.completion_tokens,
            )
        )


async def _gather_or_cancel(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Await all; on the first failure cancel the rest instead of leaving them running."""
    if len(coros) == 1:
        return [await coros[0]]
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def backend_for(model: Model) -> Backend:
    """The default backend for a model.

    LangChain for a ``chat_model``; a direct HTTP client shared per event loop for an
    OpenAI-compatible server that LiteLLM would neither price nor rewrite (see
    ``sparring.models._openai_fast``); LiteLLM for everything else.
    """
    if model.chat_model is not None:
        from sparring.models._langchain import LangChainBackend

        return LangChainBackend(model)
    if is_fast_route(model):
        return OpenAICompatBackend(model)
    return litellm_backend(model)


def litellm_backend(model: Model) -> Backend:
    """Always LiteLLM (a ``backend_factory`` that turns the fast path off)."""
    from sparring.models._litellm import LiteLLMBackend

    return LiteLLMBackend(model)


# A made-up price for the simulator, so cost totals are exercised offline (clearly fictional).
SIM_PRICE_PER_TOKEN = (2e-7, 8e-7)


def _price(model: Model, usage: Usage, reported: float | None) -> float | None:
    """The model's price overrides, else the backend's cost, else the simulator's price."""
    if model.input_cost_per_token is not None and model.output_cost_per_token is not None:
        prices = (model.input_cost_per_token, model.output_cost_per_token)
    elif reported is not None or not model.is_simulated:
        return reported
    else:
        prices = SIM_PRICE_PER_TOKEN
    return usage.prompt_tokens * prices[0] + usage.completion_tokens * prices[1]


def _timeout_failure(request: BackendRequest) -> Failure:
    return Failure(kind="timeout", message=f"no answer within {request.timeout_s:g}s")


def _info(failure: Failure) -> CallErrorInfo:
    return CallErrorInfo(
        kind=failure.kind,
        message=failure.message,
        status_code=failure.status_code,
        fatal=failure.fatal,
    )


_DEFAULT: Gateway | None = None


def default_gateway() -> Gateway:
    """The process-wide gateway used when a call names none (no cache, no sink)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Gateway()
    return _DEFAULT


def set_default_gateway(gateway: Gateway | None) -> None:
    """Replace the process-wide gateway (None resets it)."""
    global _DEFAULT
    _DEFAULT = gateway


use_default_gateway(default_gateway)  # Model.complete's default, looked up at call time
