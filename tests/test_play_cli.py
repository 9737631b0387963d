"""``sparring play spc``: the scoreboard on the simulator, JSON output, options, live view."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from rich.console import Console

from sparring.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.output


def test_play_is_listed_with_its_game() -> None:
    code, _, out = run("--help")
    assert code == 0 and "play" in out and "eval-critic" in out
    code, _, out = run("play", "--help")
    assert code == 0 and "spc" in out


def test_fifty_rounds_show_the_final_scoreboard_on_the_simulator() -> None:
    code, stdout, out = run("play", "spc", "--rounds", "50", "--seed", "3")
    assert code == 0
    assert "SIMULATOR" in out  # the banner (stderr)
    assert "round 50/50" in stdout and "round 1/50" not in stdout  # not a TTY: final table only
    for measure in (
        "critic accuracy on tampered steps",
        "critic accuracy on control steps",
        "sneaky success rate",
        "validation rejection rate",
    ):
        assert measure in stdout


def test_json_has_the_scoreboard_and_every_game() -> None:
    code, stdout, _ = run("play", "spc", "--rounds", "12", "--seed", "1", "--json")
    assert code == 0
    data = json.loads(stdout)
    board, games = data["scoreboard"], data["games"]
    assert board["items"] == len(games) == 12 and data["errors"] == 0
    assert [g["item_id"] for g in games] == [f"round-{i}" for i in range(12)]
    assert board["critic_reward"] == sum(g["critic_reward"] for g in games)
    assert board["sneaky_reward"] == sum(g["sneaky_reward"] for g in games)
    assert 0.0 <= board["critic_control_accuracy"] <= 1.0
    again = json.loads(run("play", "spc", "--rounds", "12", "--seed", "1", "--json")[1])
    assert again["games"] == games  # seeded: the same games


def test_bad_thresholds_are_a_usage_error() -> None:
    code, _, out = run("play", "spc", "--rounds", "1", "--accept-tampered-max", "0.9")
    assert code == 2 and "accept_tampered_max" in out


def test_the_scoreboard_updates_live_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    terminal = Console(file=buffer, force_terminal=True, width=100, color_system=None)
    monkeypatch.setattr("sparring.cli._play.console", terminal)
    code, _, _ = run("play", "spc", "--rounds", "6", "--concurrency", "1")
    assert code == 0
    shown = buffer.getvalue()
    assert "round 1/6" in shown and "round 6/6" in shown  # every game redraws it ...
    assert "\x1b[" in shown  # ... in place
