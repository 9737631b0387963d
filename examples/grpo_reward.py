"""A judge as a reward function for TRL's GRPOTrainer (or Online-DPO).

    python examples/grpo_reward.py          # scores completions on the simulator
    python examples/grpo_reward.py --judge openai/gpt-4o-mini

With TRL installed, pass ``reward`` in ``reward_funcs=[reward]``: it has TRL's signature
(``prompts, completions, **columns -> list[float | None]``), scores a batch concurrently,
caches repeated samples, and returns None (not a low number) when the judge's verdict could
not be read, which TRL ignores for that sample.
"""

from __future__ import annotations

import argparse

from sparring import Roles
from sparring.agents import Judge
from sparring.models import Model
from sparring.rewards import judge_reward
from sparring.sim import SimWorld

roles = Roles.sim(seed=0)  # the simulator; see --judge below for a real judge
reward = judge_reward(Judge(roles), n=3, temperature=0.7)


def main() -> None:
    """Score a right and a wrong completion of a few problems with the judge's reward."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", help="LiteLLM model for the judge (default: simulator)")
    parser.add_argument("--api-base", help="API base of an OpenAI-compatible server")
    args = parser.parse_args()
    print(__doc__.splitlines()[0])
    fn = reward
    if args.judge:
        judge_roles = Roles(judge=Model(args.judge, api_base=args.api_base))
        fn = judge_reward(Judge(judge_roles), n=3, temperature=0.7)
    print("judge:", args.judge or "SIMULATOR (offline, not a language model)")
    world = SimWorld(seed=0)
    for i in range(3):
        task = world.problem(i)
        right = f"Step 1: I follow the problem's events.\n#### {task.answer_text}"
        wrong = f"Step 1: I follow the problem's events.\n#### {task.answer + 1:g}"
        scores = fn([task.question, task.question], [right, wrong])
        print(f"problem {i}: reward right={scores[0]} wrong={scores[1]}")
    # from trl import GRPOConfig, GRPOTrainer
    # trainer = GRPOTrainer(model=..., reward_funcs=[reward], args=GRPOConfig(...), ...)


if __name__ == "__main__":
    main()
