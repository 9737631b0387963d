"""SPC over iterations: the simulated learning rule, learning players, hooks, data, resume."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sparring import Roles
from sparring.errors import ConfigError
from sparring.graphs.spc_game import GameOutcome
from sparring.iterate import (
    HookFailed,
    SpcIteration,
    SpcPlan,
    SpcSelfPlay,
    TrainingRequest,
    shell_hook,
    tally_of,
)
from sparring.run import Run
from sparring.sim import CriticSkill, SimWorld, SneakySkill
from sparring.sim._learning import SpcTally, learn_skills, policy_step


def _play(folder: Path, plan: SpcPlan, **kw: Any) -> list[SpcIteration]:
    game = SpcSelfPlay.create(folder, Roles.sim(seed=plan.seed), plan, **kw)
    return asyncio.run(game.play())


# --- the learning rule -------------------------------------------------------------------


def test_a_rewarded_action_becomes_likelier_and_a_punished_one_rarer() -> None:
    assert policy_step(0.5, [(1, 1)] * 10, 1.0) > 0.5
    assert policy_step(0.5, [(0, -1)] * 10, 1.0) > 0.5  # missing it was punished: flag more
    assert policy_step(0.5, [(1, -1)] * 10, 1.0) < 0.5
    assert policy_step(0.3, [(1, 1)] * 10, 0.0) == 0.3  # rate 0 freezes
    assert policy_step(0.3, [], 1.0) == 0.3  # no evidence, no change
    assert policy_step(0.98, [(1, 1)] * 10, 50.0) == 0.99  # bounded


def test_a_bigger_rate_moves_further() -> None:
    games = [(1, 1)] * 3 + [(0, -1)] * 7
    small, big = policy_step(0.4, games, 0.5), policy_step(0.4, games, 2.0)
    assert 0.4 < small < big


def test_the_critic_learns_to_detect_and_the_sneaky_to_hide() -> None:
    tally = SpcTally(
        visible_caught=17, visible_missed=3, subtle_caught=5, subtle_missed=5,
        control_flagged=2, control_passed=18,
    )  # fmt: skip
    critic, sneaky = learn_skills(CriticSkill(), SneakySkill(), tally)
    assert critic.recall > CriticSkill().recall
    assert critic.subtle_recall > CriticSkill().subtle_recall
    assert critic.false_positive_rate < CriticSkill().false_positive_rate
    assert sneaky.subtlety > SneakySkill().subtlety  # subtle errors fooled the critic more
    reversed_tally = SpcTally(visible_caught=2, visible_missed=8, subtle_caught=9, subtle_missed=1)
    _, sneaky = learn_skills(CriticSkill(), SneakySkill(), reversed_tally)
    assert sneaky.subtlety < SneakySkill().subtlety
    _, frozen = learn_skills(CriticSkill(), SneakySkill(), tally, sneaky_rate=0.0)
    assert frozen == SneakySkill()


def _outcome(error_type: str, tampered: list[Any], control: list[Any]) -> GameOutcome:
    return {
        "item_id": "x", "status": "played", "step_index": 0, "n_steps": 2,
        "error_type": error_type, "tamper_problem": None, "original_success": 1.0,
        "tampered_success": 0.0, "validation": "accepted", "control": bool(control),
        "tampered_calls": tampered, "control_calls": control, "critic_reward": 0,
        "sneaky_reward": 0,
    }  # fmt: skip


def test_the_tally_splits_visible_and_subtle_errors_and_skips_unscored() -> None:
    tally = tally_of(
        [
            _outcome("calculation", ["incorrect", "correct"], ["correct"]),
            _outcome("misread", ["correct", "unscored"], ["incorrect", "unscored"]),
            _outcome("wrong_operation", ["incorrect"], []),
        ]
    )
    assert tally == SpcTally(1, 1, 1, 1, 1, 1)


# --- learning players on the simulator ----------------------------------------------------


def test_critic_accuracy_rises_over_iterations_on_the_simulator(tmp_path: Path) -> None:
    plan = SpcPlan(iterations=3, rounds=80, seed=11, learning_rate=1.5)
    entries = _play(tmp_path / "learn", plan)
    accuracy = [e.critic_accuracy or 0.0 for e in entries]
    assert accuracy[2] > accuracy[0] + 0.08, accuracy  # a margin well above the noise
    assert [e.status for e in entries] == ["trained", "trained", "played"]
    recall = [e.skills["critic"]["subtle_recall"] for e in entries if e.skills]
    assert recall[0] < recall[1] < recall[2]
    # Frozen players (rate 0) play the same skills every iteration: no such rise.
    frozen = _play(tmp_path / "frozen", plan.model_copy(update={"learning_rate": 0.0}))
    assert frozen[2].skills == frozen[0].skills
    assert (frozen[2].critic_accuracy or 0.0) < accuracy[2]


def test_each_iteration_keeps_its_run_and_records_with_rewards(tmp_path: Path) -> None:
    entries = _play(tmp_path / "g", SpcPlan(iterations=2, rounds=8, seed=2))
    for entry in entries:
        records = Path(entry.records or "")
        rows = [json.loads(x) for x in (records / "critic.jsonl").read_text().splitlines()]
        assert rows and {r["reward"] for r in rows} <= {1.0, -1.0}
        assert all(r["meta"]["role"] == "critic" for r in rows)
        for role in ("critic", "sneaky"):  # one dataset config per role
            assert (records / "rl" / "data" / role / "train.jsonl").is_file()
        assert (tmp_path / "g" / entry.run_dir / "run.sqlite").is_file()
    items = [o["item_id"] for e in entries for o in SpcSelfPlay.open(tmp_path / "g").outcomes(e)]
    assert items == [f"round-{i}" for i in range(16)]  # fresh world problems each iteration


# --- training hooks -----------------------------------------------------------------------


def test_a_python_hook_gets_the_records_and_picks_the_next_models(tmp_path: Path) -> None:
    seen: list[TrainingRequest] = []

    def hook(request: TrainingRequest) -> dict[str, str]:
        seen.append(request)
        return {"critic": "sim/critic-v2"}

    entries = _play(tmp_path / "g", SpcPlan(iterations=2, rounds=6, seed=1), hook=hook)
    assert len(seen) == 1 and seen[0].iteration == 0
    assert (seen[0].records / "critic.jsonl").is_file()
    assert seen[0].models["critic"] == "sim/critic"
    assert entries[1].models["critic"]["name"] == "sim/critic-v2"
    assert entries[1].models["critic"]["seed"] == 1  # other settings kept
    assert entries[0].learning == "hook"


def test_a_failing_hook_stops_keeps_the_iteration_and_resumes(tmp_path: Path) -> None:
    folder = tmp_path / "g"
    failing = shell_hook("echo loading; echo 'out of memory' >&2; exit 3")
    plan = SpcPlan(iterations=2, rounds=5, seed=4)
    game = SpcSelfPlay.create(folder, Roles.sim(seed=4), plan, hook=failing)
    with pytest.raises(HookFailed) as caught:
        asyncio.run(game.play())
    assert caught.value.exit_code == 3 and "out of memory" in caught.value.output
    assert "exit code 3" in str(caught.value)
    kept = SpcSelfPlay.open(folder)
    assert [e.status for e in kept.entries] == ["played"]
    script = tmp_path / "train.py"
    script.write_text(
        "import json, os\n"
        "json.dump({'sneaky': 'sim/sneaky-v2'}, open(os.environ['SPARRING_MODELS_OUT'], 'w'))\n"
    )
    good = shell_hook(f"{sys.executable} {script}")
    entries = asyncio.run(SpcSelfPlay.open(folder, hook=good).play())
    assert [e.status for e in entries] == ["trained", "played"]
    assert entries[1].models["sneaky"]["name"] == "sim/sneaky-v2"


def test_a_hook_may_answer_on_its_last_output_line(tmp_path: Path) -> None:
    hook = shell_hook("""echo 'epoch 1 done'; echo '{"critic": "sim/critic-v3"}'""")
    entries = _play(tmp_path / "g", SpcPlan(iterations=2, rounds=4), hook=hook)
    assert entries[1].models["critic"]["name"] == "sim/critic-v3"


def test_a_hook_naming_an_unknown_role_fails(tmp_path: Path) -> None:
    with pytest.raises(HookFailed, match="unknown role"):
        _play(tmp_path / "g", SpcPlan(iterations=2, rounds=3), hook=lambda r: {"judge": "x/y"})


# --- data and resume ----------------------------------------------------------------------


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_data_file_without_answers_is_refused_naming_the_field(tmp_path: Path) -> None:
    world = SimWorld(0)
    rows = [{"prompt": world.problem(i).question} for i in range(3)]
    data = _write(tmp_path / "q.jsonl", rows)
    plan = SpcPlan(data=str(data), fields={"answer": "gold"})
    with pytest.raises(ConfigError, match=r"line 1: field 'gold' missing.*gold answer"):
        SpcSelfPlay.create(tmp_path / "g", Roles.sim(), plan)
    assert not (tmp_path / "g").exists()  # nothing written


def test_games_over_a_data_file(tmp_path: Path) -> None:
    world = SimWorld(3)
    rows = [
        {"id": f"q{i}", "q": world.problem(i).question, "a": world.problem(i).answer_text}
        for i in range(6)
    ]
    data = _write(tmp_path / "q.jsonl", rows)
    plan = SpcPlan(data=str(data), rounds=None, fields={"prompt": "q", "answer": "a"})
    (entry,) = _play(tmp_path / "g", plan)
    assert entry.scoreboard is not None and entry.scoreboard["items"] == 6
    assert entry.scoreboard["played"] >= 3


def test_a_killed_game_resumes_inside_its_iteration(tmp_path: Path) -> None:
    plan = SpcPlan(iterations=2, rounds=12, seed=6, concurrency=2)
    whole = _play(tmp_path / "whole", plan)

    folder = tmp_path / "killed"
    seen: list[tuple[int, int]] = []

    async def kill_midway() -> None:
        def on_game(k: int, board: Any, done: int, total: int, failed: int) -> None:
            seen.append((k, done))
            if k == 1 and done >= 5:
                task.cancel()

        game = SpcSelfPlay.create(folder, Roles.sim(seed=6), plan, on_game=on_game)
        task = asyncio.ensure_future(game.play())
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(kill_midway())
    game = SpcSelfPlay.open(folder)
    assert [e.status for e in game.entries] == ["trained", "playing"]
    resumed_from: list[int] = []
    game.on_game = lambda k, b, done, total, failed: resumed_from.append(done)
    entries = asyncio.run(game.play())
    assert resumed_from[0] >= 5  # the iteration went on from the games already done
    assert [e.scoreboard for e in entries] == [e.scoreboard for e in whole]
    assert [o["item_id"] for o in game.outcomes(entries[1])] == [
        f"round-{i}" for i in range(12, 24)
    ]


def _done_in(run_dir: Path) -> int:
    if not (run_dir / "run.sqlite").exists():
        return 0
    try:  # the child may be writing (or creating) the store right now
        probe = Run.open(run_dir)
    except Exception:
        return 0
    try:
        return probe.store.counts().get("done", 0)
    except Exception:
        return 0
    finally:
        probe.close()


@pytest.mark.slow
def test_a_sigkilled_cli_game_resumes_inside_its_iteration(tmp_path: Path) -> None:
    def cmd(out: Path) -> list[str]:
        return [
            sys.executable, "-m", "sparring", "play", "spc", "--iterations", "2",
            "--rounds", "40", "--concurrency", "1", "--seed", "8", "--out", str(out), "--json",
        ]  # fmt: skip

    whole = subprocess.run(cmd(tmp_path / "whole"), capture_output=True, text=True, check=True)
    child = subprocess.Popen(cmd(tmp_path / "killed"), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while _done_in(tmp_path / "killed" / "iter-1") < 5:
        assert child.poll() is None, "the game ended before it was killed"
        assert time.monotonic() < deadline, "no progress in iteration 1"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    killed_at = _done_in(tmp_path / "killed" / "iter-1")
    assert 5 <= killed_at < 40
    again = subprocess.run(cmd(tmp_path / "killed"), capture_output=True, text=True, check=True)
    resumed, expected = json.loads(again.stdout), json.loads(whole.stdout)
    strip = ("records", "game_dir")
    for got, want in zip(resumed["iterations"], expected["iterations"], strict=True):
        assert {k: v for k, v in got.items() if k not in strip} == {
            k: v for k, v in want.items() if k not in strip
        }
    assert len(resumed["games"]) == 80  # nothing lost or played twice
