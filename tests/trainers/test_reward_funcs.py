"""sparring's rewards inside TRL 1.16's GRPOTrainer: unscored counts in its logs, causes named.

Runs only in the trainer venv (``make test-trainers``); the main suite has no TRL and skips it.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("trl", reason="TRL is not installed (the trainer venv: make test-trainers)")

from datasets import Dataset

from sparring.agents import Judge
from sparring.models import Gateway, Model, RetryPolicy, Roles
from sparring.rewards import (
    AllUnscoredError,
    AllUnscoredWarning,
    UnscoredCallback,
    UnscoredSamplesError,
    judge_reward,
    require_scores,
    verifiable_reward,
)
from sparring.sim import SimWorld
from tests.trainers._tiny import common_args, texts, tiny_lm_dir, tokenizer_for

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
]


def _dataset(n: int, *, missing_gold: int = 0) -> Dataset:
    tasks = [SimWorld(seed=0).problem(i) for i in range(n)]
    return Dataset.from_list(
        [
            {
                "prompt": [{"role": "user", "content": t.question}],
                "answer": "" if i < missing_gold else t.answer_text,
            }
            for i, t in enumerate(tasks)
        ]
    )


def _trainer(ds: Dataset, reward: Any, tmp_path: Path) -> Any:
    from trl import GRPOConfig, GRPOTrainer

    tok = tokenizer_for([*(s for row in ds for s in texts(row)), "system user assistant #### 1"])
    model = tiny_lm_dir(tok, tmp_path / "model")
    args = GRPOConfig(
        **{**common_args(tmp_path), "per_device_train_batch_size": 2},
        num_generations=2,
        max_completion_length=8,
    )
    trainer = GRPOTrainer(
        model, reward_funcs=[reward], args=args, train_dataset=ds, processing_class=tok
    )
    UnscoredCallback(reward).install(trainer)
    return trainer


def test_grpo_logs_the_unscored_count_of_the_verifiable_reward(tmp_path: Path) -> None:
    reward = verifiable_reward()
    trainer = _trainer(_dataset(4, missing_gold=4), reward, tmp_path)  # every gold missing
    with pytest.warns(AllUnscoredWarning, match="no gold answer in column 'answer'"):
        trainer.train()
    assert trainer.state.global_step == 2
    steps = [h for h in trainer.state.log_history if "loss" in h]
    assert len(steps) == 2 and all(
        h["rewards/unscored"] == 2 for h in steps
    )  # the callback: 2 a step
    assert all(h["unscored/verifiable_reward"] == 2 for h in steps)
    via_trl = [h for h in trainer.state.log_history if "rewards/verifiable_reward/unscored" in h]
    assert via_trl and via_trl[0]["rewards/verifiable_reward/unscored"] > 0
    assert "no gold answer in column 'answer'" in reward.last_batch.describe()


def test_grpo_with_every_gold_present_logs_zero_unscored(tmp_path: Path) -> None:
    reward = verifiable_reward()
    trainer = _trainer(_dataset(4), reward, tmp_path)
    trainer.train()
    steps = [h for h in trainer.state.log_history if "loss" in h]
    assert len(steps) == 2 and all(h["rewards/unscored"] == 0 for h in steps)
    assert all(h["rewards/verifiable_reward/unscored"] == 0 for h in steps)


def test_grpo_stops_naming_the_judge_that_refuses_connections(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    model = Model("openai/judge", api_base=base, api_key="sk-test", timeout_s=2.0)
    roles = Roles(judge=model, gateway=Gateway(retry=RetryPolicy(max_attempts=1)))
    reward = judge_reward(Judge(roles))
    reward.on_all_unscored = "raise"
    trainer = _trainer(_dataset(4), reward, tmp_path)
    with pytest.raises(AllUnscoredError, match="backend_error") as caught:
        trainer.train()
    assert base in str(caught.value)


def _online_dpo(ds: Dataset, reward: Any, tmp_path: Path) -> Any:
    from trl.experimental.online_dpo import OnlineDPOConfig, OnlineDPOTrainer

    tok = tokenizer_for([*(s for row in ds for s in texts(row)), "system user assistant #### 1"])
    model = tiny_lm_dir(tok, tmp_path / "model")
    args = OnlineDPOConfig(**common_args(tmp_path), max_new_tokens=8)
    trainer = OnlineDPOTrainer(
        model, reward_funcs=[reward], args=args, train_dataset=ds, processing_class=tok
    )
    UnscoredCallback(reward).install(trainer)
    return trainer


def test_online_dpo_refuses_to_count_an_unreachable_judge_as_zero(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    model = Model("openai/judge", api_base=base, api_key="sk-test", timeout_s=2.0)
    roles = Roles(judge=model, gateway=Gateway(retry=RetryPolicy(max_attempts=1)))
    trainer = _online_dpo(_dataset(4), require_scores(judge_reward(Judge(roles))), tmp_path)
    with pytest.raises(UnscoredSamplesError, match="would count them as 0") as caught:
        trainer.train()
    assert base in str(caught.value) and "backend_error" in str(caught.value)


def test_online_dpo_with_an_explicit_fill_trains_and_logs_what_it_filled(tmp_path: Path) -> None:
    reward = require_scores(verifiable_reward(), fill=0.0)
    trainer = _online_dpo(_dataset(4, missing_gold=4), reward, tmp_path)
    trainer.train()
    assert trainer.state.global_step == 2
    steps = [h for h in trainer.state.log_history if "loss" in h]
    assert len(steps) == 2 and all(h["rewards/unscored"] > 0 for h in steps)


# OpenRLHF 0.11.2's own rollout code scores through our reward file and our HTTP server: the
# executor decodes prompt + completion with special tokens kept, as in training.


class _Engine:
    """Stands in for vLLM: answers every prompt with the given completion's token ids."""

    def __init__(self, completion_ids: list[int]) -> None:
        self.completion_ids = completion_ids

    async def generate(self, prompt_ids: list[int], params: Any, **kwargs: Any) -> Any:
        from types import SimpleNamespace

        out = SimpleNamespace(token_ids=self.completion_ids, finish_reason="stop", logprobs=None)
        return SimpleNamespace(outputs=[out])


