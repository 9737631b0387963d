"""``sparring play spc``: the scoreboard on the simulator, JSON output, options, live view."""

from __future__ import annotations

import io
import json
from pathlib import Path

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
    monkeypatch.setattr("sparring.cli._play._spc.console", terminal)
    code, _, _ = run("play", "spc", "--rounds", "6", "--concurrency", "1")
    assert code == 0
    shown = buffer.getvalue()
    assert "round 1/6" in shown and "round 6/6" in shown  # every game redraws it ...
    assert "\x1b[" in shown  # ... in place


def test_iterations_json_has_accuracy_and_sneaky_success_per_iteration(tmp_path: Path) -> None:
    out = tmp_path / "game"
    args = ("play", "spc", "--iterations", "2", "--rounds", "6", "--out", str(out), "--json")
    code, stdout, _ = run(*args)
    assert code == 0
    data = json.loads(stdout)
    assert [e["iteration"] for e in data["iterations"]] == [0, 1]
    for entry in data["iterations"]:
        assert 0.0 <= entry["critic_accuracy"] <= 1.0
        assert entry["sneaky_success"] == pytest.approx(1.0 - entry["critic_accuracy"])
    assert data["iterations"][0]["learning"] == "simulated"
    assert data["simulator"] == ["actor", "sneaky", "critic"]  # it says it is a simulator
    assert {g["iteration"] for g in data["games"]} == {0, 1}
    # Played again, the finished game is read back, not replayed.
    again = json.loads(run(*args)[1])
    assert again["iterations"] == data["iterations"]


def test_a_failing_hook_exits_with_its_code_and_output(tmp_path: Path) -> None:
    out = tmp_path / "game"
    hook = "echo step 1; echo 'trainer: CUDA out of memory' >&2; exit 9"
    args = ("play", "spc", "--iterations", "2", "--rounds", "3", "--out", str(out))
    result = CliRunner().invoke(cli, [*args, "--train-hook", hook])
    assert result.exit_code == 9
    assert "training hook failed after iteration 0 (exit code 9)" in result.output
    assert "CUDA out of memory" in result.output and "Traceback" not in result.output
    assert (out / "iter-0" / "records" / "critic.jsonl").is_file()  # the iteration is kept


def test_data_without_answers_is_one_clear_line(tmp_path: Path) -> None:
    data = tmp_path / "q.jsonl"
    data.write_text('{"prompt": "What is 2 + 2?"}\n')
    result = CliRunner().invoke(cli, ["play", "spc", "--data", str(data)])
    assert result.exit_code == 1
    errors = [ln for ln in result.output.splitlines() if ln.startswith("Error")]
    assert len(errors) == 1 and "'answer'" in errors[0] and "Traceback" not in result.output


def test_a_real_model_without_its_key_fails_the_preflight_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    out = tmp_path / "game"
    args = ["play", "spc", "--critic", "openai/gpt-4o-mini", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 5 and "OPENAI_API_KEY" in result.output
    assert not out.exists()
