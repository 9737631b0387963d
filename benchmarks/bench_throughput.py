"""Throughput against an OpenAI-compatible server: raw SDK, LiteLLM, gateway, whole graph run.

One run measures, side by side at the same concurrency (requests in flight), against
``sparring serve-sim`` in a separate process:

  * ``openai.AsyncOpenAI`` as it comes (its httpx pool), the baseline every ratio is to;
  * ``litellm.acompletion`` on the ``hosted_vllm/`` route;
  * sparring's ``Gateway.complete`` (the fast path), and the same gateway forced onto LiteLLM;
  * a whole dataset run: ``Runner`` (what ``Run.execute`` runs) of ``self-consistency`` over
    simulator tasks, 8 single-sample actor requests per item, checkpoints and run store on;

then the same graph run in process on ``sim/`` against bare ``litellm.acompletion`` (and the
gateway) on ``sim/`` making the graph's own calls: the same actor prompts, seeds, sample
indices and temperature, at the same concurrency (the graph's own CPU per call, target <= 1.5x
of bare LiteLLM's), and the start-up time (import plus first call, fresh process).

Each figure is the median of interleaved repetitions (A B C A B C ...); CPU per call is this
process's user+system time (all its threads) over the timed calls. Every timed batch runs with
the start-up heap frozen (``gc.freeze``, as a run freezes it for itself), so no path pays the
collector for the others' imports. The server is pinned to the
last core and the client to the first when ``taskset`` exists; on a shared machine, read the
ratios, not the absolute numbers.

Run: ``python benchmarks/bench_throughput.py [--quick] [--concurrency 64] [--latency 0]``;
``--sweep`` adds calls/s against concurrency at ``--sweep-latency`` (default 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

SAMPLES = 8  # actor requests per item of the graph run


@dataclass
class Figure:
    """One measurement: requests, wall seconds, CPU seconds."""

    calls: int
    wall_s: float
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.calls / self.wall_s

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_s / self.calls


# Runs a batch; returns the requests made, or its own Figure when it times only part of itself.
Bench = Callable[[], Awaitable["int | Figure"]]


async def _timed(bench: Bench) -> Figure:
    """One timed batch, the start-up heap frozen as a run freezes it (see ``_heap``).

    A run freezes the objects alive at its start so the collector stops re-walking the
    imports; the bare paths get the same, so no path pays for collecting the others' imports.
    """
    from sparring.run._heap import frozen_heap

    gc.collect()
    with frozen_heap():
        cpu, wall = time.process_time(), time.perf_counter()
        calls = await bench()
        if isinstance(calls, Figure):
            return calls
        return Figure(calls, time.perf_counter() - wall, time.process_time() - cpu)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pin(cmd: list[str]) -> list[str]:
    cores = os.cpu_count() or 1
    if shutil.which("taskset") and cores > 1:
        return ["taskset", "-c", str(cores - 1), *cmd]
    return cmd


def start_server(latency_s: float) -> tuple[subprocess.Popen[bytes], str]:
    """``sparring serve-sim`` in its own process; returns it and its base URL."""
    port = _free_port()
    cmd = [sys.executable, "-m", "sparring", "serve-sim", "--port", str(port)]
    if latency_s:
        cmd += ["--latency", str(latency_s)]
    proc = subprocess.Popen(_pin(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
            return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("serve-sim did not start")


def _questions(n: int) -> list[str]:
    from sparring.sim import SimWorld

    world = SimWorld(seed=0)
    return [world.problem(i).question for i in range(n)]


async def _bounded(call: Callable[[int], Awaitable[object]], calls: int, c: int) -> int:
    """``calls`` calls, at most ``c`` in flight."""
    sem = asyncio.Semaphore(c)

    async def one(i: int) -> None:
        async with sem:
            await call(i)

    await asyncio.gather(*(one(i) for i in range(calls)))
    return calls


def _policy(c: int) -> Any:
    """The gateway's adaptive limiter held at ``c`` requests in flight (it may still halve)."""
    from sparring.models import ConcurrencyPolicy

    return ConcurrencyPolicy(initial=c, ceiling=c)


