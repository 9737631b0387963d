"""Multi-agent debate: options, the paper's accuracy gain, flip counting, debaters on distinct
models, the judge decision, and the run workflow (CLI run, view, export)."""

from __future__ import annotations

import asyncio
import json
from functools import cache
from itertools import pairwise
from pathlib import Path
from statistics import fmean
from typing import Any

import pytest
from click.testing import CliRunner

from sparring import Roles
from sparring.cli import cli
from sparring.errors import ConfigError
from sparring.graphs import create_debate_graph
from sparring.graphs.games.debate import DebateTurn, debater_roles
from sparring.models import Model
from sparring.sim import SimWorld

ITEMS = 40


def _items(n: int = ITEMS) -> list[dict[str, Any]]:
    world = SimWorld(0)
    return [
        {"prompt": world.problem(i).question, "answer": world.problem(i).answer_text,
         "item_id": f"d{i}"}
        for i in range(n)
    ]  # fmt: skip


def _run(roles: Roles, n: int = ITEMS, **options: Any) -> list[dict[str, Any]]:
    graph = create_debate_graph(roles, **options)

    async def main() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(graph.ainvoke(i) for i in _items(n))))

    return asyncio.run(main())


@cache
def _debates() -> tuple[dict[str, Any], ...]:
    roles = Roles.sim(seed=0, profile={"actor": {"accuracy": 0.6}})
    return tuple(_run(roles, debaters=3, rounds=2))


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="debaters"):
        create_debate_graph(Roles.sim(), debaters=1)
    with pytest.raises(ConfigError, match="rounds"):
        create_debate_graph(Roles.sim(), rounds=-1)
    with pytest.raises(ConfigError, match="decide"):
        create_debate_graph(Roles.sim(), decide="coin")  # type: ignore[arg-type]


def test_debate_beats_the_vote_of_the_independent_answers() -> None:
    out = _debates()
    vote_first = fmean(bool(o["rounds"][0]["majority_correct"]) for o in out)
    after = fmean(bool(o["correct"]) for o in out)
    assert after > vote_first + 0.08, (vote_first, after)
    agreement = [fmean(o["rounds"][r]["agreement"] for o in out) for r in range(3)]
    assert agreement[0] < agreement[1] <= agreement[2]  # the debaters converge


def _right(turns: list[DebateTurn]) -> list[bool]:
    return [bool(t["correct"]) for t in turns]


def test_flips_are_counted_debater_by_debater() -> None:
    totals = {"right_wrong": 0, "wrong_right": 0}
    for o in _debates():
        assert o["rounds"][0]["flips"] is None
        for before, now in pairwise(o["rounds"]):
            was, is_ = _right(before["turns"]), _right(now["turns"])
            want = {
                "right_wrong": sum(a and not b for a, b in zip(was, is_, strict=True)),
                "wrong_right": sum(b and not a for a, b in zip(was, is_, strict=True)),
            }
            assert now["flips"] == want
            for key in totals:
                totals[key] += want[key]
        per_debater = [[bool(r["turns"][i]["correct"]) for r in o["rounds"]] for i in range(3)]
        assert o["rounds_correct"] == per_debater
    # Conformity costs some right answers; checking the others' work fixes many more.
    assert 0 < totals["right_wrong"] < totals["wrong_right"]


def test_debaters_can_be_bound_to_different_models() -> None:
    strong = Model(name="sim/actor", seed=0, extra={"sim_profile": {"actor": {"accuracy": 0.95}}})
    roles = Roles.sim(seed=0, profile={"actor": {"accuracy": 0.4}}).bind(debater_2=strong)
    assert debater_roles(roles, 3) == ["actor", "debater_2", "actor"]
    out = _run(roles, n=30, rounds=1)
    first = [[bool(t["correct"]) for t in o["rounds"][0]["turns"]] for o in out]
    assert fmean(f[1] for f in first) > fmean(f[0] for f in first) + 0.3
    assert {r["meta"]["role"] for o in out for r in o["rl"]} == {"actor", "debater_2"}


def test_a_judge_can_decide_and_its_verdicts_are_counted() -> None:
    out = _run(Roles.sim(seed=0), n=12, decide="judge", rounds=1)
    assert all(len(o["judgments"]) == 3 for o in out)
    assert sum(o["judged"]["judge"] for o in out) == 36
    assert any(o["decided_by"] == "judge" for o in out)
    for o in out:
        if o["decided_by"] == "judge":
            scores = o["judgments"]
            best = max(s for s in scores if s is not None)
            winners = {t["answer"] for t, s in zip(o["rounds"][-1]["turns"], scores, strict=True)
                       if s == best}  # fmt: skip
            assert o["decided_answer"] in winners


def test_rl_records_reward_each_reply_by_the_gold() -> None:
    out = _debates()[0]
    replies = [t for r in out["rounds"] for t in r["turns"]]
    assert len(out["rl"]) == len(replies) == 9
    for record, turn in zip(out["rl"], replies, strict=True):
        assert record["reward"] == (1.0 if turn["correct"] else -1.0)
        assert record["answer"] == turn["text"]


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_cli_run_stop_resume_view_and_export(tmp_path: Path) -> None:
    run = tmp_path / "r"
    args = ("--sim-tasks", "4", "--out", str(run), "-o", "rounds=2", "--concurrency", "1")
    code, out = _cli("run", "debate", *args, "--max-calls", "14")
    assert code == 4, out  # stopped mid-debate on the call budget
    code, out = _cli("resume", str(run), "--max-calls", "1000")
    assert code == 0 and "finished" in out, out
    summary = json.loads(_cli("view", str(run), "--json")[1])
    assert [r["round"] for r in summary["by_round"]] == [0, 1, 2]
    assert all(r["trajectories"] == 12 for r in summary["by_round"])  # 4 items x 3 debaters
    code, out = _cli("view", str(run), "--item", "#1")
    assert code == 0 and "debate" in out and "decide" in out
    code, out = _cli("export", str(run), "--format", "rl")
    assert code == 0, out
    rows = (run / "export/rl/data/train.jsonl").read_text().splitlines()
    assert len(rows) == 36 and {json.loads(r)["reward"] for r in rows} <= {1.0, -1.0}
