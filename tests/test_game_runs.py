"""The deceptive-feedback and prover-verifier games played through the run store: resume, view."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from sparring.cli import cli
from sparring.iterate import play_deceptive_runs, play_prover_verifier_runs
from sparring.models import Roles
from sparring.run import Run
from sparring.sim import SimWorld
from sparring.view import RunQuery

_SETTINGS = {"rounds": 2, "intent": "malicious", "knowledge": "evidence"}


def _items(r: int, n: int) -> list[dict[str, Any]]:
    world = SimWorld(3)
    return [
        {"prompt": t.question, "answer": t.answer_text, "item_id": f"round{r}-game-{i}"}
        for i, t in ((i, world.problem(r * n + i)) for i in range(n))
    ]


def _deceptive(folder: Path, on_item: Any = None) -> dict[str, Any]:
    return asyncio.run(
        play_deceptive_runs(
            folder, Roles.sim(seed=3), _items(0, 8), defences=["none", "judge"],
            settings=_SETTINGS, seed=3, concurrency=2, on_item=on_item,
        )
    )  # fmt: skip


def _pv(folder: Path, on_item: Any = None) -> Any:
    return play_prover_verifier_runs(
        folder, Roles.sim(seed=3), lambda r: _items(r, 8), rounds=3, seed=3, concurrency=2,
        on_item=on_item,
    )  # fmt: skip


def _attempts(run_dir: Path) -> list[int]:
    run = Run.open(run_dir)
    try:
        return [row["attempts"] for row in run.store.items()]
    finally:
        run.close()


def test_a_cancelled_deceptive_game_resumes_without_replaying_finished_games(
    tmp_path: Path,
) -> None:
    whole = _deceptive(tmp_path / "whole")
    folder = tmp_path / "killed"
    seen: list[int] = []

    async def kill_midway() -> None:
        def on_item(defence: str, row: Any, status: str) -> None:
            if defence == "judge":
                seen.append(row["index"])
                if len(seen) >= 3:
                    task.cancel()

        task = asyncio.ensure_future(
            play_deceptive_runs(
                folder, Roles.sim(seed=3), _items(0, 8), defences=["none", "judge"],
                settings=_SETTINGS, seed=3, concurrency=2, on_item=on_item,
            )
        )  # fmt: skip
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(kill_midway())
    replayed: list[tuple[str, int]] = []
    resumed = _deceptive(folder, lambda d, row, status: replayed.append((d, row["index"])))
    assert replayed, "the stopped defence went on"
    assert {d for d, _ in replayed} == {"judge"}  # the finished defence was not played again
    assert len(replayed) <= 8 - 3  # nor the judge games finished before the cancel
    assert not {i for _, i in replayed} & set(seen)
    for defence in ("none", "judge"):
        assert resumed[defence].outcomes == whole[defence].outcomes
    assert _attempts(folder / "none") == [1] * 8
    judge = _attempts(folder / "judge")
    assert all(judge[i] == 1 for i in seen) and max(judge) <= 2  # in flight at the cancel: 2


def test_a_cancelled_prover_verifier_game_resumes_in_its_round_and_keeps_learning(
    tmp_path: Path,
) -> None:
    whole = asyncio.run(_pv(tmp_path / "whole"))
    folder = tmp_path / "killed"

    async def kill_midway() -> None:
        def on_item(name: str, row: Any, status: str) -> None:
            if name == "round-1":
                seen.append(row["index"])
                if len(seen) >= 3:
                    task.cancel()

        seen: list[int] = []
        task = asyncio.ensure_future(_pv(folder, on_item))
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(kill_midway())
    assert not (folder / "round-2").exists()
    replayed: list[str] = []
    rounds = asyncio.run(_pv(folder, lambda name, row, status: replayed.append(name)))
    assert "round-0" not in replayed  # the finished round was not played again
    assert 0 < replayed.count("round-1") <= 8 - 3 and replayed.count("round-2") == 8
    strip = ("records",)
    got = [r.model_dump(exclude=set(strip)) for r in rounds]
    assert got == [r.model_dump(exclude=set(strip)) for r in whole]
    skills = [r.skills for r in rounds]
    assert skills[1] != skills[0] and skills[2] != skills[1]  # each round's learner learned


def test_condition_folders_open_in_the_viewer(tmp_path: Path) -> None:
    _deceptive(tmp_path / "d")
    asyncio.run(_pv(tmp_path / "p"))
    for run_dir, node in (
        (tmp_path / "d" / "judge", "audit"),
        (tmp_path / "p" / "round-1", "verify"),
    ):
        with RunQuery(run_dir) as query:
            assert query.status()[0] == "finished"
            assert query.counts().get("done") == 8
            ref = query.find("#1")
            output = query.output_of(ref.index)
            assert output is not None and "outcome" in output
            assert node in {s.node for s in query.node_stats()}


def test_cli_replays_nothing_when_played_again_and_view_shows_moves(tmp_path: Path) -> None:
    out = tmp_path / "game"
    args = ["play", "deceptive", "--games", "5", "--feedback-rounds", "2", "--defence", "judge"]
    first = CliRunner().invoke(cli, [*args, "--out", str(out), "--json"])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(cli, [*args, "--out", str(out), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert _attempts(out / "judge") == [1] * 5
    shown = CliRunner().invoke(cli, ["view", str(out / "judge"), "--item", "#1"])
    assert shown.exit_code == 0 and "feedback" in shown.output and "audit" in shown.output


def test_cli_other_settings_on_the_same_folder_is_one_clear_line(tmp_path: Path) -> None:
    out = tmp_path / "game"
    args = ["play", "prover-verifier", "--rounds", "1", "--games", "3", "--out", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    (out / "round-0").rename(out / "none")  # a deceptive defence's name, holding a pv run
    bad = CliRunner().invoke(
        cli, ["play", "deceptive", "--games", "3", "--defence", "none", "--out", str(out)]
    )
    assert bad.exit_code == 2 and "other settings" in bad.output
    assert "Traceback" not in bad.output


@pytest.mark.parametrize(
    ("game", "first", "second", "named"),
    [
        (["deceptive", "--feedback-rounds", "1", "--defence", "none"], ["--games", "3"],
         ["--games", "5"], "--games 3 (asked: 5)"),
        (["prover-verifier", "--rounds", "1", "--games", "3"], ["--learning-rate", "1.5"],
         ["--learning-rate", "0.5"], "--learning-rate 1.5 (asked: 0.5)"),
    ],
)  # fmt: skip
def test_a_resume_with_other_game_settings_is_refused_and_changes_nothing(
    tmp_path: Path, game: list[str], first: list[str], second: list[str], named: str
) -> None:
    out = tmp_path / "game"
    played = CliRunner().invoke(cli, ["play", *game, *first, "--out", str(out)])
    assert played.exit_code == 0, played.output
    runs = sorted(p.parent for p in out.glob("*/run.sqlite"))
    before = [_attempts(r) for r in runs]
    again = CliRunner().invoke(cli, ["play", *game, *second, "--out", str(out)])
    assert again.exit_code == 2, again.output
    assert named in again.output and "Traceback" not in again.output
    assert [_attempts(r) for r in runs] == before  # no game added, none replayed


@pytest.mark.parametrize(
    ("module", "args", "last"),
    [
        ("_deceptive", ["deceptive", "--games", "3", "--feedback-rounds", "1"], "games 9/9"),
        ("_pv", ["prover-verifier", "--rounds", "2", "--games", "3"], "round 2/2"),
    ],
)
def test_the_table_updates_live_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, module: str, args: list[str], last: str
) -> None:
    buffer = io.StringIO()
    terminal = Console(file=buffer, force_terminal=True, width=100, color_system=None)
    monkeypatch.setattr(f"sparring.cli._play.{module}.console", terminal)
    result = CliRunner().invoke(cli, ["play", *args])
    assert result.exit_code == 0, result.output
    shown = buffer.getvalue()
    assert last in shown and "\x1b[" in shown  # redrawn in place, up to the last game
