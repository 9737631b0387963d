"""A tiny randomly initialised causal LM and a tokenizer trained on export text: no downloads."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

SPECIAL = ["<unk>", "<pad>", "<|im_start|>", "<|im_end|>"]
# A ChatML-like template, written here: the tokenizer needs one for conversational rows.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def texts(value: Any) -> Iterator[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from texts(v)


def rows(folder: Path, config: str = "default") -> list[dict[str, Any]]:
    """An export's rows, read from its data file."""
    name = "data/train.jsonl" if config == "default" else f"data/{config}/train.jsonl"
    return [json.loads(line) for line in (folder / name).read_text().splitlines()]


def tokenizer_for(corpus: Iterable[str]) -> Any:
    """A word-level tokenizer trained on ``corpus`` with a chat template and ``<|im_end|>`` EOS."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.train_from_iterator(list(corpus), trainers.WordLevelTrainer(special_tokens=SPECIAL))
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        pad_token="<pad>",
        eos_token="<|im_end|>",
        bos_token="<|im_start|>",
        chat_template=CHAT_TEMPLATE,
    )


def tiny_config(tokenizer: Any, **extra: Any) -> Any:
    """A 2-layer Qwen2 config, hidden size 32, sized to ``tokenizer``."""
    from transformers import Qwen2Config

    return Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=2048,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
        tie_word_embeddings=True,
        **extra,
    )


def tiny_lm(tokenizer: Any) -> Any:
    """A randomly initialised Qwen2 causal LM (seeded)."""
    import torch
    from transformers import Qwen2ForCausalLM

    torch.manual_seed(0)
    return Qwen2ForCausalLM(tiny_config(tokenizer))


def snapshot(model: Any) -> dict[str, Any]:
    """A copy of the model's weights, to check that training changed them."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def changed(before: dict[str, Any], model: Any) -> bool:
    """Whether any weight differs from ``before``."""
    import torch

    return any(not torch.equal(before[k], v) for k, v in model.state_dict().items())


def common_args(out: Path) -> dict[str, Any]:
    """TrainingArguments fields of every 2-step CPU run (on top of a recipe's own fields)."""
    return {
        "output_dir": str(out),
        "max_steps": 2,
        "per_device_train_batch_size": 2,
        "learning_rate": 1e-3,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": True,
        "dataloader_num_workers": 0,
        "disable_tqdm": True,
    }


def tiny_lm_dir(tokenizer: Any, folder: Path) -> str:
    """``tiny_lm`` and ``tokenizer`` saved in ``folder``: TRL loads its reference model by path."""
    tiny_lm(tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)
