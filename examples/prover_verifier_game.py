"""Prover-verifier game: can a verifier keep up with a sneaky prover as both learn?

A helpful prover and a sneaky prover solve the same problems; a verifier critiques both
solutions step by step; +1/-1 rewards are paid. Rounds alternate who learns (verifier, then
sneaky prover, ...). Printed per round: the verifier's accuracy on wrong sneaky solutions, the
sneaky prover's success and, on the simulator, the skills in force.

Runs on the offline SIMULATOR by default; there the players learn by the documented simulated
learning rule (``sparring.sim._learning``). Real models are played as they are (no training).

    python examples/prover_verifier_game.py
    python examples/prover_verifier_game.py --actor openai/gpt-4o-mini --sneaky openai/gpt-4o \
        --critic hosted_vllm/my-verifier --api-base http://127.0.0.1:8000/v1
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sparring import Roles
from sparring.iterate import PvRound, play_prover_verifier
from sparring.models import Model
from sparring.sim import SimWorld


def _show(r: PvRound) -> None:
    skills = r.skills or {}
    sim = ""
    if skills:
        critic, sneaky = skills.get("critic") or {}, skills.get("sneaky") or {}
        sim = (
            f"  [simulated: verifier subtle recall {critic.get('subtle_recall', 0):.2f}, "
            f"sneaky subtlety {sneaky.get('subtlety', 0):.2f}]"
        )
    print(
        f"round {r.round} (then the {r.learner} learns): verifier rejects "
        f"{r.verifier_sneaky_accuracy or 0:.0%} of wrong sneaky solutions, sneaky success "
        f"{r.sneaky_success or 0:.0%}{sim}"
    )


def main() -> None:
    """Play the rounds and print each one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actor", help="LiteLLM model for the helpful prover (default: sim)")
    parser.add_argument("--sneaky", help="LiteLLM model for the sneaky prover")
    parser.add_argument("--critic", help="LiteLLM model for the verifier")
    parser.add_argument("--api-base", help="API base of an OpenAI-compatible server")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--games", type=int, default=60, help="Games per round")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    bound = {}
    for role in ("actor", "sneaky", "critic"):
        name = getattr(args, role)
        bound[role] = (
            Model(name, api_base=args.api_base) if name else Model(f"sim/{role}", seed=args.seed)
        )
    roles = Roles(bound)
    simulated = [r for r in bound if roles.uses_simulator(r)]
    if simulated:
        print(f"SIMULATOR for {', '.join(simulated)}: an offline stochastic world, not a model.")
    world = SimWorld(args.seed)

    def items(r: int) -> list[dict[str, Any]]:
        span = range(r * args.games, (r + 1) * args.games)
        return [
            {"prompt": world.problem(i).question, "answer": world.problem(i).answer_text,
             "item_id": f"p{i}"}
            for i in span
        ]  # fmt: skip

    asyncio.run(play_prover_verifier(roles, items, rounds=args.rounds, on_round=_show))


if __name__ == "__main__":
    main()
