"""Prover-verifier game: one game's rules, the scoreboard, alternating learning, the CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sparring import Roles
from sparring.cli import cli
from sparring.graphs.games.prover_verifier import (
    PvOutcome,
    PvScoreboard,
    create_prover_verifier_graph,
)
from sparring.iterate import TrainingRequest, play_prover_verifier
from sparring.sim import SimWorld


def _items(r: int, n: int = 50, seed: int = 0) -> list[dict[str, Any]]:
    world = SimWorld(seed)
    tasks = [(i, world.problem(i)) for i in range(r * n, (r + 1) * n)]
    return [{"prompt": t.question, "answer": t.answer_text, "item_id": f"p{i}"} for i, t in tasks]


def test_one_game_pays_by_the_rules_and_hides_the_plan() -> None:
    graph = create_prover_verifier_graph(Roles.sim(seed=2))

    async def main() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(graph.ainvoke(i) for i in _items(0, 30))))

    states = asyncio.run(main())
    wrong_sneaky = 0
    for state in states:
        o = state["outcome"]
        assert "Plan:" not in state["sneaky"]  # the verifier never sees the sneaky plan
        wrong_sneaky += not o["sneaky_correct"]
        for record in state["rl"]:
            meta, reward = record["meta"], record["reward"]
            if meta["role"] == "sneaky":
                fooled = o["sneaky_call"] == "accepted" and not o["sneaky_correct"]
                assert reward == (1.0 if fooled else -1.0)
            if meta["role"] == "critic" and meta["solution"] == "sneaky":
                assert reward == (1.0 if o["sneaky_call"] == "rejected" else -1.0)
            if meta["role"] == "actor":
                good = o["helpful_correct"] and o["helpful_call"] == "accepted"
                assert reward == (1.0 if good else -1.0)
    assert wrong_sneaky > 20  # the sneaky prover's solutions are mostly really wrong


def _outcome(sneaky_correct: bool, sneaky_call: Any, helpful_call: Any = "accepted") -> PvOutcome:
    return {
        "item_id": "x", "status": "played", "helpful_correct": True,
        "sneaky_correct": sneaky_correct, "sneaky_error": "misread",
        "helpful_call": helpful_call, "sneaky_call": sneaky_call,
    }  # fmt: skip


def test_the_scoreboard_counts_only_really_wrong_sneaky_solutions() -> None:
    board = PvScoreboard.of(
        [
            _outcome(False, "rejected"),
            _outcome(False, "accepted"),
            _outcome(True, "accepted"),  # a failed deception: not a sneaky game
            _outcome(False, "unscored", "rejected"),
        ]
    )
    assert board.sneaky_wrong == 2 and board.sneaky_failed == 1 and board.unscored == 1
    assert board.verifier_sneaky_accuracy == 0.5 and board.sneaky_success == 0.5
    assert board.verifier_helpful_accuracy == pytest.approx(3 / 4)


def _later_accuracy(rounds: list[Any]) -> float:
    later = [r.verifier_sneaky_accuracy or 0.0 for r in rounds[1:]]
    return sum(later) / len(later)


def test_rounds_alternate_the_learner_and_the_verifier_improves() -> None:
    def items(r: int) -> list[dict[str, Any]]:
        return _items(r, 80)

    rounds = asyncio.run(play_prover_verifier(Roles.sim(seed=0), items, rounds=4))
    assert [r.learner for r in rounds] == ["verifier", "sneaky", "verifier", "sneaky"]
    skills = [r.skills or {} for r in rounds]
    # Only the round's learner moves: the verifier after rounds 0 and 2, the sneaky after 1.
    assert skills[1]["critic"]["subtle_recall"] > skills[0]["critic"]["subtle_recall"]
    assert skills[1]["sneaky"] == skills[0]["sneaky"]
    assert skills[2]["critic"] == skills[1]["critic"]
    assert (rounds[1].verifier_sneaky_accuracy or 0) > (rounds[0].verifier_sneaky_accuracy or 1)
    # Against a verifier that never learns, on the same problems, it does better later on.
    frozen = asyncio.run(
        play_prover_verifier(Roles.sim(seed=0), items, rounds=4, learning_rate=0.0)
    )
    assert _later_accuracy(rounds) > _later_accuracy(frozen) + 0.04


def test_cli_json_has_every_round() -> None:
    args = ["play", "prover-verifier", "--rounds", "2", "--games", "8", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["round"] for r in data["rounds"]] == [0, 1]
    assert data["simulator"] == ["actor", "sneaky", "critic"]
    for r in data["rounds"]:
        assert set(r) >= {"verifier_sneaky_accuracy", "sneaky_success", "scoreboard"}


def test_a_training_hook_gets_each_rounds_records_and_rebinds(tmp_path: Path) -> None:
    seen: list[TrainingRequest] = []

    def hook(request: TrainingRequest) -> dict[str, str]:
        seen.append(request)
        return {"critic": f"sim/critic-r{request.iteration + 1}"}

    rounds = asyncio.run(
        play_prover_verifier(
            Roles.sim(seed=1), lambda r: _items(r, 6), rounds=3, hook=hook, records_dir=tmp_path
        )
    )
    assert [r.iteration for r in seen] == [0, 1]  # between rounds, not after the last
    rows = (seen[0].records / "critic.jsonl").read_text().splitlines()
    assert rows and {json.loads(x)["reward"] for x in rows} <= {1.0, -1.0}
    assert seen[1].models["critic"] == "sim/critic-r1"
    assert all(r.records for r in rounds)


def test_cli_a_failing_hook_exits_with_its_code(tmp_path: Path) -> None:
    args = ["play", "prover-verifier", "--rounds", "2", "--games", "3", "--out", str(tmp_path)]
    result = CliRunner().invoke(cli, [*args, "--train-hook", "echo no GPU >&2; exit 4"])
    assert result.exit_code == 4 and "no GPU" in result.output
    assert "Traceback" not in result.output
