"""``sparring serve-reward`` and RewardServer: OpenRLHF's remote reward protocol over real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from sparring.agents import Judge
from sparring.cli import cli
from sparring.models import Model, Roles
from sparring.rewards import RewardServer, judge_reward, verifiable_reward
from sparring.rewards._server import WeightedReward
from sparring.sim import SimServer, SimWorld

QWEN = "<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"


def _post(url: str, body: Any) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _batch(pairs: list[tuple[str, str]], labels: list[Any] | None) -> dict[str, Any]:
    prompts = [QWEN.format(q=q) for q, _ in pairs]
    queries = [p + c + "<|im_end|>" for p, (_, c) in zip(prompts, pairs, strict=True)]
    return {"query": queries, "prompts": prompts, "labels": labels}


@pytest.fixture
def verifiable_server() -> Iterator[RewardServer]:
    with RewardServer([WeightedReward(verifiable_reward())], port=0) as srv:
        yield srv


def test_verifiable_rewards_over_http(verifiable_server: RewardServer) -> None:
    body = _batch([("What is 6 * 3?", "#### 18"), ("What is 6 * 3?", "#### 19")], ["18", "18"])
    status, payload = _post(verifiable_server.url, body)
    assert status == 200
    assert (
        payload["rewards"] == pytest.approx([1.2, 0.2]) and payload["scores"] == payload["rewards"]
    )
    assert payload["extra_logs"]["unscored"] == 0.0
    assert payload["extra_logs"]["verifiable_reward/mean"] == pytest.approx(0.7)


def test_protocol_errors_name_what_is_wrong(verifiable_server: RewardServer) -> None:
    url = verifiable_server.url
    assert _post(url, b"{not json")[0] == 400
    status, payload = _post(url, {"prompts": ["p"]})
    assert status == 400 and "'query' must be a list" in payload["error"]
    status, payload = _post(url, {"query": ["a", "b"], "prompts": ["a"]})
    assert status == 400 and "2 queries but 1 prompts" in payload["error"]
    assert _post(url.replace("/get_reward", "/nope"), {"query": []})[0] == 404
    with urllib.request.urlopen(url.replace("/get_reward", "/health"), timeout=10) as response:
        assert json.loads(response.read())["rewards"] == ["verifiable_reward"]


def test_unscored_is_503_with_the_cause_unless_a_stand_in_is_chosen(
    verifiable_server: RewardServer,
) -> None:
    body = _batch([("What is 1 + 1?", "#### 2"), ("What is 1 + 1?", "#### 2")], ["2", None])
    status, payload = _post(verifiable_server.url, body)
    assert status == 503 and "1 of 2 queries unscored (1x no gold answer" in payload["error"]
    with RewardServer([WeightedReward(verifiable_reward())], port=0, missing=-1.0) as srv:
        status, payload = _post(srv.url, body)
    assert status == 200 and payload["rewards"] == pytest.approx([1.2, -1.0])
    assert payload["extra_logs"]["unscored"] == 1.0


def test_judge_on_serve_sim_plus_verifiable_weighted() -> None:
    tasks = [SimWorld(seed=6).problem(i) for i in range(6)]
    right = [(t.question, f"Step 1: work.\n#### {t.answer_text}") for t in tasks]
    wrong = [(t.question, f"Step 1: work.\n#### {t.answer + 3:g}") for t in tasks]
    labels = [t.answer_text for t in tasks]
    with SimServer(port=0) as sim:
        judge = Judge(Roles(judge=Model("openai/judge", api_base=sim.base_url, seed=2)))
        rewards = [WeightedReward(verifiable_reward()), WeightedReward(judge_reward(judge), 0.5)]
        with RewardServer(rewards, port=0) as srv:
            good = _post(srv.url, _batch(right, labels))[1]
            bad = _post(srv.url, _batch(wrong, labels))[1]
    assert set(good["extra_logs"]) == {
        "verifiable_reward/mean",
        "verifiable_reward/unscored",
        "judge_reward_judge/mean",
        "judge_reward_judge/unscored",
        "unscored",
    }
    assert (
        good["extra_logs"]["judge_reward_judge/mean"] > bad["extra_logs"]["judge_reward_judge/mean"]
    )
    assert all(g > b for g, b in zip(good["rewards"], bad["rewards"], strict=True))


def test_server_refuses_a_public_interface_by_default() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        RewardServer([WeightedReward(verifiable_reward())], host="0.0.0.0")
    code, out = _cli("serve-reward", "--host", "0.0.0.0")
    assert code == 2 and "loopback only" in out


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_cli_errors_and_exit_codes() -> None:
    code, out = _cli("serve-reward", "--format-weight", "-1")
    assert code == 2 and "format_weight must be a finite number >= 0" in out
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        code, out = _cli("serve-reward", "--port", str(busy.getsockname()[1]))
    assert code == 1 and "cannot listen on 127.0.0.1:" in out
    code, out = _cli(
        "serve-reward",
        "--reward",
        "judge",
        "--judge",
        "hosted_vllm/x",
        "--api-base",
        "http://127.0.0.1:9/v1",
    )
    assert code == 5 and "preflight failed" in out and "127.0.0.1:9" in out


def test_the_command_serves_until_stopped() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sparring", "serve-reward", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()
        assert "serving 1*verifiable_reward at http://127.0.0.1:" in line, proc.stderr.read()
        url = line.split(" at ")[1].split()[0]
        status, payload = _post(url, _batch([("What is 2 + 2?", "#### 4")], ["4"]))
        assert status == 200 and payload["rewards"] == pytest.approx([1.2])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_keep_alive_and_what_the_http_layer_refuses(verifiable_server: RewardServer) -> None:
    import http.client

    body = json.dumps(_batch([("What is 2 + 2?", "#### 4")], ["4"]))
    conn = http.client.HTTPConnection("127.0.0.1", verifiable_server.port, timeout=10)
    for _ in range(3):  # one connection, several requests (as aiohttp's pool sends them)
        conn.request("POST", "/get_reward", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read())["rewards"] == [1.2]
    conn.request("GET", "/get_reward")
    response = conn.getresponse()
    assert response.status == 405 and "POST the batch" in json.loads(response.read())["error"]
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", verifiable_server.port, timeout=10)
    conn.putrequest("POST", "/get_reward")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b"0\r\n\r\n")
    response = conn.getresponse()
    assert response.status == 411 and "Content-Length" in json.loads(response.read())["error"]
    conn.close()
