"""The fast path for OpenAI-compatible servers, against LiteLLM on the same ``serve-sim``.

Whatever goes through the fast path must come out as it would through LiteLLM: the same
completions and usage, the same failure kinds (status, Retry-After, fatal), the same key rules.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from sparring import Model
from sparring.errors import ModelCallError
from sparring.models import (
    BackendRequest,
    Failure,
    Gateway,
    OpenAICompatBackend,
    RetryPolicy,
    backend_for,
    classify,
    is_fast_route,
    litellm_backend,
)
from sparring.models._litellm import LiteLLMBackend
from sparring.sim import FaultConfig, SimServer, SimWorld
from sparring.trace import MemorySink, ModelCallEvent, NoticeEvent

ONCE = RetryPolicy(max_attempts=1)


@pytest.fixture
def server() -> Iterator[SimServer]:
    with SimServer() as srv:
        yield srv


def _request(n: int = 1, **params: object) -> BackendRequest:
    question = SimWorld(seed=4).problem(2).question
    return BackendRequest([{"role": "user", "content": question}], dict(params), n, 0, 10.0)


@pytest.mark.parametrize(
    ("name", "api_base", "extra", "fast"),
    [
        ("hosted_vllm/actor", "http://127.0.0.1:8000/v1", {}, True),
        ("openai/actor", "http://127.0.0.1:8000/v1", {}, True),
        ("openai/Qwen/Qwen2.5-7B-Instruct", "http://127.0.0.1:8000/v1", {}, True),
        ("openai/gpt-4o-mini", "http://127.0.0.1:8000/v1", {}, False),  # LiteLLM prices it
        ("openai/openai/gpt-4o", "http://127.0.0.1:8000/v1", {}, False),
        ("hosted_vllm/actor", None, {}, False),
        ("hosted_vllm/actor", "http://127.0.0.1:8000/v1", {"extra_headers": {"x": "1"}}, False),
        ("sim/actor", None, {}, False),
        ("anthropic/claude-x", "http://127.0.0.1:8000/v1", {}, False),
        ("actor", "http://127.0.0.1:8000/v1", {}, False),
    ],
)
def test_which_models_take_the_fast_path(
    name: str, api_base: str | None, extra: dict[str, object], fast: bool
) -> None:
    model = Model(name, api_base=api_base, extra=extra)
    assert is_fast_route(model) is fast
    assert isinstance(backend_for(model), OpenAICompatBackend) is fast
    assert not isinstance(litellm_backend(model), OpenAICompatBackend)


async def test_same_completions_usage_and_body_as_litellm(server: SimServer) -> None:
    params = {"temperature": 0.9, "seed": 5, "max_tokens": 200, "logprobs": True,
              "top_logprobs": 2, "stop": ["\n\n\n"]}
    model = Model("hosted_vllm/actor", api_base=server.base_url)
    fast = await OpenAICompatBackend(model).generate(_request(3, **params))
    slow = await LiteLLMBackend(model).generate(_request(3, **params))
    assert [c.text for c in fast.completions] == [c.text for c in slow.completions]
    assert [c.index for c in fast.completions] == [0, 1, 2]
    assert fast.completions == slow.completions  # logprobs and finish reasons included
    assert fast.usage == slow.usage and fast.usage.completion_tokens > 0
    assert fast.cost_usd is None and slow.cost_usd is None


async def test_fewer_choices_than_n_are_topped_up_once(server: SimServer) -> None:
    sink = MemorySink()
    gw = Gateway(sink=sink, retry=ONCE)
    with SimServer(max_n=1) as short:
        model = Model("openai/actor", api_base=short.base_url, seed=1)
        assert len((await OpenAICompatBackend(model).generate(_request(4))).completions) == 1
        result = await gw.complete(model, "q", n=4)
        again = await gw.complete(model, "q", n=2)
    assert len(result) == 4 and [c.index for c in result] == [0, 1, 2, 3]
    assert len(again) == 2
    assert len(sink.of_kind(NoticeEvent)) == 1
    assert [e.attempts for e in sink.of_kind(ModelCallEvent)] == [4, 2]


async def _failure(backend: object, request: BackendRequest) -> Failure:
    try:
        await backend.generate(request)  # type: ignore[attr-defined]
    except Exception as exc:
        return classify(exc)
    raise AssertionError("the request did not fail")


def _same(fast: Failure, slow: Failure) -> None:
    assert (fast.kind, fast.retry_after_s, fast.fatal, fast.retryable) == (
        slow.kind, slow.retry_after_s, slow.fatal, slow.retryable
    )
    # LiteLLM reports a failure that had no HTTP status (an unreadable 200 body, a refused
    # connection) as HTTP 500; the fast path reports no status for those.
    if fast.status_code is not None:
        assert fast.status_code == slow.status_code
    else:
        assert slow.status_code in (None, 500)


@pytest.mark.parametrize(
    "faults",
    [
        FaultConfig(rate_429=1.0, retry_after_s=2.0),
        FaultConfig(rate_500=1.0),
        FaultConfig(rate_malformed=1.0),
    ],
    ids=["429", "500", "malformed"],
)
async def test_faults_classify_as_through_litellm(faults: FaultConfig) -> None:
    with SimServer(faults=faults) as srv:
        model = Model("openai/actor", api_base=srv.base_url)
        fast = await _failure(OpenAICompatBackend(model), _request())
        slow = await _failure(LiteLLMBackend(model), _request())
    _same(fast, slow)
    assert fast.retryable


async def test_failures_are_the_openai_sdks_exception_classes() -> None:
    import openai

    with SimServer(faults=FaultConfig(rate_429=1.0, retry_after_s=3.0)) as srv:
        model = Model("openai/actor", api_base=srv.base_url)
        with pytest.raises(openai.RateLimitError) as info:
            await OpenAICompatBackend(model).generate(_request())
    assert info.value.status_code == 429
    assert info.value.response.headers["retry-after"] == "3"


async def test_truncated_body_is_a_retryable_failure() -> None:
    # LiteLLM reports a cut body as a 500 or a connection error depending on where it broke;
    # either way it is retried.
    with SimServer(faults=FaultConfig(rate_truncated=1.0)) as srv:
        model = Model("openai/actor", api_base=srv.base_url)
        fast = await _failure(OpenAICompatBackend(model), _request())
    assert fast.kind in ("malformed", "connection", "server") and fast.retryable


async def test_wrong_key_and_wrong_url_are_fatal_as_through_litellm() -> None:
    with SimServer(api_key="the-right-key") as srv:
        model = Model("hosted_vllm/actor", api_base=srv.base_url, api_key="a-wrong-key-000")
        fast = await _failure(OpenAICompatBackend(model), _request())
        slow = await _failure(LiteLLMBackend(model), _request())
    _same(fast, slow)
    assert fast.kind == "auth" and fast.fatal
    with SimServer() as srv:
        wrong = Model("openai/actor", api_base=srv.url + "/v2")  # an unknown route: 404
        fast = await _failure(OpenAICompatBackend(wrong), _request())
        slow = await _failure(LiteLLMBackend(wrong), _request())
    _same(fast, slow)
    assert fast.kind == "bad_request" and fast.fatal


async def test_nothing_listening_is_a_connection_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = Model("openai/actor", api_base=f"http://127.0.0.1:{port}/v1")
    fast = await _failure(OpenAICompatBackend(model), _request())
    slow = await _failure(LiteLLMBackend(model), _request())
    _same(fast, slow)
    assert fast.kind == "connection"


async def test_hang_times_out_through_the_gateway() -> None:
    gw = Gateway(retry=ONCE)
    with SimServer(faults=FaultConfig(rate_hang=1.0, hang_s=5.0)) as srv:
        model = Model("hosted_vllm/actor", api_base=srv.base_url, timeout_s=0.2)
        with pytest.raises(ModelCallError) as info:
            await gw.complete(model, "hello")
    assert info.value.kind == "timeout"


async def test_key_from_env_and_placeholder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with SimServer(api_key="from-the-env-123") as srv:
        model = Model("hosted_vllm/actor", api_base=srv.base_url)
        monkeypatch.delenv("HOSTED_VLLM_API_KEY", raising=False)
        assert (await _failure(OpenAICompatBackend(model), _request())).kind == "auth"
        monkeypatch.setenv("HOSTED_VLLM_API_KEY", "from-the-env-123")
        assert len((await OpenAICompatBackend(model).generate(_request())).completions) == 1
        named = Model("openai/actor", api_base=srv.base_url, api_key_env="MY_SERVER_KEY")
        monkeypatch.setenv("MY_SERVER_KEY", "from-the-env-123")
        assert len((await OpenAICompatBackend(named).generate(_request())).completions) == 1


def test_clients_close_with_the_loop(server: SimServer) -> None:
    code = textwrap.dedent(
        f"""
        import asyncio, gc, warnings
        warnings.simplefilter("error")
        from sparring.models import Gateway, Model
        async def main():
            model = Model("hosted_vllm/actor", api_base={server.base_url!r})
            return await Gateway().complete(model, "hi")
        print(len(asyncio.run(main())))
        gc.collect()
        """
    )
    out = subprocess.run([sys.executable, "-X", "dev", "-c", code], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"
    assert "Unclosed" not in out.stderr and "never awaited" not in out.stderr
