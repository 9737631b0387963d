"""Accuracy at a fixed call budget: critic-guided search against self-consistency.

Runs ``critic-search`` (UCT and beam) and ``self-consistency`` over the same simulated items,
seeds and skills, at several budgets, and prints the share answered right. The budget counts
samples (a call for n samples counts n), read from each run's gateway, so search and voting
are compared at what they really spent. Also prints P(True)'s calibration on the same world.

Run: ``python benchmarks/bench_search_budget.py [--items 60] [--accuracy 0.05]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from sparring import Roles
from sparring.graphs.p_true import create_p_true_graph
from sparring.graphs.search.critic_search import create_critic_search_graph
from sparring.graphs.self_consistency import create_self_consistency_graph
from sparring.models import Gateway
from sparring.run._calibration import auroc, ece
from sparring.sim import SimWorld

TRAINED_CRITIC = {"recall": 0.95, "subtle_recall": 0.9, "false_positive_rate": 0.03}


def _items(n: int, seed: int) -> list[dict[str, Any]]:
    world = SimWorld(seed)
    return [{"prompt": t.question, "answer": t.answer_text} for t in map(world.problem, range(n))]


async def _accuracy(
    factory: Any, items: list[dict[str, Any]], seed: int, profile: dict[str, Any], **options: Any
) -> tuple[float, float]:
    gateway = Gateway()
    graph = factory(Roles.sim(seed=seed, profile=profile, gateway=gateway), **options)
    outs = await asyncio.gather(*(graph.ainvoke(item) for item in items))
    right = sum(bool(o["correct"]) for o in outs) / len(items)
    return right, gateway.usage.total().samples / len(items)


async def _search_table(args: argparse.Namespace) -> None:
    for critic_name, critic in (("trained", TRAINED_CRITIC), ("default", {})):
        profile = {"actor": {"accuracy": args.accuracy}, "critic": critic}
        print(
            f"\nactor accuracy {args.accuracy}, {critic_name} critic, {args.items} items x "
            f"{len(args.seeds)} seeds: share right (samples spent per item)"
        )
        print(f"{'budget':>6}  {'uct search':>18}  {'beam search':>18}  {'self-consistency':>18}")
        for budget in args.budgets:
            cells = []
            for factory, options in (
                (create_critic_search_graph, {"budget": budget}),
                (create_critic_search_graph, {"budget": budget, "selection": "beam"}),
                (create_self_consistency_graph, {"n_samples": budget}),
            ):
                runs = [
                    await _accuracy(factory, _items(args.items, s), s, profile, **options)
                    for s in args.seeds
                ]
                acc = sum(r[0] for r in runs) / len(runs)
                spent = sum(r[1] for r in runs) / len(runs)
                cells.append(f"{acc:6.3f} ({spent:5.1f})")
            print(f"{budget:>6}  " + "  ".join(f"{c:>18}" for c in cells))


async def _calibration(args: argparse.Namespace) -> None:
    print(f"\nP(True) on {args.items} default-skill items x {len(args.seeds)} seeds, threshold 0.5")
    for source in ("logprobs", "verbal"):
        pairs, answered = [], []
        for seed in args.seeds:
            graph = create_p_true_graph(Roles.sim(seed=seed), source=source, threshold=0.5)
            outs = await asyncio.gather(*(graph.ainvoke(i) for i in _items(args.items, seed)))
            pairs += [
                (o["confidence"], bool(o["correct"])) for o in outs if o["confidence"] is not None
            ]
            answered += [bool(o["correct"]) for o in outs if not o["abstained"]]
        accuracy = sum(ok for _, ok in pairs) / len(pairs)
        print(
            f"  {source:8}  AUROC {auroc(pairs):.3f}  ECE {ece(pairs):.3f}  accuracy "
            f"{accuracy:.3f}  answered {len(answered) / len(pairs):.2f} at accuracy "
            f"{sum(answered) / len(answered):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--accuracy", type=float, default=0.05)
    parser.add_argument("--budgets", type=int, nargs="+", default=[16, 32, 48, 64])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    asyncio.run(_search_table(args))
    asyncio.run(_calibration(args))


if __name__ == "__main__":
    main()
