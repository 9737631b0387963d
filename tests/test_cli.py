"""The command line: help, demo, doctor, role files (through click's runner, in process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sparring.cli import cli
from sparring.cli._roles import load_roles_file
from sparring.errors import ConfigError


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_help_lists_commands_and_says_simulator() -> None:
    code, out = _run("--help")
    assert code == 0
    for command in ("demo", "doctor", "serve-sim"):
        assert command in out
    assert "SIMULATOR" in out


def test_help_is_fast_and_does_not_import_litellm() -> None:
    code = "import sys; from sparring.cli import main; print('litellm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_demo_json_on_the_simulator() -> None:
    code, out = _run("demo", "--tasks", "2", "--samples", "3", "--json", "--seed", "4")
    assert code == 0
    rows = json.loads(out[out.index("[") :])
    assert len(rows) == 2 and rows[0]["kind"] == "arithmetic" and rows[1]["kind"] == "open"
    assert all(len(r["samples"]) == 3 and len(r["scores"]) == 3 for r in rows)
    assert all(0.0 <= t <= 1.0 for r in rows for t in r["truth"])


def test_demo_tables_show_every_role_and_the_banner() -> None:
    # 3 tasks: the meta-judge is asked only where two judgments of one sample disagree.
    code, out = _run("demo", "--tasks", "3")
    assert code == 0
    assert "SIMULATOR" in out and "Usage per role" in out
    for role in ("actor", "judge", "planner", "meta_judge", "critic", "sneaky"):
        assert role in out


def test_doctor_on_the_simulator_answers() -> None:
    code, out = _run("doctor")
    assert code == 0
    assert out.count("answered") == 6 and "none" in out


def test_doctor_reports_missing_key_by_name_and_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code, out = _run("doctor", "--judge", "openai/gpt-4o-mini")
    assert code == 1  # the request cannot go out: offline and no key
    assert "OPENAI_API_KEY" in out and "missing" in out


def test_roles_file_binds_and_flags_win(tmp_path: Path) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(
        '[default]\nmodel = "sim/judge"\n[actor]\nmodel = "hosted_vllm/q"\n'
        'api_base = "http://127.0.0.1:9/v1"\ntemperature = 0.3\n'
    )
    bindings, default = load_roles_file(path)
    assert bindings["actor"].api_base == "http://127.0.0.1:9/v1"
    assert bindings["actor"].temperature == 0.3
    assert default is not None and default.name == "sim/judge"
    code, out = _run("doctor", "--no-request", "--roles", str(path), "--actor", "sim/actor")
    assert code == 0 and "hosted_vllm" not in out


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[actor]\ntemperature = 0.3\n", "needs a 'model' key"),
        ('[actor]\nmodel = "x"\napi_key = "sk-123"\n', "must not hold an api_key"),
        ('[actor]\nmodel = "x"\ntemperature = "hot"\n', "temperature"),
        ("[actor\n", "not valid TOML"),
    ],
)
def test_roles_file_errors_name_file_and_field(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=problem) as info:
        load_roles_file(path)
    assert str(path) in str(info.value)


def test_serve_sim_rejects_bad_rates() -> None:
    result = CliRunner().invoke(cli, ["serve-sim", "--rate-429", "0.7", "--rate-500", "0.6"])
    assert result.exit_code != 0
    assert "rate" in result.output.lower()
