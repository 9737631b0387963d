"""Failures are reported, not swallowed: exit codes, preflight, options checked before writing."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sparring.cli import cli
from sparring.cli._errors import _ModelUnusable
from sparring.cli._exit import ExitCode
from sparring.models import Gateway, RetryPolicy
from sparring.run import Run
from sparring.sim import FaultConfig, SimServer

FAST = RetryPolicy(max_attempts=3, initial_delay_s=0.001, max_delay_s=0.002, jitter=0.0)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's gateway retries without waiting (the policy, not the wait, is tested)."""
    import sparring.run._runner as runner

    monkeypatch.setattr(runner, "Gateway", functools.partial(Gateway, retry=FAST))


@pytest.fixture
def server() -> Iterator[SimServer]:
    with SimServer() as srv:
        yield srv


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_run_where_every_item_is_done_exits_0(tmp_path: Path) -> None:
    code, out = _cli("run", "self-rewarding", "--sim-tasks", "2", "--out", str(tmp_path / "r"))
    assert code == ExitCode.OK == 0
    assert "exit 0: every item done" in out


def test_unknown_option_is_a_usage_error_and_writes_nothing(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    code, out = _cli("run", "meta-rewarding", "--sim-tasks", "2", "--out", str(run_dir),
                     "-o", "nosuch=3")
    assert code == ExitCode.USAGE == 2
    assert "unknown option 'nosuch'" in out and "n_responses" in out  # lists the valid ones
    assert not run_dir.exists()
    code, out = _cli("run", "meta-rewarding", "--sim-tasks", "2", "--out", str(run_dir),
                     "-o", "n_responses=0")
    assert code == 2 and "n_responses must be an integer >= 2" in out
    assert not run_dir.exists()
    code, _ = _cli("run", "meta-rewarding", "--sim-tasks", "2", "--out", str(run_dir))
    assert code == 0  # the same folder works once the option is fixed: no stub left behind


def test_preflight_names_a_missing_key_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    run_dir = tmp_path / "r"
    code, out = _cli("run", "self-rewarding", "--sim-tasks", "2", "--out", str(run_dir),
                     "--actor", "openai/gpt-4o-mini")
    assert code == ExitCode.MODEL_ERROR == _ModelUnusable.exit_code == 5
    assert "role actor" in out and "OPENAI_API_KEY" in out and "not set" in out
    assert not run_dir.exists()


def test_preflight_rejects_an_unknown_provider(tmp_path: Path) -> None:
    code, out = _cli("run", "self-rewarding", "--sim-tasks", "2", "--out", str(tmp_path / "r"),
                     "--judge", "nosuchprovider/model")
    assert code == 5 and "role judge" in out and "names no provider" in out


def test_preflight_finds_nothing_listening_at_api_base(tmp_path: Path) -> None:
    code, out = _cli("run", "self-rewarding", "--sim-tasks", "2", "--out", str(tmp_path / "r"),
                     "--actor", "hosted_vllm/x", "--api-base", "http://127.0.0.1:9/v1")
    assert code == 5 and "did not answer: connection" in out and "127.0.0.1:9" in out


def test_preflight_checks_numbered_roles_a_roles_file_binds(tmp_path: Path) -> None:
    roles = tmp_path / "roles.toml"
    roles.write_text(
        '[debater_2]\nmodel = "hosted_vllm/x"\napi_base = "http://127.0.0.1:9/v1"\n',
        encoding="utf-8",
    )
    run_dir = tmp_path / "r"
    code, out = _cli("run", "debate", "--sim-tasks", "2", "--out", str(run_dir),
                     "--roles", str(roles))
    assert code == 5 and "role debater_2" in out and "127.0.0.1:9" in out
    assert not run_dir.exists()


def test_a_local_server_needs_no_invented_key(
    tmp_path: Path, server: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code, out = _cli("run", "self-rewarding", "--sim-tasks", "2", "--out", str(tmp_path / "r"),
                     "--actor", "openai/actor", "--api-base", server.base_url)
    assert code == 0, out


@pytest.mark.usefixtures("fast_retries")
def test_items_whose_calls_failed_are_failed_and_exit_3(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    with SimServer(faults=FaultConfig(rate_500=1.0)) as srv:
        code, out = _cli("run", "self-rewarding", "--sim-tasks", "3", "--out", str(run_dir),
                         "--actor", "hosted_vllm/actor", "--api-base", srv.base_url,
                         "--no-preflight")
    assert code == ExitCode.ITEMS_FAILED == 3
    assert "3 failed" in out and f"sparring resume {run_dir} --retry-errors" in out
    run = Run.open(run_dir)
    failed = run.store.items(("failed",))
    assert len(failed) == 3
    assert all("actor model 'hosted_vllm/actor' after 3 attempts: server" in (r["error"] or "")
               for r in failed)
    with SimServer() as srv:  # the server is fixed: the retry finishes them
        code, out = _cli("resume", str(run_dir), "--retry-errors", "--actor",
                         "hosted_vllm/actor", "--api-base", srv.base_url)
    assert code == 0 and "3 done" in out


@pytest.mark.usefixtures("fast_retries")
def test_a_rejected_key_stops_the_run_early_and_leaves_items_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = tmp_path / "r"
    with SimServer(api_key="the-right-key") as srv:
        monkeypatch.setenv("OPENAI_API_KEY", "a-wrong-key")
        args = ("--actor", "openai/actor", "--api-base", srv.base_url)
        code, out = _cli("run", "self-rewarding", "--sim-tasks", "6", "--out", str(run_dir),
                         "--concurrency", "1", *args)
        assert code == 5 and "auth" in out and "a-wrong-key" not in out  # the preflight
        assert not run_dir.exists()
        code, out = _cli("run", "self-rewarding", "--sim-tasks", "6", "--out", str(run_dir),
                         "--concurrency", "1", "--no-preflight", *args)
        assert code == ExitCode.MODEL_ERROR and "model error" in out
        run = Run.open(run_dir)
        counts = run.store.counts()
        assert counts.get("failed", 0) == 0 and counts.get("done", 0) == 0
        calls = run.summary().models["openai/actor"]
        assert calls.calls == 1 and calls.retries == 0  # not retried, not tried per item
        run.close()
        monkeypatch.setenv("OPENAI_API_KEY", "the-right-key")
        code, out = _cli("resume", str(run_dir))
    assert code == 0 and "6 done" in out


def test_nothing_to_export_exits_6_and_writes_no_file(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    assert _cli("run", "self-rewarding", "--sim-tasks", "2", "--out", str(run_dir))[0] == 0
    code, out = _cli("export", str(run_dir), "--format", "prm")
    assert code == ExitCode.NOTHING_EXPORTED == 6
    assert "nothing to export" in out and "refused" in out
    assert not (run_dir / "export" / "prm" / "data" / "train.jsonl").exists()


def test_data_with_no_usable_item_exits_non_zero_and_leaves_no_stub(tmp_path: Path) -> None:
    data = tmp_path / "nogold.jsonl"
    data.write_text('{"prompt": "What is 2+2?"}\n', encoding="utf-8")
    run_dir = tmp_path / "r"
    code, out = _cli("run", "irpo", "--data", str(data), "--out", str(run_dir))
    assert code == 1 and "nothing to run" in out and "nogold.jsonl:1" in out
    assert not run_dir.exists()


def test_an_internal_error_is_one_line_and_its_traceback_goes_to_errors_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom in the store")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Run, "create", boom)
    code, out = _cli("run", "self-rewarding", "--sim-tasks", "2", "--out", str(tmp_path / "r"))
    assert code == 1
    assert "internal error: RuntimeError: kaboom in the store" in out and "errors.log" in out
    assert "Traceback" in (tmp_path / "errors.log").read_text(encoding="utf-8")


def test_help_documents_the_exit_codes() -> None:
    for args in ((), ("run",), ("resume",)):
        code, out = _cli(*args, "--help")
        assert code == 0 and "Exit codes" in out and "130" in out


def test_summary_tables_never_cut_role_or_model_names_at_80_columns(
    tmp_path: Path, server: SimServer
) -> None:
    long_model = "openai/meta-llama--Llama-3.1-70B-Instruct-Turbo-with-a-long-name"
    code, out = _cli("run", "meta-rewarding", "--sim-tasks", "1", "--out", str(tmp_path / "r"),
                     "--meta-judge", long_model, "--api-base", server.base_url)
    assert code == 0
    assert "…" not in out and "meta_judge" in out
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip().startswith("openai/meta"))
    cell = ""
    for line in lines[first:]:  # the name folds over lines of its cell, never shortened
        cell += line.split()[0]
        if cell == long_model or len(cell) >= len(long_model):
            break
    assert cell == long_model
    # Tables fit 80 columns; the progress and exit lines are long on purpose (copyable).
    table_lines = [ln for ln in out.splitlines() if not ln.startswith(("items ", "exit "))]
    assert max(len(line) for line in table_lines) <= 80
