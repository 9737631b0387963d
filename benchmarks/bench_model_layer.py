"""Model-layer benchmark: simulator speed and sparring's overhead, side by side in one run.

Prints, from one run:
  1. in-process simulator calls/s (the engine alone, one core), and through LiteLLM's ``sim/``
     provider raw vs through sparring's gateway;
  2. per-call time over HTTP to ``sparring serve-sim`` on loopback (a separate process) for the
     raw ``openai`` client, raw ``litellm.acompletion`` and sparring's gateway, as ratios.

Run: ``python benchmarks/bench_model_layer.py [--calls 400] [--concurrency 16]``.
The server is pinned to the last core and the client to the first when ``taskset`` exists.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from sparring.models import Gateway, Model, RetryPolicy
from sparring.sim import SimEngine, SimRequest, SimWorld

Call = Callable[[int], Awaitable[object]]


def _questions(n: int) -> list[str]:
    world = SimWorld(seed=0)
    return [world.task(i).question for i in range(n)]


def bench_engine(calls: int) -> float:
    """Calls per second of the simulator engine alone (no LiteLLM, no gateway)."""
    engine, qs = SimEngine(), _questions(256)
    for i in range(200):
        engine.respond(SimRequest("actor", [{"role": "user", "content": qs[i % 256]}], seed=i))
    started = time.perf_counter()
    for i in range(calls):
        engine.respond(SimRequest("actor", [{"role": "user", "content": qs[i % 256]}], seed=i))
    return calls / (time.perf_counter() - started)


async def _rate(call: Call, calls: int, concurrency: int, repeats: int = 3) -> float:
    """Median calls/s of ``calls`` calls, ``concurrency`` at a time (after a warm-up)."""
    for i in range(20):
        await call(i)
    rates = []
    for _ in range(repeats):
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int, sem: asyncio.Semaphore = sem) -> None:
            async with sem:
                await call(i)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(calls)))
        rates.append(calls / (time.perf_counter() - started))
    return statistics.median(rates)


async def bench_in_process(calls: int, concurrency: int) -> dict[str, float]:
    import litellm

    qs = _questions(256)
    gateway = Gateway(retry=RetryPolicy(max_attempts=1))
    model = Model(name="sim/actor", seed=0)

    async def raw(i: int) -> object:
        return await litellm.acompletion(
            model="sim/actor",
            seed=0,
            sample_index=0,
            messages=[{"role": "user", "content": qs[i % 256]}],
        )

    async def ours(i: int) -> object:
        return await gateway.complete(model, qs[i % 256])

    return {
        "litellm sim/ provider": await _rate(raw, calls, concurrency),
        "sparring gateway, sim/": await _rate(ours, calls, concurrency),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "sparring", "serve-sim", "--port", str(port)]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        cmd = ["taskset", "-c", str((os.cpu_count() or 2) - 1), *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("serve-sim did not start")


async def bench_http(base: str, calls: int, concurrency: int) -> dict[str, float]:
    import litellm
    import openai

    qs = _questions(256)
    client = openai.AsyncOpenAI(base_url=base, api_key="sk-bench", max_retries=0)
    gateway = Gateway(retry=RetryPolicy(max_attempts=1))
    model = Model(name="openai/actor", api_base=base, api_key="sk-bench", seed=0)

    def msgs(i: int) -> list[dict[str, str]]:
        return [{"role": "user", "content": qs[i % 256]}]

    async def raw_openai(i: int) -> object:
        return await client.chat.completions.create(model="actor", messages=msgs(i), seed=0)  # type: ignore[arg-type]

    async def raw_litellm(i: int) -> object:
        return await litellm.acompletion(
            model="openai/actor",
            api_base=base,
            api_key="sk-bench",
            messages=msgs(i),
            seed=0,
            max_retries=0,
        )

    async def ours(i: int) -> object:
        return await gateway.complete(model, qs[i % 256])

    out = {}
    for name, call in (
        ("openai client", raw_openai),
        ("litellm.acompletion", raw_litellm),
        ("sparring gateway", ours),
    ):
        out[name] = await _rate(call, calls, concurrency)
    await client.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("taskset"):
        os.sched_setaffinity(0, {0})
    print(f"simulator engine alone: {bench_engine(20 * args.calls):,.0f} calls/s (one core)")
    in_proc = asyncio.run(bench_in_process(args.calls, args.concurrency))
    base_rate = in_proc["litellm sim/ provider"]
    for name, rate in in_proc.items():
        print(
            f"  {name:28} {rate:8,.0f} calls/s  {1000 / rate:6.2f} ms/call  "
            f"x{base_rate / rate:.2f} the time of raw litellm"
        )
    proc, base = start_server()
    try:
        http = asyncio.run(bench_http(base, args.calls, args.concurrency))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"HTTP to serve-sim on loopback ({args.calls} calls, {args.concurrency} at a time):")
    for name, rate in http.items():
        print(f"  {name:28} {rate:8,.0f} calls/s  {1000 / rate:6.2f} ms/call")
    ours = http["sparring gateway"]
    print(
        f"gateway/litellm time ratio: {http['litellm.acompletion'] / ours:.2f}x; "
        f"gateway/openai-client time ratio: {http['openai client'] / ours:.2f}x"
    )


if __name__ == "__main__":
    main()
