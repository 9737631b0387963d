"""What rewards read: chat templates, turn headers and end-of-sequence tokens removed."""

from __future__ import annotations

import pytest

from sparring.rewards import completion_text, prompt_text, split_query, strip_special_tokens

QWEN = (
    "<|im_start|>system\nYou are helpful.<|im_end|>\n"
    "<|im_start|>user\nWhat is 6 * 3?<|im_end|>\n<|im_start|>assistant\n"
)
LLAMA3 = (
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\nWhat is 6 * 3?<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n"
)
MISTRAL = "<s>[INST] What is 6 * 3? [/INST]"


@pytest.mark.parametrize(
    ("prompt", "eos"), [(QWEN, "<|im_end|>"), (LLAMA3, "<|eot_id|>"), (MISTRAL, "</s>")]
)
def test_templated_prompt_and_query(prompt: str, eos: str) -> None:
    assert prompt_text(prompt) == "What is 6 * 3?"
    query = prompt + "6 * 3 = 18\n#### 18" + eos
    assert completion_text(split_query(query, prompt)) == "6 * 3 = 18\n#### 18"


def test_query_whose_prompt_decoded_differently_splits_at_the_assistant_header() -> None:
    query = QWEN.replace("You are helpful.", "You are  helpful.") + "#### 18<|im_end|>"
    assert completion_text(split_query(query, QWEN)) == "#### 18"


def test_plain_and_conversational_items() -> None:
    assert prompt_text("What is 2+2?") == "What is 2+2?"
    assert (
        prompt_text([{"role": "system", "content": "x"}, {"role": "user", "content": "Q?"}]) == "Q?"
    )
    parts = [{"role": "assistant", "content": [{"type": "text", "text": "#### 4"}]}]
    assert completion_text(parts) == "#### 4"
    assert strip_special_tokens("#### 4<|endoftext|>") == "#### 4"
    assert completion_text("no template at all") == "no template at all"