def _call_benches(base: str, calls: int, c: int) -> dict[str, Bench]:
    """Per-request paths: raw SDK, raw LiteLLM, gateway (fast path), gateway on LiteLLM."""
    import litellm
    import openai

    from sparring.models import Gateway, Model, RetryPolicy, litellm_backend

    qs = _questions(256)
    sdk = openai.AsyncOpenAI(base_url=base, api_key="no-key", max_retries=0)
    _CLOSERS.append(sdk.close)
    model = Model("hosted_vllm/actor", api_base=base)
    fast = Gateway(retry=RetryPolicy(max_attempts=1), concurrency=_policy(c))
    slow = Gateway(
        retry=RetryPolicy(max_attempts=1), concurrency=_policy(c), backend_factory=litellm_backend
    )

    def msgs(i: int) -> list[dict[str, str]]:
        return [{"role": "user", "content": qs[i % len(qs)]}]

    async def raw_sdk(i: int) -> object:
        return await sdk.chat.completions.create(model="actor", messages=msgs(i))  # type: ignore[arg-type]

    async def raw_litellm(i: int) -> object:
        return await litellm.acompletion(
            model="hosted_vllm/actor",
            api_base=base,
            api_key="no-key",
            messages=msgs(i),
            max_retries=0,
        )

    def gateway(gw: Gateway) -> Callable[[int], Awaitable[object]]:
        async def call(i: int) -> object:
            return await gw.complete(model, qs[i % len(qs)], role="actor")

        return call

    return {
        "raw openai.AsyncOpenAI": lambda: _bounded(raw_sdk, calls, c),
        "litellm.acompletion": lambda: _bounded(raw_litellm, calls, c),
        "sparring Gateway": lambda: _bounded(gateway(fast), calls, c),
        "Gateway on LiteLLM": lambda: _bounded(gateway(slow), calls, c),
    }


def _graph_bench(
    roles: Any, items: int, c: int, *, open_limiter: bool = True, via_litellm: bool = False
) -> Bench:
    """A fresh run directory of ``items`` self-consistency items, run to the end.

    ``c`` requests in flight: the limiter allows ``c``, and ``c`` items run at once (each
    with 8 actor requests), so a slot freed by one item's fast sample is taken by another
    item instead of idling until the item's slowest sample is back. ``via_litellm`` sends
    every call through LiteLLM, as before the fast path existed.
    """
    from sparring.models import litellm_backend
    from sparring.run import Run
    from sparring.run._config import roles_from_config
    from sparring.run._runner import Runner
    from sparring.trace import Event, ModelCallEvent

    class Requests:
        def __init__(self) -> None:
            self.count = 0

        def emit(self, event: Event) -> None:
            if isinstance(event, ModelCallEvent):
                self.count += event.attempts

    async def bench() -> Figure:
        tmp = tempfile.mkdtemp(prefix="sparring-bench-")
        try:
            run = Run.create(
                Path(tmp) / "run",
                graph="self-consistency",
                roles=roles,
                seed=0,
                concurrency=c,
                cache=False,
                options={"n_samples": SAMPLES, "selection": "majority"},
            )
            run.add_sim_tasks(items)
            counter = Requests()
            runner = Runner(
                run.dir, run.store, run.config, roles_from_config(run.config), sinks=(counter,)
            )
            if open_limiter:  # limiters are made on first use, from this policy
                runner.gateway.concurrency = _policy(c)
            if via_litellm:  # the runner builds its own gateway: swap its factory in
                runner.gateway._backend_factory = litellm_backend
            # Timed from the runner's start: opening the savers and building the graph are
            # included, creating the directory and adding the items are not.
            gc.collect()
            cpu, wall = time.process_time(), time.perf_counter()
            status = await runner.run()
            figure = Figure(counter.count, time.perf_counter() - wall, time.process_time() - cpu)
            assert status == "finished", status
            run.close()
            return figure
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    return bench


def _http_roles(base: str) -> Any:
    from sparring import Roles
    from sparring.models import Model

    # One request per sample, so every request is a single-sample one, as the raw calls are.
    return Roles(actor=Model("hosted_vllm/actor", api_base=base, native_n=False))


