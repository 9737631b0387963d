"""Try-again episodes: accuracy by turn, flip rates that add up, multi-turn RL records, the run
summary's by-round health, and the run workflow (CLI run, view, export)."""

from __future__ import annotations

import asyncio
import json
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sparring import Roles
from sparring.cli import cli
from sparring.errors import ConfigError, MissingGoldError
from sparring.graphs import create_try_again_graph
from sparring.records import RecordRefused, make_rl_episode
from sparring.run._summary import _by_round, item_health
from sparring.sim import SimWorld

TURNS = 4


def _items(n: int) -> list[dict[str, Any]]:
    world = SimWorld(0)
    return [
        {"prompt": world.problem(i).question, "answer": world.problem(i).answer_text,
         "item_id": f"t{i}"}
        for i in range(n)
    ]  # fmt: skip


@cache
def _episodes(feedback: str) -> tuple[dict[str, Any], ...]:
    graph = create_try_again_graph(Roles.sim(seed=0), turns=TURNS, feedback=feedback)  # type: ignore[arg-type]

    async def main() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(graph.ainvoke(i) for i in _items(80))))

    return tuple(asyncio.run(main()))


def _by_turn(out: tuple[dict[str, Any], ...]) -> list[Any]:
    counters: dict[str, int] = {}
    for o in out:
        for key, value in item_health(o, o["answer"], []).items():
            counters[key] = counters.get(key, 0) + value
    return _by_round(counters)


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="turns"):
        create_try_again_graph(Roles.sim(), turns=0)
    with pytest.raises(ConfigError, match="feedback"):
        create_try_again_graph(Roles.sim(), feedback="shout")  # type: ignore[arg-type]


def test_unary_feedback_raises_accuracy_turn_by_turn() -> None:
    rows = _by_turn(_episodes("unary"))
    accuracy = [r.accuracy for r in rows]
    assert len(rows) == TURNS and all(r.trajectories == 80 for r in rows)
    assert all(a <= b for a, b in pairwise(accuracy)), accuracy
    assert accuracy[-1] > accuracy[0] + 0.08, accuracy
    assert all(r.right_wrong == 0 for r in rows)  # a right answer ends the episode


@pytest.mark.parametrize("feedback", ["unary", "blind"])
def test_the_flip_rates_add_up(feedback: str) -> None:
    rows = _by_turn(_episodes(feedback))
    for before, now in pairwise(rows):
        assert now.from_right == before.correct
        assert now.correct == before.correct - now.right_wrong + now.wrong_right
        wrong_before = now.trajectories - now.from_right
        assert now.right_wrong_rate == pytest.approx(now.right_wrong / max(now.from_right, 1))
        assert now.wrong_right_rate == pytest.approx(now.wrong_right / max(wrong_before, 1))


def test_feedback_without_information_costs_right_answers() -> None:
    blind = _by_turn(_episodes("blind"))
    assert sum(r.right_wrong for r in blind) > 0
    assert all(len(o["attempts"]) == TURNS for o in _episodes("blind"))  # never stops early


def test_an_episode_is_one_multi_turn_rl_record() -> None:
    for o in _episodes("unary"):
        (record,) = o["rl"]
        roles = [m["role"] for m in record["messages"]]
        assert roles[:2] == ["system", "user"] and roles[-1] == "assistant"
        assert roles.count("assistant") == len(o["attempts"]) == len(record["turn_rewards"])
        assert record["turn_rewards"] == [1.0 if a["correct"] else -1.0 for a in o["attempts"]]
        if o["solved_at"] is not None and o["solved_at"] > 1:
            (sft,) = o["sft"]
            assert sft["messages"][-1]["content"] == o["attempts"][o["solved_at"] - 1]["text"]
            (pair,) = o["pairs"]
            assert pair["rejected"] == o["attempts"][0]["text"]
        else:
            assert not o["sft"] and not o["pairs"]
    assert any(o["sft"] for o in _episodes("unary"))


def test_episode_records_are_checked() -> None:
    with pytest.raises(RecordRefused, match="one reward per"):
        make_rl_episode(
            [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], [1, -1]
        )
    with pytest.raises(RecordRefused, match="ends with the assistant"):
        make_rl_episode([{"role": "user", "content": "q"}], [])


def test_an_item_without_gold_is_refused_by_name() -> None:
    graph = create_try_again_graph(Roles.sim())
    with pytest.raises(MissingGoldError, match="item q7 has no gold"):
        asyncio.run(graph.ainvoke({"prompt": "What is 2 + 2?", "item_id": "q7"}))


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_cli_run_view_and_export(tmp_path: Path) -> None:
    run = tmp_path / "r"
    code, out = _cli("run", "try-again", "--sim-tasks", "12", "--out", str(run), "-o", "turns=3")
    assert code == 0, out
    code, out = _cli("view", str(run))
    assert code == 0 and "By round" in out and "wrong->right" in out
    summary = json.loads(_cli("view", str(run), "--json")[1])
    assert [r["round"] for r in summary["by_round"]] == [0, 1, 2]
    code, out = _cli("view", str(run), "--item", "#1")
    assert code == 0 and "attempt" in out
    code, out = _cli("export", str(run), "--format", "rl")
    assert code == 0, out
    rows = [json.loads(r) for r in (run / "export/rl/data/train.jsonl").read_text().splitlines()]
    assert len(rows) == 12
    assert all(len(r["turn_rewards"]) == sum(m["role"] == "assistant" for m in r["messages"])
               for r in rows)  # fmt: skip
    for r in rows:  # the episode's system prompt is in the row's column too
        assert r["messages"][0]["role"] == "system" and r["system"] == r["messages"][0]["content"]
