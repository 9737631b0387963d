"""The simulator's OpenAI-compatible HTTP server and its seeded fault injection (loopback only)."""

from __future__ import annotations

import asyncio
import http.client
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from sparring.sim import SimEngine, SimWorld, request_from_params
from sparring.sim._faults import Fault, FaultConfig, FaultInjector
from sparring.sim._reading import final_answer
from sparring.sim._server import PERSONAS, SimServer

QUESTION = SimWorld(0).problem(0).question
RAW: list[dict[str, Any]] = [{"role": "user", "content": QUESTION}]
MSGS = cast(list[ChatCompletionMessageParam], RAW)


def _four_sd(p: float, n: int) -> float:
    """Four standard deviations of a binomial count: a false alarm about once in 16,000 runs."""
    return 4 * math.sqrt(n * p * (1 - p))


def _sim_texts(**params: Any) -> list[str]:
    """What the simulator answers in process, for comparison with the HTTP path."""
    result = SimEngine(seed=0).respond(request_from_params("actor", RAW, params))
    return [c.text for c in result.choices]


@pytest.fixture
def server() -> Iterator[SimServer]:
    with SimServer(engine=SimEngine(seed=0)) as srv:
        yield srv


@pytest.fixture
async def client(server: SimServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-test",
                                  max_retries=0) as cli:
        yield cli


def _http(srv: SimServer, method: str, path: str, body: bytes | None = None,
          conn: http.client.HTTPConnection | None = None) -> tuple[int, dict[str, Any], Any]:
    conn = conn or http.client.HTTPConnection(srv.host, srv.port, timeout=5)
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    return resp.status, dict(resp.getheaders()), json.loads(resp.read())


# ---------------------------------------------------------------- routes and errors


def test_models_health_and_unknown_routes(server: SimServer) -> None:
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    status, _, body = _http(server, "GET", "/v1/models")
    assert status == 200
    assert [m["id"] for m in body["data"]] == list(PERSONAS)
    assert {"actor", "judge", "meta_judge", "critic", "sneaky", "planner"} == set(PERSONAS)
    assert _http(server, "GET", "/health")[2]["status"] == "ok"
    assert _http(server, "GET", "/v1/models/judge")[2]["id"] == "judge"
    for method, path, code in (("GET", "/v1/nope", 404), ("POST", "/v2/chat", 404),
                               ("GET", "/v1/models/gpt-9", 404),
                               ("GET", "/v1/chat/completions", 405)):
        status, headers, body = _http(server, method, path, b"{}" if method == "POST" else None)
        assert status == code, path
        assert headers["Content-Type"] == "application/json"
        assert body["error"]["message"] and body["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        (b'{"model": "actor", "messages": [', None, "not valid JSON"),
        (b"[1, 2]", None, "JSON object"),
        (b'{"model": "actor"}', "messages", "required"),
        (b'{"messages": []}', "model", "required"),
        (b'{"model": "actor", "messages": []}', "messages", "non-empty"),
        (b'{"model": "actor", "messages": ["hi"]}', "messages[0]", "object"),
        (b'{"model": "a", "messages": [{"role": "user", "content": 3}]}', "messages[0].content",
         "string"),
        (b'{"model": "a", "messages": [{"role": "user", "content": "x"}], "n": "three"}', "n",
         "integer"),
        (b'{"model": "a", "messages": [{"role": "user", "content": "x"}], "temperature": 9}',
         "temperature", "number"),
        (b'{"model": "a", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
         "stream", "boolean"),
        (b'{"model": "a", "messages": [{"role": "user", "content": "x"}], "sim_task": "nope"}',
         None, "unknown simulator task"),
    ],
)
def test_bad_requests_get_a_400_naming_the_problem(server: SimServer, body: bytes,
                                                   param: str | None, words: str) -> None:
    status, _, answer = _http(server, "POST", "/v1/chat/completions", body)
    assert status == 400
    assert answer["error"]["param"] == param
    assert words in answer["error"]["message"]
    assert server.stats.requests == 0  # invalid requests never reach the fault draw


