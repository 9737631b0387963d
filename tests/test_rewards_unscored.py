"""Unscored never silently becomes 0: causes named, counts logged, a number only by policy."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from sparring.agents import Judge
from sparring.models import Gateway, Model, RetryPolicy, Roles
from sparring.rewards import (
    AllUnscoredError,
    AllUnscoredWarning,
    RewardFunction,
    Unscored,
    UnscoredSamplesError,
    judge_reward,
    require_scores,
    unscored_logs,
    verifiable_reward,
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _down_judge() -> tuple[Judge, str]:
    base = f"http://127.0.0.1:{_closed_port()}/v1"
    model = Model("openai/judge", api_base=base, api_key="sk-test", timeout_s=2.0)
    gateway = Gateway(retry=RetryPolicy(max_attempts=1))
    return Judge(Roles(judge=model, gateway=gateway)), base


def test_a_judge_that_refuses_connections_is_named_not_scored_zero() -> None:
    judge, base = _down_judge()
    reward = judge_reward(judge)
    with pytest.warns(AllUnscoredWarning) as caught:
        values = reward(["What is 2+2?"] * 2, ["2 + 2 = 4\n#### 4"] * 2)
    assert values == [None, None]
    message = str(caught[0].message)
    assert "no sample of 2 was scored" in message and "backend_error" in message
    assert "onnect" in message and base in message  # the connection failure, and where
    strict = judge_reward(judge, name="strict")
    strict.on_all_unscored = "raise"
    with pytest.raises(AllUnscoredError, match="backend_error"):
        strict(["What is 2+2?"], ["#### 4"])


def test_require_scores_refuses_the_silent_zero_and_fills_only_when_told() -> None:
    reward = verifiable_reward()
    online_dpo = require_scores(reward)
    assert online_dpo(["q", "q"], ["#### 1", "#### 2"], answer=["1", "1"]) == [1.2, 0.2]
    with pytest.raises(UnscoredSamplesError, match=r"1 of 2 samples unscored \(1x no gold"):
        online_dpo(["q", "q"], ["#### 1", "#### 2"], answer=["1", ""])
    filled = require_scores(reward, fill=-1.0)
    assert filled(["q", "q"], ["#### 1", "#### 2"], answer=["1", ""]) == [1.2, -1.0]
    assert filled.config["unscored_fill"] == -1.0 and filled.__name__ == "verifiable_reward"


def test_counts_reach_trl_log_metric_and_the_callback_logs() -> None:
    logged: list[tuple[str, float]] = []
    reward = verifiable_reward()
    reward.take_counts()
    reward(
        ["q"] * 3,
        ["#### 1"] * 3,
        answer=["1", "", "2"],
        completion_ids=[[1], [2], [3]],
        trainer_state=object(),
        log_metric=lambda name, value: logged.append((name, value)),
    )
    assert logged == [("rewards/verifiable_reward/unscored", 1.0)]
    other = RewardFunction(_never, name="other")
    with pytest.warns(AllUnscoredWarning, match="2x judge offline"):
        other(["q", "q"], ["a", "b"])
    logs = unscored_logs([reward, other])
    assert logs == {
        "unscored/verifiable_reward": 1.0,
        "unscored/other": 2.0,
        "rewards/unscored": 3.0,
    }
    assert unscored_logs([reward, other])["rewards/unscored"] == 0.0  # counted once


async def _never(prompt: str, completion: str, extra: Any) -> float | None:
    raise Unscored("judge offline")


def test_a_failing_scorer_loses_only_its_sample_and_is_not_cached() -> None:
    calls: list[str] = []

    async def flaky(prompt: str, completion: str, extra: Any) -> float | None:
        calls.append(completion)
        if completion == "bad" and calls.count("bad") == 1:
            raise ConnectionError("refused by 127.0.0.1:9")
        return 1.0

    reward = RewardFunction(flaky)
    assert reward(["q", "q"], ["good", "bad"]) == [1.0, None]
    assert reward.last_batch.causes == {"ConnectionError: refused by 127.0.0.1:9": 1}
    assert reward(["q", "q"], ["good", "bad"]) == [1.0, 1.0]  # retried, the good one cached
    assert calls == ["good", "bad", "bad"]
    with pytest.raises(ValueError, match="on_all_unscored"):
        RewardFunction(flaky, on_all_unscored="zero")  # type: ignore[arg-type]
