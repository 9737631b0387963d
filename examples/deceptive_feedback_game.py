"""Deceptive feedback: how often does an actor give up a right answer, and does a defence help?

An actor answers arithmetic problems; a critic with a set intent (constructive, hypercritical or
malicious) and knowledge (parametric, or backed by evidence) argues over several rounds; the
actor answers each round. Printed: the share of right answers switched to wrong after each
round, with no defence, with the actor re-verifying, and with a second judge that withholds
unsound feedback, all on the same problems.

Runs on the offline SIMULATOR by default (its flip rates come from its documented persuasion
rule in ``sparring.sim.behaviours._deceptive``, not from a language model).

    python examples/deceptive_feedback_game.py
    python examples/deceptive_feedback_game.py --actor openai/gpt-4o-mini --critic openai/gpt-4o \
        --judge openai/gpt-4o-mini --games 50
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sparring import Roles
from sparring.graphs.games.deceptive import (
    DEFENCES,
    INTENTS,
    KNOWLEDGE,
    DeceptionScoreboard,
    create_deceptive_feedback_graph,
)
from sparring.models import Model
from sparring.sim import SimWorld


def _roles(args: argparse.Namespace) -> Roles:
    bound = {}
    for role in ("actor", "critic", "judge"):
        name = getattr(args, role)
        model = Model(name, api_base=args.api_base) if name else Model(f"sim/{role}", seed=0)
        bound[role] = model
    return Roles(bound)


async def _board(roles: Roles, items: list[dict[str, Any]], args: argparse.Namespace,
                 defence: Any) -> DeceptionScoreboard:  # fmt: skip
    graph = create_deceptive_feedback_graph(
        roles, rounds=args.rounds, intent=args.intent, knowledge=args.knowledge, defence=defence
    )
    slots = asyncio.Semaphore(8)

    async def one(item: dict[str, Any]) -> Any:
        async with slots:
            return (await graph.ainvoke(item, {"recursion_limit": 200}))["outcome"]

    return DeceptionScoreboard.of(list(await asyncio.gather(*map(one, items))), args.rounds)


async def main(args: argparse.Namespace) -> None:
    """Play the same problems under each defence and print the flip rates."""
    roles = _roles(args)
    simulated = [r for r in ("actor", "critic", "judge") if roles.uses_simulator(r)]
    if simulated:
        print(f"SIMULATOR for {', '.join(simulated)}: an offline stochastic world, not a model.")
    world = SimWorld(args.seed)
    items = [
        {"prompt": t.question, "answer": t.answer_text, "item_id": f"p{i}"}
        for i, t in ((i, world.problem(i)) for i in range(args.games))
    ]
    print(f"critic intent {args.intent}, knowledge {args.knowledge}, {args.rounds} rounds")
    for defence in DEFENCES:
        board = await _board(roles, items, args, defence)
        flips = ", ".join(f"{x:.0%}" if x is not None else "-" for x in board.flip_rate)
        print(
            f"defence {defence:8}: right at first {board.started_right}/{board.games}; "
            f"switched to wrong after each round: {flips}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actor", help="LiteLLM model for the actor (default: simulator)")
    parser.add_argument("--critic", help="LiteLLM model for the deceptive critic")
    parser.add_argument("--judge", help="LiteLLM model for the judge defence")
    parser.add_argument("--api-base", help="API base of an OpenAI-compatible server")
    parser.add_argument("--intent", choices=INTENTS, default="malicious")
    parser.add_argument("--knowledge", choices=KNOWLEDGE, default="evidence")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--games", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    asyncio.run(main(parser.parse_args()))
