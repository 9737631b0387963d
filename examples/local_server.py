"""Roles bound to a local OpenAI-compatible server, as with vLLM or Ollama.

By default the script starts ``sparring serve-sim`` itself (the offline simulator behind an
OpenAI-compatible HTTP API, on a free loopback port, with 10% of requests answered 429 so the
retries show), binds the actor and the judge to it through LiteLLM's ``hosted_vllm/`` route,
runs Self-Rewarding on a few problems, and stops the server. Every byte goes over HTTP, as it
would to a real server.

    python examples/local_server.py
    python examples/local_server.py --api-base http://127.0.0.1:8000/v1 \
        --actor hosted_vllm/Qwen2.5-7B-Instruct --judge hosted_vllm/Qwen2.5-7B-Instruct
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

from sparring import Roles
from sparring.graphs import create_self_rewarding_graph
from sparring.models import Model
from sparring.sim import SimWorld


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serve_sim(seed: int) -> Iterator[str]:
    """Start ``sparring serve-sim`` on a free port; yield its API base; stop it on exit."""
    port = _free_port()
    cmd = [sys.executable, "-m", "sparring", "serve-sim", "--port", str(port)]
    cmd += ["--seed", str(seed), "--rate-429", "0.1", "--retry-after", "0"]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_until_up(base: str, server: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            err = server.stderr.read().decode() if server.stderr else ""
            raise RuntimeError(f"serve-sim exited early: {err[-500:]}")
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"serve-sim did not answer at {base} within {timeout_s:g}s")


async def run(api_base: str, args: argparse.Namespace) -> None:
    """Self-Rewarding with both roles behind ``api_base``."""
    roles = Roles(
        actor=Model(args.actor, api_base=api_base, seed=args.seed),
        judge=Model(args.judge, api_base=api_base, seed=args.seed),
    )
    graph = create_self_rewarding_graph(roles, n_responses=4, n_judgments=3)
    world = SimWorld(seed=args.seed)
    outs = await asyncio.gather(
        *(graph.ainvoke({"prompt": world.problem(i).question}) for i in range(args.problems))
    )
    pairs = sum(len(out.get("pairs", [])) for out in outs)
    print(f"{args.problems} problems -> {pairs} preference pairs")
    for role, usage in roles.gateway.usage.by_role.items():
        print(f"  {role}: {usage}")


def main() -> None:
    """Start the simulator server unless ``--api-base`` names one, then run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-base", help="Your server (default: start serve-sim)")
    parser.add_argument("--actor", default="hosted_vllm/actor", help="LiteLLM model string")
    parser.add_argument("--judge", default="hosted_vllm/judge", help="LiteLLM model string")
    parser.add_argument("--problems", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(__doc__.splitlines()[0])
    if args.api_base:
        asyncio.run(run(args.api_base, args))
        return
    with serve_sim(args.seed) as base:
        print(f"started serve-sim (SIMULATOR, not a language model) at {base}")
        asyncio.run(run(base, args))
    print("stopped serve-sim")


if __name__ == "__main__":
    main()
