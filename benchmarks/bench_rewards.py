"""Reward-function throughput: the judge reward on ``sparring serve-sim`` beside verifiable_reward.

Prints, from one run, samples scored per second for:
  1. ``verifiable_reward`` called as TRL calls it (batches of ``--batch``), in process;
  2. ``judge_reward`` with its judge on ``sparring serve-sim`` (HTTP on loopback, a separate
     process started here), called the same way;
  3. both served by ``sparring serve-reward`` processes (OpenRLHF's ``--reward.remote_url``
     protocol: one query per POST, ``--concurrency`` at a time, as OpenRLHF's rollouts send);
and the ratios to the judge reward's rate. Every repeat scores completions no cache has seen;
half of them are right.

Run: ``python benchmarks/bench_rewards.py [--samples 512] [--batch 64] [--concurrency 16]``.
The servers are pinned to the last core and this client to the first when taskset exists.
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
from collections.abc import Callable

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import aiohttp

from sparring.agents import Judge
from sparring.models import Gateway, Model, RetryPolicy, Roles
from sparring.rewards import RewardFunction, judge_reward, verifiable_reward
from sparring.sim import SimWorld

Samples = tuple[list[str], list[str], list[str]]
_TEMPLATE = "<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"


def _samples(n: int, tag: int = 0) -> Samples:
    """``n`` problems, completions half right; ``tag`` makes every completion new to a cache."""
    world = SimWorld(seed=0)
    tasks = [world.problem(i) for i in range(n)]
    completions = [
        f"Step 1: work it out (pass {tag}).\n"
        f"#### {t.answer_text if i % 2 == 0 else f'{t.answer + 1:g}'}"
        for i, t in enumerate(tasks)
    ]
    return [t.question for t in tasks], completions, [t.answer_text for t in tasks]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str], port: int) -> subprocess.Popen[bytes]:
    """A ``sparring`` server command in its own process, pinned to the last core."""
    cmd = [sys.executable, "-m", "sparring", *args, "--port", str(port)]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        cmd = ["taskset", "-c", str((os.cpu_count() or 2) - 1), *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"sparring {args[0]} did not start")


def _median_rate(run: Callable[[int], int], repeats: int) -> float:
    """Median samples/s of ``run(tag)`` (it returns how many it scored), after a warm-up."""
    run(0)
    rates = []
    for tag in range(1, repeats + 1):
        started = time.perf_counter()
        done = run(tag)
        rates.append(done / (time.perf_counter() - started))
    return statistics.median(rates)


def trl_rate(reward: RewardFunction, n: int, batch: int, repeats: int) -> float:
    """Samples/s of a reward called the TRL way, in batches."""

    def run(tag: int) -> int:
        prompts, completions, gold = _samples(n, tag)
        scored = 0
        for i in range(0, n, batch):
            part = slice(i, i + batch)
            values = reward(prompts[part], completions[part], answer=gold[part])
            scored += sum(v is not None for v in values)
        return scored

    return _median_rate(run, repeats)


async def _post_all(url: str, bodies: list[dict[str, list[str]]], concurrency: int) -> int:
    sem = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as client:  # as OpenRLHF's client

        async def one(body: dict[str, list[str]]) -> int:
            async with sem, client.post(url, json=body) as response:
                response.raise_for_status()
                return len((await response.json())["rewards"])

        return sum(await asyncio.gather(*(one(b) for b in bodies)))


def http_rate(url: str, n: int, concurrency: int, repeats: int) -> float:
    """Samples/s from a serve-reward process, one query per POST."""

    def run(tag: int) -> int:
        bodies = [
            {
                "query": [_TEMPLATE.format(q=p) + c + "<|im_end|>"],
                "prompts": [_TEMPLATE.format(q=p)],
                "labels": [g],
            }
            for p, c, g in zip(*_samples(n, tag), strict=True)
        ]
        return asyncio.run(_post_all(url, bodies, concurrency))

    return _median_rate(run, repeats)


def _judged(base: str) -> RewardFunction:
    model = Model("openai/judge", api_base=base, api_key="sk-bench", seed=0)
    roles = Roles(judge=model, gateway=Gateway(retry=RetryPolicy(max_attempts=1)))
    return judge_reward(Judge(roles))


def measure(args: argparse.Namespace) -> dict[str, float]:
    """Every row's samples/s, servers started and stopped here."""
    n, reps = args.samples, args.repeats
    sim_port, ver_port, jud_port = _free_port(), _free_port(), _free_port()
    base = f"http://127.0.0.1:{sim_port}/v1"
    procs = [_start(["serve-sim"], sim_port)]
    try:
        procs.append(_start(["serve-reward"], ver_port))
        judge_cmd = ["serve-reward", "--reward", "judge", "--judge", "openai/judge"]
        procs.append(_start([*judge_cmd, "--api-base", base], jud_port))
        return {
            "verifiable_reward, TRL call": trl_rate(verifiable_reward(), n, args.batch, reps),
            "judge_reward on serve-sim, TRL call": trl_rate(_judged(base), n, args.batch, reps),
            "serve-reward verifiable, HTTP": http_rate(
                f"http://127.0.0.1:{ver_port}/get_reward", n, args.concurrency, reps
            ),
            "serve-reward judge on serve-sim, HTTP": http_rate(
                f"http://127.0.0.1:{jud_port}/get_reward", n, args.concurrency, reps
            ),
        }
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("taskset"):
        os.sched_setaffinity(0, {0})
    rows = measure(args)
    print(
        f"{args.samples} samples (half right), TRL batches of {args.batch}, HTTP "
        f"{args.concurrency} requests at a time, median of {args.repeats}:"
    )
    judge_rate = rows["judge_reward on serve-sim, TRL call"]
    for name, rate in rows.items():
        print(
            f"  {name:40} {rate:9,.0f} samples/s  {1000 / rate:7.3f} ms/sample  "
            f"x{rate / judge_rate:.2f} the judge reward's rate"
        )


if __name__ == "__main__":
    main()
