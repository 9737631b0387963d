"""Training recipes for each export format, for the pinned trainers (requirements/train.lock).

The card (README.md) of every export states its recipe; tests/trainers trains with exactly these
fields and flags, so a recipe that stops working fails CI rather than a user's job.
Versions: TRL 1.16.0, transformers 5.24.0, OpenRLHF 0.11.2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RECIPES", "TRAINER_VERSIONS", "Recipe", "irpo_fields", "recipe_card"]

TRAINER_VERSIONS = "TRL 1.16.0, transformers 5.24.0, OpenRLHF 0.11.2"


@dataclass(frozen=True)
class Recipe:
    """How one export format trains.

    Attributes:
        trainer: The TRL (or transformers) trainer class.
        config: Its config class.
        fields: The config fields that matter for this data, as passed.
        prepare: Python to run on the loaded dataset first (empty: none).
        openrlhf: The OpenRLHF 0.11.2 command and its data flags (empty: no OpenRLHF path).
        loses_data: Defaults that drop or garble this data, named so nobody relies on them.
    """

    trainer: str
    config: str
    fields: dict[str, Any] = field(default_factory=dict)
    prepare: str = ""
    openrlhf: tuple[str, ...] = ()
    loses_data: tuple[str, ...] = ()


_PAIR_FLAGS = (
    "--data.prompt_key prompt",
    "--data.chosen_key chosen",
    "--data.rejected_key rejected",
)
_PROMPT_KEY_NONE = (
    "OpenRLHF's `--data.prompt_key` defaults to None: the prompt column is then silently dropped "
    "and the model trains on chosen/rejected alone. Always pass `--data.prompt_key prompt`."
)
_CHAT_STRINGS = (
    "`--data.apply_chat_template` needs the `--conversational` export (chat messages); on a "
    "string export it fails with `TypeError: Chat messages should be dicts`. Without it, "
    "OpenRLHF concatenates prompt + response as raw text."
)

RECIPES: dict[str, Recipe] = {
    "trl-dpo": Recipe(
        "trl.DPOTrainer",
        "trl.DPOConfig",
        {"beta": 0.1, "loss_type": ["sigmoid"]},
        openrlhf=(
            "python -m openrlhf.cli.train_dpo --data.dataset DIR/data/train.jsonl",
            *_PAIR_FLAGS,
        ),
        loses_data=(_PROMPT_KEY_NONE, _CHAT_STRINGS),
    ),
    "trl-kto": Recipe(
        "trl.KTOTrainer",
        "trl.KTOConfig",
        {"beta": 0.1, "desirable_weight": 1.0, "undesirable_weight": 1.0},
        loses_data=(
            "Every pair gives one desirable and one undesirable row; after filtering, rebalance "
            "`desirable_weight`/`undesirable_weight` so weight x count is within 1:1 to 4:3.",
        ),
    ),
    "sft": Recipe(
        "trl.SFTTrainer",
        "trl.SFTConfig",
        {"max_length": 1024},
        openrlhf=(
            "python -m openrlhf.cli.train_sft --data.dataset DIR/data/train.jsonl",
            "--data.input_key messages",
            "--data.apply_chat_template",
        ),
        loses_data=(
            "OpenRLHF's `--data.input_key` defaults to `input`: `KeyError: 'input'` on these rows.",
            "SFTConfig `max_length` truncates longer conversations (TRL's default is 1024).",
        ),
    ),
    "openrlhf": Recipe(
        "trl.RewardTrainer",
        "trl.RewardConfig",
        {"center_rewards_coefficient": 0.01},
        openrlhf=(
            "python -m openrlhf.cli.train_rm --data.dataset DIR/data/train.jsonl",
            *_PAIR_FLAGS,
        ),
        loses_data=(
            _PROMPT_KEY_NONE,
            _CHAT_STRINGS,
            "The `margin` column (chosen minus rejected score) is read by OpenRLHF's RewardDataset "
            "and TRL's RewardTrainer as they are; no flag needed.",
        ),
    ),
    "rl": Recipe(
        "trl.KTOTrainer",
        "trl.KTOConfig",
        {"beta": 0.1, "desirable_weight": 1.0, "undesirable_weight": 1.0},
        prepare=(
            "from sparring.export import rl_as_kto\n"
            "ds = load_dataset(DIR, ROLE, split='train')  # one config per role: critic, ...\n"
            "ds = ds.map(rl_as_kto, remove_columns=ds.column_names)"
        ),
        loses_data=(
            "A run with several roles writes one config per role (`data/ROLE/train.jsonl`): "
            "`load_dataset(DIR)` without a config name refuses rather than mixing roles; "
            "`--role ROLE` writes one role only.",
        ),
    ),
    "prm": Recipe(
        "transformers.Trainer",
        "transformers.TrainingArguments",
        {"remove_unused_columns": False},
        prepare=(
            "from sparring.export import prm_as_token_labels\n"
            "tok = lambda s: tokenizer(s, add_special_tokens=False)['input_ids']\n"
            "ds = Dataset.from_list([prm_as_token_labels(r, tok) for r in ds])\n"
            "model = AutoModelForTokenClassification.from_pretrained(BASE, num_labels=2)\n"
            "# collator: transformers.DataCollatorForTokenClassification(tokenizer)"
        ),
        loses_data=(
            "TRL 1.16 has no PRMTrainer (only TRL 0.29's `trl.experimental.prm`).",
            "`ds.map(prm_as_token_labels, remove_columns=...)` keeps the old `labels` column's "
            "bool type, turning every -100 into True: build a new Dataset (`from_list`).",
        ),
    ),
    "prompts": Recipe(
        "trl.GRPOTrainer",
        "trl.GRPOConfig",
        {"num_generations": 4, "max_completion_length": 256},
        prepare=(
            "from sparring.rewards import verifiable_reward\n"
            "reward_funcs = [verifiable_reward(answer_column='answer', answer_format='gsm8k')]"
        ),
        openrlhf=(
            "python -m openrlhf.cli.train_ppo_ray --data.prompt_dataset DIR/data/train.jsonl",
            "--data.input_key prompt",
            "--data.label_key answer",
            "--data.apply_chat_template",
            "--reward.remote_url URL_OF_sparring_serve-reward",
        ),
        loses_data=(
            "OpenRLHF's `--data.input_key` defaults to `input` (`KeyError`) and `--data.label_key` "
            "to None: every label is then '' and a verifiable reward has no gold to check.",
            "Without `--data.apply_chat_template` the system turn of each prompt is not applied.",
        ),
    ),
}


def irpo_fields(rpo_alpha: float, beta: float) -> dict[str, Any]:
    """IRPO's DPO+NLL loss for TRL 1.16 (``rpo_alpha`` is gone: the NLL term is ``sft``)."""
    return {"beta": beta, "loss_type": ["sigmoid", "sft"], "loss_weights": [1.0, rpo_alpha]}


def recipe_card(fmt: str, fields: dict[str, Any] | None = None) -> str:
    """The card's "How to train" section for ``fmt`` (``fields`` overrides the config fields)."""
    recipe = RECIPES[fmt]
    args = ", ".join(f"{k}={json.dumps(v)}" for k, v in (fields or recipe.fields).items())
    lines = [
        f"\n## How to train ({TRAINER_VERSIONS})\n",
        f"{recipe.trainer} with `{recipe.config}({args}, ...)`.",
    ]
    if recipe.prepare:
        lines += ["\nFirst:\n", "```python", recipe.prepare, "```"]
    if recipe.openrlhf:
        lines += ["\nOpenRLHF 0.11.2:\n", "```bash", " \\\n  ".join(recipe.openrlhf), "```"]
    if recipe.loses_data:
        lines += ["\nDefaults that lose data:\n", *(f"- {why}" for why in recipe.loses_data)]
    return "\n".join(lines) + "\n"
