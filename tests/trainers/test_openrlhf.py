"""OpenRLHF 0.11.2's own dataset classes read the exports with the flags their cards give.

OpenRLHF's trainers need deepspeed, ray and flash-attn (CUDA), so the trainer lock installs it
without dependencies (requirements/openrlhf.in): these tests go through its dataset classes, the
part that decides what reaches the model, and train 2 steps on what they produce.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("openrlhf", reason="OpenRLHF is not installed (the trainer venv)")

import torch
from datasets import load_dataset
from openrlhf.datasets import PromptDataset, RewardDataset

from sparring.export import RECIPES
from tests.trainers._tiny import rows, texts, tiny_config, tokenizer_for

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]
Export = Callable[..., Path]


def _strategy(flags: tuple[str, ...]) -> Any:
    """OpenRLHF's strategy object as its datasets read it: ``args.data`` from the card's flags."""
    data: dict[str, Any] = {}
    for flag in flags:
        if not flag.startswith("--data."):
            continue
        name, _, value = flag.removeprefix("--data.").partition(" ")
        data[name] = value or True
    return SimpleNamespace(
        args=SimpleNamespace(data=SimpleNamespace(**data)), is_rank_0=lambda: True, print=print
    )


def _tok(folder: Path) -> Any:
    return tokenizer_for([*(t for r in rows(folder) for t in texts(r)), "system user assistant"])


def test_reward_dataset_keeps_the_prompt_only_with_the_cards_flags(
    export: Export, tmp_path: Path
) -> None:
    folder = export("meta-rewarding", "openrlhf", kind="response", conversational=True)
    tok = _tok(folder)
    ds = load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf"))
    flags = (*RECIPES["openrlhf"].openrlhf, "--data.apply_chat_template")
    good = RewardDataset(ds, tok, 512, _strategy(flags), num_processors=1)
    question = rows(folder)[0]["prompt"][0]["content"]
    assert question in good.prompts[0]
    defaults = ("--data.chosen_key chosen", "--data.rejected_key rejected")  # the CLI's defaults
    lossy_flags = (*defaults, "--data.apply_chat_template")
    lossy = RewardDataset(ds, tok, 512, _strategy(lossy_flags), num_processors=1)
    assert lossy.prompts[0] == ""  # the default prompt_key None drops every prompt
    assert [float(m) for m in good.extras] == [float(m) for m in ds["margin"]]
    _train_pairwise(good, tok)


def _train_pairwise(dataset: Any, tok: Any) -> None:
    """Two steps of the pairwise reward loss on OpenRLHF's collated batches."""
    from transformers import Qwen2ForSequenceClassification

    torch.manual_seed(0)
    model = Qwen2ForSequenceClassification(tiny_config(tok, num_labels=1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batch = dataset.collate_fn([dataset[i] for i in range(min(2, len(dataset)))])
    c_ids, c_mask, r_ids, r_mask, margin = batch
    losses = []
    for _ in range(2):
        chosen = model(input_ids=c_ids, attention_mask=c_mask).logits.squeeze(-1)
        rejected = model(input_ids=r_ids, attention_mask=r_mask).logits.squeeze(-1)
        loss = -torch.nn.functional.logsigmoid(chosen - rejected - torch.tensor(margin)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert all(torch.isfinite(torch.tensor(losses))) and losses[0] != losses[1]


def test_prompt_dataset_reads_system_turn_and_gold_label(export: Export, tmp_path: Path) -> None:
    folder = export("self-consistency", "prompts")
    tok = _tok(folder)
    ds = load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf"))
    data = PromptDataset(ds, tok, _strategy(RECIPES["prompts"].openrlhf))
    _, prompt, label, _ = data[0]
    assert label == ds[0]["answer"] and label
    assert ds[0]["prompt"][0]["content"] in prompt and prompt.endswith("assistant\n")
    flags = ("--data.input_key prompt", "--data.apply_chat_template")
    lossy = PromptDataset(ds, tok, _strategy(flags))
    assert lossy[0][2] == ""  # label_key None: no gold reaches the reward
