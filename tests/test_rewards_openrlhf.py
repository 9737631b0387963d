"""OpenRLHF 0.11.2's reward_func(queries, prompts, labels) contract, templates stripped."""

from __future__ import annotations

import pytest

from sparring import Roles
from sparring.agents import Judge
from sparring.models import Gateway
from sparring.rewards import (
    UnscoredSamplesError,
    judge_reward,
    openrlhf_reward_func,
    verifiable_reward,
)
from sparring.sim import SimWorld


def _qwen(question: str) -> str:
    return f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"


def test_verifiable_reward_func_reads_labels_as_gold_through_the_template() -> None:
    func = openrlhf_reward_func(verifiable_reward())
    prompts = [_qwen("What is 6 * 3?")] * 3
    queries = [
        p + c
        for p, c in zip(
            prompts, ["#### 18<|im_end|>", "#### 17<|im_end|>", "No idea.<|im_end|>"], strict=True
        )
    ]
    out = func(queries, prompts, ["18", "18", "18"], step=3)  # OpenRLHF may add keywords
    assert list(map(float, out["rewards"])) == pytest.approx([1.2, 0.2, 0.0])
    assert list(map(float, out["scores"])) == pytest.approx([1.2, 0.2, 0.0])
    assert out["extra_logs"] == {"unscored": 0.0}


def test_unscored_raises_unless_a_stand_in_is_chosen() -> None:
    prompts = [_qwen("What is 1 + 1?")] * 2
    queries = [prompts[0] + "#### 2<|im_end|>", prompts[1] + "#### 2<|im_end|>"]
    with pytest.raises(UnscoredSamplesError, match=r"1 of 2 queries unscored \(1x no gold"):
        openrlhf_reward_func(verifiable_reward())(queries, prompts, ["2", None])
    out = openrlhf_reward_func(verifiable_reward(), missing=0.0)(queries, prompts, ["2", None])
    assert list(map(float, out["rewards"])) == pytest.approx([1.2, 0.0])
    assert out["extra_logs"] == {"unscored": 1.0}


def test_judge_reward_func_sees_the_question_not_the_template() -> None:
    seen: list[str] = []
    judge = Judge(Roles.sim(seed=3, profile={"judge": {"noise": 0.1}}, gateway=Gateway()))
    original = judge.score

    async def spy(question: str, response: str, **kwargs: object) -> object:
        seen.append(question + "|" + response)
        return await original(question, response, **kwargs)  # type: ignore[arg-type]

    judge.score = spy  # type: ignore[method-assign, assignment]
    tasks = [SimWorld(seed=4).problem(i) for i in range(8)]
    prompts = [_qwen(t.question) for t in tasks]
    right = [
        p + f"Step 1: work.\n#### {t.answer_text}<|im_end|>"
        for p, t in zip(prompts, tasks, strict=True)
    ]
    wrong = [
        p + f"Step 1: work.\n#### {t.answer + 5:g}<|im_end|>"
        for p, t in zip(prompts, tasks, strict=True)
    ]
    func = openrlhf_reward_func(judge_reward(judge))
    good, bad = func(right, prompts, None), func(wrong, prompts, None)
    assert sum(map(float, good["rewards"])) > sum(map(float, bad["rewards"]))
    assert all(
        "<|im" not in s and s.startswith(t.question) for s, t in zip(seen, tasks * 2, strict=False)
    )


def test_bad_batches_are_refused_with_what_is_wrong() -> None:
    func = openrlhf_reward_func(verifiable_reward(), missing=0.0)
    with pytest.raises(ValueError, match="2 queries but 1 prompts"):
        func(["a", "b"], ["a"], None)
    with pytest.raises(ValueError, match="2 queries but 1 labels"):
        func(["a", "b"], ["a", "b"], ["1"])
