"""B-STaR: does adjusting temperature and threshold keep a self-improving actor exploring?

Runs the same self-taught reasoning loop twice, at a fixed configuration and with B-STaR's
per-iteration adjustment, and prints each run's per-iteration table: exploration (distinct
right samples per problem), exploitation (the reward selection's accuracy) and the balance
score, mean over problems of ``min(distinct right selected / n*, 1) x selection accuracy``
(n* = 8, as in B-STaR's reference code).

On the offline SIMULATOR (the default) the actor learns from its selected samples by a
documented rule (``sparring.sim._self_training``); a real actor (``--actor``) is sampled and
measured but not trained here. With no ``--data``, practice word problems with worked
solutions are used (the simulator's world problems cannot show exploration).

    python examples/bstar_iterations.py
    python examples/bstar_iterations.py --data gsm8k/train.jsonl --prompt-field question \
        --actor hosted_vllm/my-model --api-base http://127.0.0.1:8000/v1
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from rich.console import Console

from sparring.iterate import BStarPlan, render_bstar, run_bstar, write_practice
from sparring.models import Model


def _plan(args: argparse.Namespace, data: Path, adjust: bool) -> BStarPlan:
    actor = Model(args.actor, api_base=args.api_base) if args.actor else None
    return BStarPlan(
        iterations=args.iterations,
        items=args.items,
        adjust=adjust,
        seed=args.seed,
        data=str(data),
        prompt_field=args.prompt_field,
        answer_field=args.answer_field,
        actor_model=actor.model_dump(mode="json", exclude_none=True) if actor else None,
    )


async def main(args: argparse.Namespace) -> None:
    """Run the fixed and the adjusted loop side by side and print both tables."""
    console = Console(width=140)
    with tempfile.TemporaryDirectory(prefix="bstar-example-") as tmp:
        folder = Path(tmp)
        data = args.data or write_practice(folder / "problems.jsonl", args.items, args.seed)
        for adjust in (False, True):
            run_dir = folder / ("adjusted" if adjust else "fixed")
            await run_bstar(run_dir, _plan(args, data, adjust))
            console.print(render_bstar(run_dir))


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actor", help="Actor model (LiteLLM string); default: simulator.")
    parser.add_argument("--api-base", help="API base of the actor (vLLM, Ollama).")
    parser.add_argument("--data", type=Path, help="Problems with gold answers (.jsonl, .csv).")
    parser.add_argument("--prompt-field", default="prompt")
    parser.add_argument("--answer-field", default="answer")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--items", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_args()))
