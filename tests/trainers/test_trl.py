"""Each export format trains 2 steps with the pinned TRL, using the recipe its card states.

Runs only in the trainer venv (`make test-trainers`, requirements/train.lock); the main suite
has no TRL and skips this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("trl", reason="TRL is not installed (the trainer venv: make test-trainers)")

from datasets import Dataset, load_dataset

from sparring.export import RECIPES, prm_as_token_labels, rl_as_kto
from sparring.export._recipes import irpo_fields
from tests.trainers._tiny import (
    changed,
    common_args,
    rows,
    snapshot,
    texts,
    tiny_config,
    tiny_lm_dir,
    tokenizer_for,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
]
Export = Callable[..., Path]


def _tok(*folders: Path, config: str = "default") -> Any:
    corpus = [t for f in folders for r in rows(f, config) for t in texts(r)]
    return tokenizer_for([*corpus, "system user assistant"])


def _losses(trainer: Any) -> list[float]:
    return [h["loss"] for h in trainer.state.log_history if "loss" in h]


def _trained(trainer: Any) -> None:
    model = trainer.model
    before = snapshot(model)
    trainer.train()
    assert trainer.state.global_step == 2
    losses = _losses(trainer)
    assert losses and all(math.isfinite(x) for x in losses)
    assert changed(before, model), "two optimiser steps left every weight unchanged"


@pytest.mark.parametrize(("kind", "conversational"), [("response", False), ("judgment", True)])
def test_dpo_on_meta_rewarding_pairs_of_one_kind(
    export: Export, tmp_path: Path, kind: str, conversational: bool
) -> None:
    from trl import DPOConfig, DPOTrainer

    folder = export("meta-rewarding", "trl-dpo", kind=kind, conversational=conversational)
    assert "DPOConfig(beta=0.1" in (folder / "README.md").read_text()
    tok = _tok(folder)
    model = tiny_lm_dir(tok, tmp_path / "model")
    args = DPOConfig(**common_args(tmp_path), **RECIPES["trl-dpo"].fields, max_length=512)
    ds = load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf"))
    _trained(DPOTrainer(model, args=args, train_dataset=ds, processing_class=tok))


def test_irpo_trains_dpo_plus_nll_with_the_fields_its_card_gives(
    export: Export, tmp_path: Path
) -> None:
    from trl import DPOConfig, DPOTrainer

    folder = export("irpo", "trl-dpo", meta=True)
    card = (folder / "README.md").read_text()
    extra = rows(folder)[0]["meta"]["extra"]
    fields = irpo_fields(extra["rpo_alpha"], extra["beta"])
    assert extra["trl_loss_type"] == fields["loss_type"] == ["sigmoid", "sft"]
    assert extra["trl_loss_weights"] == fields["loss_weights"]
    assert 'loss_type=["sigmoid", "sft"]' in card and "rpo_alpha" not in card
    with pytest.raises(TypeError, match="rpo_alpha"):
        DPOConfig(output_dir=str(tmp_path), rpo_alpha=1.0)  # type: ignore[call-arg]
    ds = load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf")).remove_columns(
        "meta"
    )
    tok = _tok(folder)
    model = tiny_lm_dir(tok, tmp_path / "model")
    args = DPOConfig(**common_args(tmp_path), **fields, max_length=512)
    trainer = DPOTrainer(model, args=args, train_dataset=ds, processing_class=tok)
    _trained(trainer)
    # the NLL term was trained: TRL logs each loss term of a multi-loss run
    assert any(k for h in trainer.state.log_history for k in h if "sft" in k or "nll" in k) or (
        len(args.loss_type) == 2
    )


def test_kto_on_meta_rewarding_rows(export: Export, tmp_path: Path) -> None:
    from trl import KTOConfig, KTOTrainer

    folder = export("meta-rewarding", "trl-kto", kind="response")
    tok = _tok(folder)
    model = tiny_lm_dir(tok, tmp_path / "model")
    args = KTOConfig(**common_args(tmp_path), **RECIPES["trl-kto"].fields, max_length=512)
    ds = load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf"))
    assert set(ds["label"]) == {True, False}
    _trained(KTOTrainer(model, args=args, train_dataset=ds, processing_class=tok))


def test_sft_on_verified_targets(export: Export, tmp_path: Path) -> None:
    from trl import SFTConfig, SFTTrainer

    folder = export("self-consistency", "sft")
    tok = _tok(folder)
    model = tiny_lm_dir(tok, tmp_path / "model")
    args = SFTConfig(**common_args(tmp_path), **RECIPES["sft"].fields)
    ds = load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf"))
    _trained(SFTTrainer(model, args=args, train_dataset=ds, processing_class=tok))


def test_reward_model_on_the_openrlhf_export_with_margins(export: Export, tmp_path: Path) -> None:
    from transformers import Qwen2ForSequenceClassification
    from trl import RewardConfig, RewardTrainer

    folder = export("meta-rewarding", "openrlhf", kind="response")
    ds = load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf"))
    assert any(m > 0 for m in ds["margin"])
    tok = _tok(folder)
    model = Qwen2ForSequenceClassification(tiny_config(tok, num_labels=1))
    args = RewardConfig(**common_args(tmp_path), **RECIPES["openrlhf"].fields, max_length=512)
    _trained(RewardTrainer(model, args=args, train_dataset=ds, processing_class=tok))


def test_rl_splits_roles_and_one_role_trains_as_kto(export: Export, tmp_path: Path) -> None:
    from trl import KTOConfig, KTOTrainer

    folder = export("spc-game", "rl", conversational=True)
    with pytest.raises(ValueError, match=r"(?i)config"):
        load_dataset(
            str(folder), split="train", cache_dir=str(tmp_path / "hf")
        )  # roles are never mixed in one table
    critic = load_dataset(str(folder), "critic", split="train", cache_dir=str(tmp_path / "hf"))
    assert critic.num_rows and critic[0]["prompt"][0]["role"] == "system"
    ds = critic.map(rl_as_kto, remove_columns=critic.column_names)
    tok = _tok(folder, config="critic")
    model = tiny_lm_dir(tok, tmp_path / "model")
    args = KTOConfig(**common_args(tmp_path), **RECIPES["rl"].fields, max_length=512)
    _trained(KTOTrainer(model, args=args, train_dataset=ds, processing_class=tok))


def test_prm_trains_as_token_classification(export: Export, tmp_path: Path) -> None:
    from transformers import (
        DataCollatorForTokenClassification,
        Qwen2ForTokenClassification,
        Trainer,
        TrainingArguments,
    )

    folder = export("spc-game", "prm")
    tok = _tok(folder)
    ds = load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf"))

    def ids(text: str) -> list[int]:
        return list(tok(text, add_special_tokens=False)["input_ids"])

    # as the card says: from_list, not ds.map (map keeps the bool type of the old `labels`)
    data = Dataset.from_list([prm_as_token_labels(r, ids) for r in ds])
    n_steps = sum(len(c) for c in ds["completions"])
    assert sum(1 for r in data["labels"] for x in r if x != -100) == n_steps
    model = Qwen2ForTokenClassification(tiny_config(tok, num_labels=2))
    args = TrainingArguments(**common_args(tmp_path), **RECIPES["prm"].fields)
    collator = DataCollatorForTokenClassification(tok)
    _trained(Trainer(model, args=args, train_dataset=data, data_collator=collator))


def test_grpo_on_the_prompts_export_with_the_verifiable_reward(
    export: Export, tmp_path: Path
) -> None:
    from trl import GRPOConfig, GRPOTrainer

    from sparring.rewards import verifiable_reward

    folder = export("self-consistency", "prompts")
    ds = load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf"))
    assert ds[0]["prompt"][0]["role"] == "system" and ds[0]["answer"]
    seen: list[str] = []
    reward = verifiable_reward(answer_column="answer", answer_format="gsm8k")

    def spy(completions: list[Any], answer: list[str], **kw: Any) -> list[float | None]:
        seen.extend(answer)
        return reward(completions=completions, answer=answer, **kw)  # type: ignore[no-any-return]

    spy.__name__ = "verifiable_reward"
    tok = _tok(folder)
    model = tiny_lm_dir(tok, tmp_path / "model")
    fields = RECIPES["prompts"].fields
    args = GRPOConfig(
        **{**common_args(tmp_path), "per_device_train_batch_size": fields["num_generations"]},
        **fields,
    )
    trainer = GRPOTrainer(
        model, reward_funcs=[spy], args=args, train_dataset=ds, processing_class=tok
    )
    before = snapshot(trainer.model)
    trainer.train()
    assert trainer.state.global_step == 2
    assert set(seen) <= set(ds["answer"]) and seen  # the gold labels reached the reward
    assert changed(before, trainer.model) or all(
        h.get("reward_std", 0) == 0 for h in trainer.state.log_history
    )