async def _interleaved(make: Callable[[], dict[str, Bench]], repeats: int) -> dict[str, Figure]:
    """Warm each up once, then run them in turn ``repeats`` times; the median of each.

    The benches are made inside the loop, so clients bound to it are closed with it.
    """
    benches = make()
    for bench in benches.values():
        await bench()
    runs: dict[str, list[Figure]] = {name: [] for name in benches}
    for _ in range(repeats):
        for name, bench in benches.items():
            runs[name].append(await _timed(bench))
    await _close_clients()
    return {name: _median(figs) for name, figs in runs.items()}


_CLOSERS: list[Callable[[], Awaitable[None]]] = []


async def _close_clients() -> None:
    from sparring.models import aclose_clients

    while _CLOSERS:
        await _CLOSERS.pop()()
    await aclose_clients()


def _median(figs: list[Figure]) -> Figure:
    by_rate = sorted(figs, key=lambda f: f.rate)
    mid = by_rate[len(by_rate) // 2]
    cpu = statistics.median(f.cpu_s / f.calls for f in figs) * mid.calls
    return Figure(mid.calls, mid.wall_s, cpu)


def _table(title: str, figs: dict[str, Figure], base: str) -> None:
    print(f"\n{title}")
    print(f"| path | calls/s | client CPU per call | calls/s ratio to {base} |")
    print("|---|---:|---:|---:|")
    ref = figs[base].rate
    for name, fig in figs.items():
        print(f"| {name} | {fig.rate:,.0f} | {fig.cpu_ms:.2f} ms | {fig.rate / ref:.2f} |")


def http_section(args: argparse.Namespace, latency_s: float, c: int) -> dict[str, Figure]:
    """Every path against one server, at concurrency ``c``."""
    proc, base = start_server(latency_s)

    def make() -> dict[str, Bench]:
        benches = _call_benches(base, args.calls, c)
        items = max(c // SAMPLES, args.calls // SAMPLES)
        benches["whole graph run (self-consistency)"] = _graph_bench(_http_roles(base), items, c)
        if not args.quick:
            benches["graph run, default limiter"] = _graph_bench(
                _http_roles(base), items, c, open_limiter=False
            )
            benches["graph run on LiteLLM (before)"] = _graph_bench(
                _http_roles(base), items, c, via_litellm=True
            )
        return benches

    try:
        return asyncio.run(_interleaved(make, args.repeats))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def in_process_section(args: argparse.Namespace) -> dict[str, Figure]:
    """The graph's own CPU per call: the same graph on ``sim/`` against bare LiteLLM on ``sim/``.

    The bare paths make the graph's own calls: item ``k``'s actor prompt, samples
    ``0..7`` with ``seed`` and ``sample_index`` ``i``, temperature 0.7.
    """
    from sparring import Roles
    from sparring.agents import GSM8K_FORMAT
    from sparring.models import Gateway, Model, RetryPolicy
    from sparring.models._litellm import litellm_module
    from sparring.prompts import load_prompt

    litellm = litellm_module()  # registers the sim/ provider
    prompt = load_prompt("actor/solve")
    prompts = [prompt.render(question=q, answer_format=GSM8K_FORMAT) for q in _questions(256)]
    c = args.concurrency

    def sample(i: int) -> tuple[list[Any], int]:
        return prompts[(i // SAMPLES) % len(prompts)], i % SAMPLES

    async def bare(i: int) -> object:
        messages, k = sample(i)
        return await litellm.acompletion(
            model="sim/actor", messages=messages, seed=k, sample_index=k, temperature=0.7
        )

    model = Model("sim/actor", seed=0, native_n=False)
    roles = Roles(actor=model)

    seeded = [model.model_copy(update={"seed": k}) for k in range(SAMPLES)]

    def make() -> dict[str, Bench]:
        gateway = Gateway(retry=RetryPolicy(max_attempts=1), concurrency=_policy(c))

        async def gateway_call(i: int) -> object:
            messages, k = sample(i)
            return await gateway.complete(
                seeded[k], messages, role="actor", sample_index=k, temperature=0.7
            )

        return {
            "litellm.acompletion, sim/": lambda: _bounded(bare, args.calls, c),
            "sparring Gateway, sim/": lambda: _bounded(gateway_call, args.calls, c),
            "whole graph run, sim/": _graph_bench(roles, args.calls // SAMPLES, c),
        }

    return asyncio.run(_interleaved(make, args.repeats))


STARTUP = r"""
import time; t0 = time.perf_counter()
import asyncio, sys
from sparring.models import Gateway, Model
async def main():
    return await Gateway().complete(Model("hosted_vllm/actor", api_base=sys.argv[1]), "hi")
t1 = time.perf_counter(); asyncio.run(main()); t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {'litellm' in sys.modules}")
"""


def startup_section(repeats: int) -> None:
    """Import and first call, each in a fresh interpreter."""
    proc, base = start_server(0.0)
    try:
        rows = []
        for _ in range(repeats):
            out = subprocess.run(
                [sys.executable, "-c", STARTUP, base], capture_output=True, text=True, check=True
            ).stdout.split()
            rows.append((float(out[0]), float(out[1]), out[2]))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    imp = statistics.median(r[0] for r in rows)
    first = statistics.median(r[1] for r in rows)
    print(
        f"\nstart-up (fresh process, median of {repeats}): import {imp * 1000:.0f} ms, "
        f"first call {first * 1000:.0f} ms, total {(imp + first) * 1000:.0f} ms; "
        f"litellm imported: {rows[0][2]}"
    )


def sweep_section(args: argparse.Namespace) -> None:
    """Calls/s against concurrency at a fixed server latency: where one process stops scaling."""
    latency = args.sweep_latency
    print(
        f"\ncalls/s against concurrency, server latency {latency * 1000:.0f} ms (mean, exponential)"
    )
    print("| concurrency | ideal C/L | raw SDK | Gateway | graph run | graph CPU per call |")
    print("|---:|---:|---:|---:|---:|---:|")
    proc, base = start_server(latency)
    try:
        for c in args.sweep:
            calls = max(64, int(c / max(latency, 1e-3)))  # about a second at C/L

            def make(calls: int = calls, c: int = c) -> dict[str, Bench]:
                benches = _call_benches(base, calls, c)
                chosen = {k: benches[k] for k in ("raw openai.AsyncOpenAI", "sparring Gateway")}
                chosen["graph"] = _graph_bench(_http_roles(base), max(1, calls // SAMPLES), c)
                return chosen

            figs = asyncio.run(_interleaved(make, 1))
            sdk, gw, graph = figs.values()
            print(
                f"| {c} | {c / latency:,.0f} | {sdk.rate:,.0f} | {gw.rate:,.0f} | "
                f"{graph.rate:,.0f} | {graph.cpu_ms:.2f} ms |",
                flush=True,
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls; under a minute")
    parser.add_argument("--calls", type=int, default=None, help="requests per timed batch")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.0, help="server latency, seconds")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--sweep",
        type=int,
        nargs="*",
        default=None,
        help="concurrencies for the latency sweep (none: no sweep)",
    )
    parser.add_argument("--sweep-latency", type=float, default=0.05)
    args = parser.parse_args()
    args.calls = args.calls or (512 if args.quick else 2048)
    args.repeats = args.repeats or (1 if args.quick else 3)
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})
    c, lat = args.concurrency, args.latency
    print(
        f"{args.calls} requests per batch, {c} in flight, server latency {lat * 1000:.0f} ms, "
        f"median of {args.repeats}"
    )
    figs = http_section(args, lat, c)
    _table("HTTP to serve-sim (separate process)", figs, "raw openai.AsyncOpenAI")
    graph, sdk = figs["whole graph run (self-consistency)"], figs["raw openai.AsyncOpenAI"]
    if lat:
        ideal = c / lat
        print(f"ideal C/L = {ideal:,.0f}/s; graph run reaches {graph.rate / ideal:.2f} of it")
    print(f"graph run / raw SDK calls/s: {graph.rate / sdk.rate:.2f}")
    local = in_process_section(args)
    _table("In process, sim/ provider (no HTTP)", local, "litellm.acompletion, sim/")
    bare, run = local["litellm.acompletion, sim/"], local["whole graph run, sim/"]
    print(f"graph CPU per call / bare litellm CPU per call: {run.cpu_ms / bare.cpu_ms:.2f}")
    startup_section(3 if args.quick else 5)
    if args.sweep is not None:
        args.sweep = args.sweep or [1, 4, 16, 64, 128, 256]
        sweep_section(args)


if __name__ == "__main__":
    main()