def _rollout(remote: str, completion: str, label: str | None) -> dict[str, Any]:
    import asyncio
    from types import SimpleNamespace

    from openrlhf.utils.agent import SingleTurnAgentExecutor

    question = "What is 6 * 3 ?"
    tok = tokenizer_for([question, completion, "system user assistant"])
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True
    )
    engine = _Engine(tok(completion + "<|im_end|>", add_special_tokens=False)["input_ids"])
    params = SimpleNamespace(max_tokens=32, logprobs=None)
    executor = SingleTurnAgentExecutor(remote)
    out: dict[str, Any] = asyncio.run(executor.execute(prompt, label, params, 256, tok, engine))
    return out


@pytest.mark.parametrize("transport", ["file", "http"])
def test_openrlhf_rollouts_are_scored_with_templates_stripped(
    transport: str, tmp_path: Path
) -> None:
    from sparring.rewards import RewardServer
    from sparring.rewards._server import WeightedReward

    file = tmp_path / "reward.py"
    file.write_text(
        "from sparring.rewards import openrlhf_reward_func, verifiable_reward\n"
        "reward_func = openrlhf_reward_func(verifiable_reward())\n"
    )
    with RewardServer([WeightedReward(verifiable_reward())], port=0) as srv:
        remote = str(file) if transport == "file" else srv.url
        right = _rollout(remote, "6 * 3 = 18 #### 18", "18")
        wrong = _rollout(remote, "6 * 3 = 19 #### 19", "18")
    assert float(right["reward"][0]) == pytest.approx(1.2)
    assert float(wrong["reward"][0]) == pytest.approx(0.2)
    assert right["extra_logs"]["unscored"] == 0


def test_an_unscored_openrlhf_rollout_gets_no_reward_not_zero(tmp_path: Path) -> None:
    file = tmp_path / "reward.py"
    file.write_text(
        "from sparring.rewards import openrlhf_reward_func, verifiable_reward\n"
        "reward_func = openrlhf_reward_func(verifiable_reward())\n"
    )
    out = _rollout(str(file), "6 * 3 = 18 #### 18", None)  # no label: nothing to check against
    assert out["reward"] is None  # OpenRLHF then refuses the batch instead of training on 0
