"""Verifiable rewards: strict answer extraction by default, the fallback only when asked."""

from __future__ import annotations

from sparring.rewards import answer_reward
from sparring.verify import answer_extraction_config, extract_answer

UNSURE = "I cannot tell. Step 2 is unclear."


def test_a_completion_without_an_answer_is_not_graded_by_its_last_number() -> None:
    assert extract_answer(UNSURE) is None
    reward = answer_reward()
    assert reward(["q"], [UNSURE], answer=["2"]) == [0.0]
    assert reward.config == {"reward": "answer", "answer_extraction": "strict"}


def test_fallback_when_asked_for_and_recorded() -> None:
    reward = answer_reward(last_number_fallback=True)
    assert reward(["q"], [UNSURE], answer=["2"]) == [1.0]
    assert reward.config["answer_extraction"] == "last_number_fallback"


def test_stated_answers_are_graded_either_way() -> None:
    completions = ["Work.\n#### 18", "So the answer is 17.", r"Thus $\boxed{18}$."]
    for fallback in (False, True):
        reward = answer_reward(last_number_fallback=fallback)
        assert reward(["q"] * 3, completions, answer=["18"] * 3) == [1.0, 0.0, 1.0]


def test_sample_without_gold_is_unscored() -> None:
    reward = answer_reward(answer_column="gold")
    assert reward(["q", "q"], ["#### 3", "#### 3"], gold=["3", ""]) == [1.0, None]


def test_extraction_config() -> None:
    assert answer_extraction_config(False) == {"answer_extraction": "strict"}
    assert answer_extraction_config(True) == {"answer_extraction": "last_number_fallback"}
