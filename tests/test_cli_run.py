"""The run workflow from the shell: run, interrupt (budget), resume, view, export, graphs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sparring.cli import cli
from sparring.graphs import REGISTRY, GraphSpec
from tests._toy_graph import SPEC_ARGS
from tests.test_runner import _data


@pytest.fixture(autouse=True)
def _toy_graph() -> Iterator[None]:
    REGISTRY.register(GraphSpec(*SPEC_ARGS), replace=True)
    yield
    REGISTRY.unregister("toy-loop")


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_run_budget_stop_resume_view_export(tmp_path: Path) -> None:
    data = _data(tmp_path / "d.jsonl", 6)
    run_dir = tmp_path / "run"
    code, out = _cli(
        "run",
        "toy-loop",
        "--data",
        str(data),
        "--out",
        str(run_dir),
        "--max-calls",
        "10",
        "--concurrency",
        "1",
        "-o",
        "rounds=2",
    )
    assert code == 4  # stopped on the budget
    assert "stopped" in out and "sparring resume" in out and "exit 4" in out
    code, out = _cli("view", str(run_dir), "--json")
    summary = json.loads(out)
    assert summary["status"] == "stopped" and summary["items"]["done"] < 6
    code, out = _cli("resume", str(run_dir))  # same budget: it stops again at once
    assert code == 4 and "stopped" in out
    code, out = _cli("resume", str(run_dir), "--max-calls", "1000")
    assert code == 0 and "finished" in out
    code, out = _cli("view", str(run_dir))
    assert code == 0 and "toy-loop" in out and "6 done" in out
    code, out = _cli("export", str(run_dir), "--format", "trl-dpo", "--meta")
    assert code == 0 and "wrote" in out
    assert (run_dir / "export/trl-dpo/data/train.jsonl").exists()


def test_run_to_the_end_and_resume_redoes_nothing(tmp_path: Path) -> None:
    data = _data(tmp_path / "d.jsonl", 4)
    run_dir = tmp_path / "run"
    code, out = _cli("run", "toy-loop", "--data", str(data), "--out", str(run_dir), "--limit", "3")
    assert code == 0 and "finished" in out and "read 3 items" in out
    code, out = _cli("view", str(run_dir), "--json")
    assert json.loads(out)["items"]["done"] == 3
    code, out = _cli("resume", str(run_dir))
    assert code == 0
    assert json.loads(_cli("view", str(run_dir), "--json")[1])["roles"]["actor"]["calls"] == 9


def test_single_prompt_run_prints_the_output(tmp_path: Path) -> None:
    code, out = _cli(
        "run",
        "toy-loop",
        "--prompt",
        "Explain the Kalo method to a new volunteer.",
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 0 and '"round": 3' in out


def test_run_errors_are_clear(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "nope", "--prompt", "x"])
    assert result.exit_code != 0 and "no graph named 'nope'" in result.output
    result = CliRunner().invoke(cli, ["run", "toy-loop"])
    assert result.exit_code != 0 and "exactly one of --data" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\n{oops\n')
    result = CliRunner().invoke(
        cli, ["run", "toy-loop", "--data", str(bad), "--strict", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code != 0 and "bad.jsonl:2" in result.output
    result = CliRunner().invoke(cli, ["resume", str(tmp_path)])
    assert result.exit_code != 0 and "holds no run" in result.output


def test_graphs_lists_the_catalogue() -> None:
    code, out = _cli("graphs")
    assert code == 0 and "toy-loop" in out


CATALOGUE = [spec.name for spec in REGISTRY.planned() if spec.name != "toy-loop"]


@pytest.mark.parametrize("graph", CATALOGUE)
def test_every_graph_runs_from_the_cli_on_simulated_tasks(tmp_path: Path, graph: str) -> None:
    code, out = _cli("run", graph, "--sim-tasks", "2", "--out", str(tmp_path / "r"))
    assert code == 0, out
    summary = json.loads(_cli("view", str(tmp_path / "r"), "--json")[1])
    assert summary["items"]["done"] == 2 and summary["items"]["failed"] == 0
