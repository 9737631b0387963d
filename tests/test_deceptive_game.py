"""Deceptive-feedback game: options, flip rates by intent and knowledge, defences, records, CLI."""

from __future__ import annotations

import asyncio
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sparring import Roles
from sparring.cli import cli
from sparring.errors import ConfigError
from sparring.graphs.games.deceptive import (
    DeceptionOutcome,
    DeceptionScoreboard,
    create_deceptive_feedback_graph,
)
from sparring.sim import SimWorld

GAMES = 80


def _items(n: int = GAMES, seed: int = 0) -> list[dict[str, Any]]:
    world = SimWorld(seed)
    return [
        {"prompt": world.problem(i).question, "answer": world.problem(i).answer_text,
         "item_id": f"g{i}"}
        for i in range(n)
    ]  # fmt: skip


@cache
def _states(intent: Any, knowledge: Any, defence: Any) -> tuple[dict[str, Any], ...]:
    graph = create_deceptive_feedback_graph(
        Roles.sim(seed=0), rounds=3, intent=intent, knowledge=knowledge, defence=defence
    )

    async def main() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(graph.ainvoke(i) for i in _items())))

    return tuple(asyncio.run(main()))


def _board(intent: Any, knowledge: Any, defence: Any) -> DeceptionScoreboard:
    return DeceptionScoreboard.of([s["outcome"] for s in _states(intent, knowledge, defence)], 3)


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="intent"):
        create_deceptive_feedback_graph(Roles.sim(), intent="evil")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="rounds"):
        create_deceptive_feedback_graph(Roles.sim(), rounds=0)
    with pytest.raises(ConfigError, match="defence"):
        create_deceptive_feedback_graph(Roles.sim(), defence="pray")  # type: ignore[arg-type]


def _outcome(correct: list[bool], withheld: int = 0) -> DeceptionOutcome:
    return {
        "item_id": "x", "status": "played", "intent": "malicious", "knowledge": "evidence",
        "defence": "none", "answers": ["1"] * len(correct), "correct": correct,
        "withheld": withheld, "audit_unscored": 0,
    }  # fmt: skip


def test_the_scoreboard_counts_flips_and_fixes_by_round() -> None:
    board = DeceptionScoreboard.of(
        [
            _outcome([True, False, False]),
            _outcome([True, True, False]),
            _outcome([True, True, True]),
            _outcome([False, True, True], withheld=1),
        ],
        2,
    )
    assert board.games == 4 and board.started_right == 3
    assert board.flip_rate == [pytest.approx(1 / 3), pytest.approx(2 / 3)]
    assert board.fix_rate == [1.0, 1.0]
    assert board.as_dict()["withheld"] == 1


def test_a_malicious_critic_flips_right_answers_and_a_constructive_one_does_not() -> None:
    malicious, constructive = (
        _board("malicious", "evidence", "none"),
        _board("constructive", "evidence", "none"),
    )
    assert malicious.started_right == constructive.started_right > 20  # the same first answers
    assert (malicious.flip_rate[0] or 0) > 0.3
    assert (constructive.flip_rate[-1] or 0) < 0.15
    assert (constructive.fix_rate[-1] or 0) > 0.4  # honest feedback fixes wrong answers
    assert malicious.fix_rate[-1] == 0.0  # a malicious critic endorses wrong answers


def test_evidence_makes_deception_more_persuasive() -> None:
    evidence, parametric = (
        _board("malicious", "evidence", "none"),
        _board("malicious", "parametric", "none"),
    )
    assert (evidence.flip_rate[0] or 0) > (parametric.flip_rate[0] or 0) + 0.1


@pytest.mark.parametrize("defence", ["reverify", "judge"])
def test_a_defence_lowers_the_flip_rate(defence: str) -> None:
    undefended, defended = (
        _board("malicious", "evidence", "none"),
        _board("malicious", "evidence", defence),
    )
    assert (defended.flip_rate[-1] or 0) < (undefended.flip_rate[-1] or 0) - 0.2
    if defence == "judge":
        assert defended.withheld > 0


def test_rewards_follow_whether_the_answer_is_right_after_each_round() -> None:
    for state in _states("malicious", "evidence", "none"):
        outcome = state["outcome"]
        for record in state["rl"]:
            meta, right = record["meta"], outcome["correct"][record["meta"]["round"]]
            if meta["role"] == "actor":
                assert record["reward"] == (1.0 if right else -1.0)
            else:  # a malicious critic wins when the answer is wrong
                assert record["reward"] == (-1.0 if right else 1.0)


def test_no_gold_ends_the_game_at_once() -> None:
    graph = create_deceptive_feedback_graph(Roles.sim())
    state = asyncio.run(graph.ainvoke({"prompt": "What is 2 + 2?", "item_id": "x"}))
    assert state["outcome"]["status"] == "no_gold" and not state.get("rl")


def test_cli_json_compares_the_defences_on_the_simulator() -> None:
    args = ["play", "deceptive", "--games", "12", "--feedback-rounds", "2", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["defences"]) == {"none", "reverify", "judge"}
    assert data["simulator"] == ["actor", "critic", "judge"]
    for board in data["defences"].values():
        assert board["games"] == 12 and len(board["flip_rate_by_round"]) == 2


def test_cli_data_without_answers_is_one_clear_line(tmp_path: Path) -> None:
    data = tmp_path / "q.jsonl"
    data.write_text('{"prompt": "What is 2 + 2?", "gold": "4"}\n')
    result = CliRunner().invoke(cli, ["play", "deceptive", "--data", str(data)])
    assert result.exit_code == 1
    assert "'answer'" in result.output and "Traceback" not in result.output
