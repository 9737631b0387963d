"""Self-Play Critic over iterations: does the critic get better as the players learn?

Each iteration plays SPC games (the actor solves a problem, the sneaky generator corrupts one
step, rollouts check that the corruption really breaks the solution, the critic judges the step
and an untouched control step, and +1/-1 rewards are paid by the game's rules). Between
iterations the players learn from those rewards:

- on the offline SIMULATOR (the default), by the documented simulated learning rule in
  ``sparring.sim._learning``: the critic's detection skills and the sneaky generator's
  subtlety move with their rewards at ``--learning-rate``;
- on real models, through ``--train-hook COMMAND``, which gets each iteration's exported
  records in ``$SPARRING_RECORDS`` and writes the next models to ``$SPARRING_MODELS_OUT``.

    python examples/spc_game.py
    python examples/spc_game.py --critic hosted_vllm/my-critic --api-base http://127.0.0.1:8000/v1 \
        --sneaky hosted_vllm/my-sneaky --actor hosted_vllm/my-solver --train-hook ./train.sh
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from sparring import Roles
from sparring.iterate import SpcIteration, SpcPlan, SpcSelfPlay, shell_hook
from sparring.models import Model


def _roles(args: argparse.Namespace) -> Roles:
    bound = {}
    for role in ("actor", "sneaky", "critic"):
        name = getattr(args, role)
        model = Model(name, api_base=args.api_base) if name else Model(f"sim/{role}")
        bound[role] = model.with_options(seed=args.seed) if model.is_simulated else model
    return Roles(bound, sim_seed=args.seed)


def _show(entry: SpcIteration) -> None:
    skills = entry.skills or {}
    critic, sneaky = skills.get("critic") or {}, skills.get("sneaky") or {}
    sim = ""
    if critic or sneaky:
        sim = (
            f"  [simulated skills: recall {critic.get('recall', 0):.2f}, subtle recall "
            f"{critic.get('subtle_recall', 0):.2f}, "
            f"sneaky subtlety {sneaky.get('subtlety', 0):.2f}]"
        )
    print(
        f"iteration {entry.iteration}: critic accuracy on tampered steps "
        f"{entry.critic_accuracy or 0:.1%}, on control steps {entry.control_accuracy or 0:.1%}, "
        f"sneaky success {entry.sneaky_success or 0:.1%}{sim}"
    )


def main() -> None:
    """Play the iterations and print the critic's accuracy after each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actor", help="LiteLLM model for the solver (default: simulator)")
    parser.add_argument("--sneaky", help="LiteLLM model for the sneaky generator")
    parser.add_argument("--critic", help="LiteLLM model for the critic")
    parser.add_argument("--api-base", help="API base of an OpenAI-compatible server (vLLM)")
    parser.add_argument("--train-hook", help="Shell command that trains between iterations")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=60, help="Games per iteration")
    parser.add_argument("--learning-rate", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="Game folder (default: a temporary one)")
    args = parser.parse_args()

    roles = _roles(args)
    simulated = [r for r in ("actor", "sneaky", "critic") if roles.uses_simulator(r)]
    if simulated:
        print(f"SIMULATOR for {', '.join(simulated)}: an offline stochastic world, not a model.")
    plan = SpcPlan(
        iterations=args.iterations,
        rounds=args.rounds,
        seed=args.seed,
        learning_rate=args.learning_rate,
    )
    hook = shell_hook(args.train_hook) if args.train_hook else None
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.out or Path(tmp) / "spc"
        game = SpcSelfPlay.create(folder, roles, plan, hook=hook, on_iteration=_show)
        entries = asyncio.run(game.play())
    first, last = entries[0].critic_accuracy or 0.0, entries[-1].critic_accuracy or 0.0
    print(f"critic accuracy went from {first:.1%} to {last:.1%} over {len(entries)} iterations")


if __name__ == "__main__":
    main()
