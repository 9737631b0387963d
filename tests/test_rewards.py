"""Judges as reward functions (TRL's signature, OpenRLHF's remote reward file)."""

from __future__ import annotations

import pytest

from sparring import Roles
from sparring.agents import Judge
from sparring.models import Gateway
from sparring.rewards import (
    AllUnscoredWarning,
    RewardFunction,
    judge_reward,
    openrlhf_reward_func,
)
from sparring.sim import SimWorld


def _judge(gateway: Gateway) -> Judge:
    return Judge(
        Roles.sim(seed=3, profile={"judge": {"noise": 0.2, "malformed_rate": 0.0}}, gateway=gateway)
    )


def test_judge_reward_ranks_right_above_wrong_and_caches() -> None:
    gateway = Gateway()
    reward = judge_reward(_judge(gateway))
    tasks = [SimWorld(seed=1).problem(i) for i in range(6)]
    prompts = [t.question for t in tasks]
    right = [f"Step 1: work.\n#### {t.answer_text}" for t in tasks]
    wrong = [f"Step 1: work.\n#### {t.answer + 7:g}" for t in tasks]
    good = reward(prompts, right)
    bad = reward(prompts, wrong)
    assert all(g is not None and b is not None for g, b in zip(good, bad, strict=True))
    assert sum(good) > sum(bad)  # type: ignore[arg-type]
    assert all(0.0 <= v <= 1.0 for v in good)  # type: ignore[operator]
    calls = gateway.usage.total().calls
    assert reward(prompts, right) == good
    assert gateway.usage.total().calls == calls  # served from the reward cache
    assert reward.__name__ == "judge_reward_judge"


def test_unscored_is_none_never_a_low_number() -> None:
    reward = judge_reward(_judge(Gateway()))
    with pytest.warns(AllUnscoredWarning, match="no sample of 2 was scored: .*degenerate"):
        values = reward(["What is 2+2?", "What is 2+2?"], [":", "Solution"])
    assert values == [None, None]
    assert reward.last_batch.unscored == 2


async def test_async_call_and_conversational_completions() -> None:
    reward = judge_reward(_judge(Gateway()))
    task = SimWorld(seed=2).problem(0)
    values = await reward.acall(
        [[{"role": "user", "content": task.question}]],
        [[{"role": "assistant", "content": f"#### {task.answer_text}"}]],
    )
    assert values[0] is not None


def test_extra_columns_reach_the_scorer() -> None:
    seen: list[object] = []

    async def score(prompt: str, completion: str, extra: object) -> float | None:
        seen.append(extra)
        return 1.0

    reward = RewardFunction(score)
    assert reward(["p1", "p2"], ["c1", "c2"], answer=["1", "2"]) == [1.0, 1.0]
    assert seen == [{"answer": "1"}, {"answer": "2"}]
    with pytest.raises(ValueError, match="2 prompts but 1 completions"):
        reward(["a", "b"], ["c"])


def test_openrlhf_adapter_counts_unscored() -> None:
    reward = judge_reward(_judge(Gateway()))
    task = SimWorld(seed=2).problem(1)
    func = openrlhf_reward_func(reward, missing=0.0)
    prompt = task.question
    out = func([prompt + f"#### {task.answer_text}", prompt + ":"], [prompt, prompt], None)
    assert len(out["rewards"]) == 2 and out["extra_logs"]["unscored"] == 1
    assert out["rewards"][1] == 0.0
