"""``sparring iterate bstar``: B-STaR iterations from the command line, resumable and scripted."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sparring.cli import cli
from sparring.iterate import load_bstar
from sparring.iterate._practice import practice_problems
from sparring.run import Run
from sparring.sim import SimServer

SMALL = ("--items", "4", "--samples", "4", "--probe", "2", "--temperatures", "0.7,1.6",
         "--thresholds", "0.25,0.5")  # fmt: skip


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["iterate", "bstar", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _json(output: str) -> dict[str, object]:
    body: dict[str, object] = json.loads(output[output.index("{") :])
    return body


@pytest.fixture
def server() -> Iterator[SimServer]:
    with SimServer() as srv:
        yield srv


def test_practice_problems_have_gold_steps_the_simulator_can_vary() -> None:
    from sparring.sim._external import gold_steps

    rows = practice_problems(12, seed=3)
    assert len({r["prompt"] for r in rows}) == 12 and rows == practice_problems(12, seed=3)
    for row in rows:
        task = gold_steps(row["prompt"], row["answer"])
        assert task is not None and len(task.steps) == 3
        assert row["answer"].endswith(f"#### {task.answer_text}")


def test_json_rows_the_manifest_and_the_default_problems(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    code, out = _cli(*SMALL, "--iterations", "2", "--out", str(folder), "--json")
    assert code == 0, out
    body = _json(out)
    rows = body["iterations"]
    assert isinstance(rows, list) and [r["iteration"] for r in rows] == [0, 1]
    assert body["simulator"] is True and body["technique"] == "b-star"
    plan, saved = load_bstar(folder)
    assert [r.model_dump(mode="json") for r in saved] == rows
    assert plan.adjust and plan.data == str(folder / "problems.jsonl")
    # Practice problems vary in wording, so right samples can be distinct (exploration).
    assert max(r["distinct_correct"] for r in rows) > 1.0
    assert rows[1]["actor_accuracy"] > rows[0]["actor_accuracy"]  # it learned from the selection
    for r in rows:
        assert 0.0 <= r["balance_score"] <= 1.0 and r["pass_at_k"] >= r["vote_accuracy"]


def test_running_the_folder_again_resumes_and_refuses_other_settings(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    code, out = _cli(*SMALL, "--no-adjust", "--iterations", "1", "--out", str(folder))
    assert code == 0, out
    assert "iter 0  temp 0.7  threshold 0.5" in out  # plain lines off a terminal
    first = load_bstar(folder)[1]
    code, out = _cli("--out", str(folder), "--iterations", "2", "--json")
    assert code == 0, out
    assert "resuming the B-STaR run" in out
    plan, rows = load_bstar(folder)
    assert plan.iterations == 2 and plan.n_samples == 4 and not plan.adjust  # saved settings
    training = {"status", "learning", "next_actor_model"}  # iteration 0 is trained now
    assert rows[0].model_dump(exclude=training) == first[0].model_dump(exclude=training)
    assert len(rows) == 2 and rows[0].learning == "simulated" and first[0].status == "played"
    code, out = _cli("--out", str(folder), "--samples", "6", "--n-star", "2")
    assert code == 2
    assert "other settings: --samples (saved: 4), --n-star (saved: 8)" in out
    code, out = _cli("--out", str(folder), "--actor", "openai/gpt-x")
    assert code == 2 and "the actor model (saved: simulator)" in out
    assert load_bstar(folder) == (plan, rows)  # nothing was changed by the refusals


def test_a_data_file_without_gold_answers_is_one_line_naming_the_row(tmp_path: Path) -> None:
    data = tmp_path / "q.jsonl"
    good = practice_problems(1)[0]
    data.write_text(json.dumps(good) + "\n" + json.dumps({"prompt": "What is 2 + 2?"}) + "\n")
    code, out = _cli("--data", str(data), "--out", str(tmp_path / "b"))
    assert code == 1
    assert f"{data} line 2: field 'answer'" in out and "--answer-field" in out
    assert not (tmp_path / "b" / "bstar.json").exists()
    code, out = _cli("--data", str(data), "--items", "1", "--samples", "2", "--iterations", "1",
                     "--no-adjust", "--out", str(tmp_path / "c"))  # fmt: skip
    assert code == 0, out  # the bad row is past the items asked for


def test_a_real_actor_is_sampled_but_not_trained(tmp_path: Path, server: SimServer) -> None:
    folder = tmp_path / "b"
    code, out = _cli(*SMALL, "--iterations", "2", "--no-adjust", "--out", str(folder), "--json",
                     "--actor", "openai/actor", "--api-base", server.base_url)  # fmt: skip
    assert code == 0, out
    assert "SIMULATOR" not in out and "nothing here trains a real actor" in out
    body = _json(out)
    rows = body["iterations"]
    assert isinstance(rows, list) and body["simulator"] is False
    assert all(r["actor_accuracy"] is None for r in rows)
    assert all(r["pass_at_k"] > 0 for r in rows)  # the served model did answer
    plan, _ = load_bstar(folder)
    assert plan.actor_model is not None and plan.actor_model["name"] == "openai/actor"
    assert "api_key" not in json.dumps(plan.actor_model)


def test_help_says_what_the_numbers_mean_and_which_n_star() -> None:
    code, out = _cli("--help")
    assert code == 0
    for words in ("exploration", "exploitation", "balance", "n*=8", "cal_modi_acc_soft", "pass@k"):
        assert words in out


def test_a_failing_train_hook_is_one_line_and_the_fixed_hook_resumes(
    tmp_path: Path, server: SimServer
) -> None:
    folder = tmp_path / "b"
    real = ("--actor", "openai/actor", "--api-base", server.base_url)
    args = (*SMALL, "--iterations", "2", "--no-adjust", *real, "--out", str(folder))
    code, out = _cli(*args, "--train-hook", "echo loading; echo 'out of memory' >&2; exit 3")
    assert code == 3, out
    assert "training hook failed after iteration 0 (exit code 3): out of memory" in out
    assert "run the same --out again" in out and "nothing here trains a real actor" not in out
    _, rows = load_bstar(folder)
    assert [r.status for r in rows] == ["played"] and not (folder / "iter-1").exists()
    script = tmp_path / "train.py"
    script.write_text(
        "import json, os, pathlib\n"
        "records = pathlib.Path(os.environ['SPARRING_RECORDS'])\n"
        "rows = (records / 'data' / 'train.jsonl').read_text().splitlines()\n"
        "assert rows and all('completion' in json.loads(r) for r in rows)\n"
        "assert json.loads(os.environ['SPARRING_MODELS']) == {'actor': 'openai/actor'}\n"
        "pathlib.Path(os.environ['SPARRING_MODELS_OUT']).write_text("
        "json.dumps({'actor': 'openai/actor-v2'}))\n"
    )
    code, out = _cli("--out", str(folder), "--train-hook", f"{sys.executable} {script}")
    assert code == 0, out
    assert "trained: next actor openai/actor-v2" in out
    _, rows = load_bstar(folder)
    assert [r.learning for r in rows[:1]] == ["hook"] and len(rows) == 2
    run = Run.open(folder / "iter-1")
    actor = run.config.roles["actor"]
    run.close()
    assert actor["name"] == "openai/actor-v2" and actor["api_base"] == server.base_url


def test_train_hook_needs_out() -> None:
    code, out = _cli(*SMALL, "--train-hook", "true")
    assert code == 2 and "--train-hook needs --out" in out