def test_keep_alive_survives_errors_and_answers(server: SimServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    ok = json.dumps({"model": "actor", "messages": MSGS, "seed": 1}).encode()
    codes = [_http(server, m, p, b, conn)[0] for m, p, b in
             (("POST", "/v1/chat/completions", ok), ("POST", "/v1/chat/completions", b"{"),
              ("GET", "/v1/nope", None), ("GET", "/v1/models", None),
              ("POST", "/v1/chat/completions", ok))]
    assert codes == [200, 400, 404, 200, 200]
    first_socket = conn.sock
    _http(server, "GET", "/health", conn=conn)
    assert conn.sock is first_socket  # one TCP connection throughout


def test_refuses_a_non_loopback_host() -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        SimServer("0.0.0.0")


# ---------------------------------------------------------------- through the openai SDK


async def test_chat_completion_is_the_simulator_over_http(client: openai.AsyncOpenAI) -> None:
    resp = await client.chat.completions.create(model="actor", messages=MSGS, seed=1)
    text = resp.choices[0].message.content or ""
    assert resp.object == "chat.completion" and resp.model == "actor"
    assert final_answer(text) is not None and text.splitlines()[-1].startswith("The answer is")
    assert text == _sim_texts(seed=1)[0]
    assert resp.usage is not None and resp.usage.total_tokens > resp.usage.prompt_tokens > 0
    again = await client.chat.completions.create(model="actor", messages=MSGS, seed=1)
    assert again.choices[0].message.content == text  # deterministic over HTTP


async def test_n_samples_and_extra_body_reach_the_simulator(client: openai.AsyncOpenAI) -> None:
    resp = await client.chat.completions.create(model="sim/actor", messages=MSGS, seed=4, n=3,
                                                temperature=1.0)
    assert [c.index for c in resp.choices] == [0, 1, 2]
    assert [c.message.content for c in resp.choices] == _sim_texts(seed=4, n=3, temperature=1.0)
    perfect = {"actor": {"accuracy": 1.0, "malformed_rate": 0.0}}
    resp = await client.chat.completions.create(
        model="actor", messages=MSGS, seed=4,
        extra_body={"sample_index": 5, "sim_profile": perfect})
    text = resp.choices[0].message.content or ""
    assert final_answer(text) == SimWorld(0).problem(0).answer
    assert text == _sim_texts(seed=4, sample_index=5, sim_profile=perfect)[0]


async def test_streaming_reassembles_the_same_text_with_usage(client: openai.AsyncOpenAI) -> None:
    plain = await client.chat.completions.create(model="actor", messages=MSGS, seed=2)
    stream = await client.chat.completions.create(
        model="actor", messages=MSGS, seed=2, stream=True,
        stream_options={"include_usage": True})
    parts, finish, usage, chunks = [], None, None, 0
    async for chunk in stream:
        chunks += 1
        assert chunk.object == "chat.completion.chunk"
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
        usage = chunk.usage or usage
    assert "".join(parts) == plain.choices[0].message.content
    assert chunks > 10 and finish == "stop"
    assert usage is not None and usage.total_tokens == (plain.usage and plain.usage.total_tokens)


async def test_logprobs_come_back_when_asked(client: openai.AsyncOpenAI) -> None:
    resp = await client.chat.completions.create(model="actor", messages=MSGS, seed=3,
                                                logprobs=True)
    choice = resp.choices[0]
    assert choice.logprobs is not None and choice.logprobs.content
    assert "".join(t.token for t in choice.logprobs.content) == choice.message.content
    assert all(t.logprob <= 0 and t.top_logprobs == [] for t in choice.logprobs.content)
    plain = await client.chat.completions.create(model="actor", messages=MSGS, seed=3)
    assert plain.choices[0].logprobs is None


async def test_handles_many_concurrent_requests(client: openai.AsyncOpenAI) -> None:
    calls = [client.chat.completions.create(model="judge", seed=i, messages=[
        {"role": "user", "content": SimWorld(0).problem(i).question}]) for i in range(150)]
    answers = await asyncio.gather(*calls)
    assert all(a.choices[0].message.content for a in answers)


# ---------------------------------------------------------------- through litellm


@pytest.mark.parametrize("route", ["openai", "hosted_vllm"])
async def test_litellm_routes_reach_the_server(server: SimServer, route: str) -> None:
    import litellm

    key = {"api_key": "x"} if route == "openai" else {}  # hosted_vllm needs no key
    resp = await litellm.acompletion(model=f"{route}/actor", messages=RAW, seed=1,
                                     api_base=server.base_url, max_retries=0, **key)
    assert resp.choices[0].message.content == _sim_texts(seed=1)[0]


# ---------------------------------------------------------------- faults


def test_fault_config_is_checked() -> None:
    with pytest.raises(ValueError, match="sum"):
        FaultConfig(rate_429=0.6, rate_500=0.5)
    with pytest.raises(ValueError, match="rate_hang"):
        FaultConfig(rate_hang=-0.1)
    with pytest.raises(ValueError, match="latency_s"):
        FaultConfig(latency_s=-1)
    assert not FaultConfig().active and FaultConfig(rate_500=1.0).total_rate == 1.0


_EXPECTED: dict[str, tuple[type[BaseException], type[BaseException]]] = {
    # fault kind: (non-streaming error, streaming error) as the openai SDK raises them
    "rate_429": (openai.RateLimitError, openai.RateLimitError),
    "rate_500": (openai.InternalServerError, openai.InternalServerError),
    "rate_malformed": (json.JSONDecodeError, json.JSONDecodeError),
    "rate_truncated": (openai.APIConnectionError, httpx.RemoteProtocolError),
    "rate_hang": (openai.APITimeoutError, openai.APITimeoutError),
}


async def _call(cli: openai.AsyncOpenAI, stream: bool) -> None:
    if not stream:
        await cli.chat.completions.create(model="actor", messages=MSGS)
        return
    async for _ in await cli.chat.completions.create(model="actor", messages=MSGS, stream=True):
        pass


@pytest.mark.parametrize("kind", list(_EXPECTED))
async def test_each_fault_at_rate_one_gives_the_expected_client_error(kind: str) -> None:
    rates: dict[str, Any] = {kind: 1.0}
    faults = FaultConfig(**rates, retry_after_s=0.25, hang_s=2.0)
    with SimServer(faults=faults) as srv:
        async with openai.AsyncOpenAI(base_url=srv.base_url, api_key="sk-test", max_retries=0,
                                      timeout=0.3) as cli:
            for stream, expected in zip((False, True), _EXPECTED[kind], strict=True):
                with pytest.raises(expected) as caught:
                    await _call(cli, stream)
                if kind == "rate_429":
                    error = caught.value
                    assert isinstance(error, openai.RateLimitError)
                    assert error.response.headers["retry-after"] == "0.25"
                    assert error.response.json()["error"]["retry_after_s"] == 0.25
        stats = srv.stats
    field = {"rate_429": "rate_limited", "rate_500": "server_errors", "rate_hang": "hangs",
             "rate_malformed": "malformed", "rate_truncated": "truncated"}[kind]
    assert stats.requests == getattr(stats, field) == stats.injected == 2


def _outcome(exc: BaseException | None) -> str:
    names = {openai.RateLimitError: "429", openai.InternalServerError: "500",
             json.JSONDecodeError: "malformed", openai.APIConnectionError: "truncated"}
    return "ok" if exc is None else names[type(exc)]


async def _run(srv: SimServer, bodies: list[int]) -> list[str]:
    out = []
    async with openai.AsyncOpenAI(base_url=srv.base_url, api_key="k", max_retries=0) as cli:
        for i in bodies:
            try:
                await cli.chat.completions.create(model="actor", seed=i, messages=MSGS)
                out.append(_outcome(None))
            except (openai.APIError, json.JSONDecodeError) as exc:
                out.append(_outcome(exc))
    return out


MIXED = FaultConfig(rate_429=0.3, rate_500=0.1, rate_malformed=0.1, rate_truncated=0.1,
                    retry_after_s=0.01, seed=7)


async def test_fault_rates_hold_and_clients_see_what_was_counted() -> None:
    n = 200
    with SimServer(faults=MIXED) as srv:
        seen = Counter(await _run(srv, list(range(n))))
        stats = srv.stats
    assert stats.requests == n and stats.ok == seen["ok"]
    assert (stats.rate_limited, stats.server_errors) == (seen["429"], seen["500"])
    assert (stats.malformed, stats.truncated) == (seen["malformed"], seen["truncated"])
    for count, rate in ((stats.rate_limited, 0.3), (stats.server_errors, 0.1),
                        (stats.malformed, 0.1), (stats.truncated, 0.1), (stats.ok, 0.4)):
        assert abs(count - n * rate) <= _four_sd(rate, n)  # 200 requests: 0.3 -> 60 +- 26


def test_fault_draws_hold_their_rates_in_process() -> None:
    n = 20_000
    injector = FaultInjector(FaultConfig(rate_429=0.2, rate_hang=0.05, latency_s=0.1, seed=3))
    decisions = [injector.decide({"model": "actor", "i": i}) for i in range(n)]
    counts = Counter(d.fault for d in decisions)
    assert abs(counts[Fault.RATE_LIMIT] - 0.2 * n) <= _four_sd(0.2, n)
    assert abs(counts[Fault.HANG] - 0.05 * n) <= _four_sd(0.05, n)
    mean_latency = sum(d.latency_s for d in decisions) / n  # exponential: sd = mean
    assert abs(mean_latency - 0.1) <= 4 * 0.1 / math.sqrt(n)
    uniform = FaultInjector(FaultConfig(latency_s=0.1, latency_dist="uniform"))
    assert all(0 <= uniform.draw(str(i), 0).latency_s <= 0.2 for i in range(1000))


async def test_seeded_faults_are_reproducible() -> None:
    sequence = [i % 30 for i in range(60)]  # repeats included: attempt numbers matter
    runs = []
    for seed in (7, 7, 8):
        with SimServer(faults=FaultConfig(rate_429=0.3, rate_500=0.2, retry_after_s=0.01,
                                          seed=seed)) as srv:
            runs.append((await _run(srv, sequence), srv.stats))
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[2][0]


async def test_a_retried_identical_request_eventually_succeeds() -> None:
    faults = FaultConfig(rate_429=0.3, rate_500=0.3, rate_truncated=0.2, retry_after_s=0.01)
    attempts = []
    with SimServer(faults=faults, engine=SimEngine(seed=0)) as srv:
        for body in range(10):
            outcomes: list[str] = []
            while not outcomes or outcomes[-1] != "ok":
                outcomes += await _run(srv, [body])
                assert len(outcomes) < 80  # 0.8 ** 80: never, for a fixed seed
            attempts.append(len(outcomes))
        assert srv.stats.ok == 10 and srv.stats.requests == sum(attempts)
    assert max(attempts) > 1  # some bodies failed first and got through on a retry
    # The SDK's own retries honour the 429's retry-after-ms and get through as well.
    with SimServer(faults=FaultConfig(rate_429=0.5, retry_after_s=0.01, seed=2)) as srv:
        async with openai.AsyncOpenAI(base_url=srv.base_url, api_key="k", max_retries=30) as cli:
            resp = await cli.chat.completions.create(model="actor", messages=MSGS, seed=1)
        assert resp.choices[0].message.content == _sim_texts(seed=1)[0]
        assert srv.stats.ok == 1 and srv.stats.rate_limited >= 1


def test_close_ends_a_hang_at_once() -> None:
    srv = SimServer(faults=FaultConfig(rate_hang=1.0, hang_s=60.0)).start()
    body = json.dumps({"model": "actor", "messages": MSGS}).encode()
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=0.2)
    with pytest.raises(TimeoutError):
        _http(srv, "POST", "/v1/chat/completions", body, conn)
    started = time.perf_counter()
    srv.close()
    srv.close()  # idempotent
    assert time.perf_counter() - started < 10  # not the 60 s hang


def test_serve_blocks_quietly_and_returns_on_ctrl_c() -> None:
    code = ("from sparring.sim._server import serve\n"
            "serve('127.0.0.1', 0, on_ready=lambda url: print(url, flush=True))\n"
            "print('stopped', flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ})
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        host, port = url[len("http://"):-len("/v1")].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("GET", "/v1/nope")
        assert conn.getresponse().status == 404
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0 and out.strip() == "stopped"
    assert err == ""  # no request logging
