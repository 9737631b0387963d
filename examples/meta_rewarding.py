"""Meta-Rewarding from Python: actor and judge preference pairs for a few prompts.

Runs on the offline simulator by default. Bind real models by editing ``roles`` (for example
``Roles(actor="hosted_vllm/Qwen2.5-7B-Instruct", judge="openai/gpt-4o-mini", ...)`` with the
right ``api_base`` and keys in the environment).

    python examples/meta_rewarding.py
"""

from __future__ import annotations

import asyncio

from sparring import Roles
from sparring.graphs import create_meta_rewarding_graph
from sparring.sim import SimWorld


async def main() -> None:
    """Run the graph on three world tasks and print what it produced."""
    roles = Roles.sim(seed=0)  # the simulator: a seeded world, not a language model
    graph = create_meta_rewarding_graph(roles, n_responses=4, n_judgments=3, rho=0.4)
    world = SimWorld(seed=0)
    for i in range(3):
        out = await graph.ainvoke({"prompt": world.task(i).question, "item_id": f"ex-{i}"},
                                  {"recursion_limit": 50})
        print(f"item {i}: {len(out.get('pairs', []))} pairs, refused {out.get('refused', {})}")
        for pair in out.get("pairs", []):
            meta = pair["meta"]
            print(f"  {meta['kind']:9} chosen {meta['chosen_score']} vs {meta['rejected_score']}")
    print(roles.gateway.usage.by_role)


if __name__ == "__main__":
    asyncio.run(main())
