"""Meta-Rewarding over two iterations: the model as actor, judge and meta-judge, then train.

Each iteration samples responses, judges each several times, meta-judges pairs of judgments
and returns two kinds of DPO pairs: actor pairs (better vs worse response) and judge pairs
(better vs worse judgment). Between iterations the model is trained on both kinds:

- on the offline SIMULATOR (the default) training is stood in for by a documented rule:
  each skill moves a step towards its ceiling, in proportion to the pairs of its kind
  (``--gain`` per 100 pairs), so iteration 2 shows what a better model changes;
- on real models, ``--train-cmd`` runs your trainer: it gets the iteration's pairs in
  ``$SPARRING_PAIRS`` (JSONL) and prints the next model's LiteLLM string on its last line.

    python examples/meta_rewarding.py
    python examples/meta_rewarding.py --model hosted_vllm/Qwen2.5-7B-Instruct \
        --api-base http://127.0.0.1:8000/v1 --train-cmd ./train_dpo.sh
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from sparring import Roles
from sparring.graphs import create_meta_rewarding_graph
from sparring.models import Model
from sparring.sim import SimWorld

ROLES = ("actor", "judge", "meta_judge")


def _roles(model: str | None, api_base: str | None, profile: dict[str, Any], seed: int) -> Roles:
    if model is None:  # the simulator: a seeded world with tunable skills, not a language model
        return Roles.sim(seed=seed, profile=profile)
    return Roles({r: Model(model, api_base=api_base, seed=seed) for r in ROLES})


def _simulated_training(profile: dict[str, Any], pairs: list[dict[str, Any]], gain: float) -> None:
    """Stand-in for DPO on the simulator: skills move towards 1 with the pairs of their kind."""
    kinds = [p["meta"]["kind"] for p in pairs]
    step = gain * kinds.count("response") / 100
    actor = profile.setdefault("actor", {"accuracy": 0.6, "coverage": 0.7})
    actor["accuracy"] += (1 - actor["accuracy"]) * step
    actor["coverage"] += (1 - actor["coverage"]) * step
    meta = profile.setdefault("meta_judge", {"reliability": 0.75})
    meta["reliability"] += (1 - meta["reliability"]) * gain * kinds.count("judgment") / 100
    judge = profile.setdefault("judge", {"noise": 0.5})
    judge["noise"] *= 1 - min(0.9, gain * kinds.count("judgment") / 100)


def _train_real(cmd: str, pairs: list[dict[str, Any]], folder: Path, iteration: int) -> str:
    path = folder / f"pairs-{iteration}.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
    env = {**os.environ, "SPARRING_PAIRS": str(path)}
    done = subprocess.run(cmd, shell=True, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


async def _iteration(
    roles: Roles, prompts: list[str], args: argparse.Namespace
) -> tuple[list[Any], list[float]]:
    graph = create_meta_rewarding_graph(roles, n_responses=args.responses, n_judgments=3)
    outs = await asyncio.gather(
        *(graph.ainvoke({"prompt": p}, {"recursion_limit": 50}) for p in prompts)
    )
    pairs = [pair for out in outs for pair in out.get("pairs", [])]
    means = [s["mean"] for out in outs for s in out.get("scores", []) if s.get("mean") is not None]
    return pairs, means


def _report(iteration: int, pairs: list[dict[str, Any]], means: list[float]) -> None:
    actor = [p for p in pairs if p["meta"]["kind"] == "response"]
    judge = [p for p in pairs if p["meta"]["kind"] == "judgment"]
    print(
        f"iteration {iteration}: mean judge score of responses "
        f"{sum(means) / max(1, len(means)):.2f}; {len(actor)} actor pairs, "
        f"{len(judge)} judge pairs"
    )


async def main() -> None:
    """Two iterations of generate, judge, meta-judge, train."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="LiteLLM model for every role (default: simulator)")
    parser.add_argument("--api-base", help="API base of an OpenAI-compatible server")
    parser.add_argument("--train-cmd", help="Trainer command for real models (see above)")
    parser.add_argument("--prompts", type=int, default=12, help="Prompts per iteration")
    parser.add_argument("--responses", type=int, default=4, help="Responses per prompt")
    parser.add_argument(
        "--gain", type=float, default=3.0, help="Simulated training step per 100 pairs"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(__doc__.splitlines()[0])
    print("backend:", args.model or "SIMULATOR (offline, not a language model)")
    world = SimWorld(seed=args.seed)
    profile: dict[str, Any] = {}
    model = args.model
    with tempfile.TemporaryDirectory() as tmp:
        for iteration in (1, 2):
            prompts = [
                world.instruction(iteration * 1000 + i).question for i in range(args.prompts)
            ]
            roles = _roles(model, args.api_base, profile, args.seed + iteration)
            pairs, means = await _iteration(roles, prompts, args)
            _report(iteration, pairs, means)
            if iteration == 2:
                break
            if model is None:
                _simulated_training(profile, pairs, args.gain)
                shown = {
                    r: {k: round(v, 3) for k, v in knobs.items()} for r, knobs in profile.items()
                }
                print(f"  simulated training -> skills {json.dumps(shown)}")
            elif args.train_cmd:
                model = _train_real(args.train_cmd, pairs, Path(tmp), iteration)
                print(f"  trained -> {model}")
            else:
                print("  no --train-cmd: iteration 2 reuses the same model")


if __name__ == "__main__":
    asyncio.run(main())
