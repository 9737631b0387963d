"""verifiable_reward: correctness by the verifier plus a format term, with weights (R1-style)."""

from __future__ import annotations

import asyncio

import pytest

from sparring import Roles
from sparring.models import Gateway
from sparring.rewards import format_ok, verifiable_reward
from sparring.sim import SimWorld


def test_weights_of_correct_and_format_terms() -> None:
    reward = verifiable_reward(correct_weight=1.0, format_weight=0.25)
    completions = ["Work.\n#### 18", "Work.\n#### 17", "I think it is 18 or so."]
    assert reward(["q"] * 3, completions, answer=["18"] * 3) == [1.25, 0.25, 0.0]
    only_correct = verifiable_reward(format_weight=0.0)
    assert only_correct(["q"] * 3, completions, answer=["18"] * 3) == [1.0, 0.0, 0.0]


def test_equivalent_answers_count_as_correct() -> None:
    reward = verifiable_reward(format_weight=0.0)
    values = reward(
        ["q"] * 3,
        [r"\boxed{\frac{1}{2}}", "#### 0.5", "The answer is 1,000."],
        answer=["0.5", "1/2", "1000"],
    )
    assert values == [1.0, 1.0, 1.0]


def test_strict_by_default_the_fallback_grades_correctness_only() -> None:
    text = "Adding them up gives 18"
    assert verifiable_reward()(["q"], [text], answer=["18"]) == [0.0]
    fallback = verifiable_reward(last_number_fallback=True)
    assert fallback(["q"], [text], answer=["18"]) == [1.0]  # correct, but not in form
    assert fallback.config["answer_extraction"] == "last_number_fallback"


@pytest.mark.parametrize(
    ("form", "good", "bad"),
    [
        ("gsm8k", "2 + 2 = 4\n#### 4", "#### 4\nThen I checked it again."),
        ("boxed", r"So $\boxed{4}$.", "#### 4"),
        ("think", "<think>2 + 2 = 4</think>\nThe answer is 4.", "The answer is 4."),
        ("any", "Answer: 4", "four-ish"),
    ],
)
def test_answer_formats(form: str, good: str, bad: str) -> None:
    assert format_ok(good, form)  # type: ignore[arg-type]
    assert not format_ok(bad, form)  # type: ignore[arg-type]


def test_think_form_reads_the_answer_after_the_reasoning() -> None:
    reward = verifiable_reward(answer_format="think", format_weight=0.5)
    inside = "<think>The answer is 4.</think>\nSo the answer is 5."
    assert reward(["q"], [inside], answer=["5"]) == [1.5]
    assert reward(["q"], ["<think></think>The answer is 5."], answer=["5"]) == [1.0]


def test_conversational_completions_and_chat_end_tokens() -> None:
    reward = verifiable_reward()
    prompts = [[{"role": "user", "content": "What is 6 * 3?"}]] * 2
    completions = [
        [{"role": "assistant", "content": "6 * 3 = 18\n#### 18<|im_end|>"}],
        [{"role": "assistant", "content": "6 * 3 = 18\n#### 18</s>"}],
    ]
    assert reward(prompts, completions, answer=["18", "18"]) == [1.2, 1.2]


def test_no_gold_is_unscored_and_bad_options_are_refused() -> None:
    reward = verifiable_reward(answer_column="gold")
    assert reward(["q", "q"], ["#### 3", "#### 3"], gold=["3", None]) == [1.2, None]
    assert reward.last_batch.causes == {"no gold answer in column 'gold'": 1}
    with pytest.raises(ValueError, match="answer_format must be one of"):
        verifiable_reward(answer_format="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="format_weight must be a finite number >= 0"):
        verifiable_reward(format_weight=-1)
    assert reward.config == {
        "reward": "verifiable",
        "correct_weight": 1.0,
        "format_weight": 0.2,
        "answer_format": "any",
        "answer_extraction": "strict",
    }


async def _solutions(accuracy: float, n: int) -> tuple[list[str], list[str], list[str]]:
    roles = Roles.sim(seed=5, profile={"actor": {"accuracy": accuracy}}, gateway=Gateway())
    tasks = [SimWorld(seed=5).problem(i) for i in range(n)]
    results = await asyncio.gather(*(roles.complete("actor", t.question) for t in tasks))
    texts = [r.texts[0] for r in results]
    return [t.question for t in tasks], texts, [t.answer_text for t in tasks]


async def test_reward_follows_the_simulated_actors_skill() -> None:
    reward = verifiable_reward()
    means = []
    for accuracy in (0.9, 0.2):
        prompts, completions, gold = await _solutions(accuracy, 24)
        values = await reward.acall(prompts, completions, answer=gold)
        assert all(v is not None for v in values)
        means.append(sum(v for v in values if v is not None) / len(values))
    assert means[0] > means[1] + 0.3
