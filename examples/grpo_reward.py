"""A judge as a reward function for TRL's GRPOTrainer (or Online-DPO).

    python examples/grpo_reward.py          # scores two completions on the simulator

With TRL installed, pass ``reward`` in ``reward_funcs=[reward]``: it has TRL's signature
(``prompts, completions, **columns -> list[float | None]``), scores a batch concurrently,
caches repeated samples, and returns None (not a low number) when the judge's verdict could
not be read, which TRL ignores for that sample.
"""

from __future__ import annotations

from sparring import Roles
from sparring.agents import Judge
from sparring.rewards import judge_reward
from sparring.sim import SimWorld

roles = Roles.sim(seed=0)  # bind judge="openai/gpt-4o-mini" (etc.) for a real judge
reward = judge_reward(Judge(roles), n=3, temperature=0.7)

if __name__ == "__main__":
    task = SimWorld(seed=0).problem(0)
    right = f"Step 1: ...\n#### {task.answer_text}"
    wrong = f"Step 1: ...\n#### {task.answer + 1:g}"
    print(reward([task.question, task.question], [right, wrong]))
    # from trl import GRPOConfig, GRPOTrainer
    # trainer = GRPOTrainer(model=..., reward_funcs=[reward], args=GRPOConfig(...), ...)
