"""One process per run, reproducible prompts, servers that ignore n, errors retrying cannot fix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sparring.cli import cli
from sparring.errors import RunBusyError
from sparring.models import Gateway, Model, RetryPolicy, classify
from sparring.run import Run, RunLock
from sparring.sim import SimServer
from sparring.trace import MemorySink, NoticeEvent

REPO = Path(__file__).resolve().parent.parent


def _holder(run_dir: Path) -> subprocess.Popen[str]:
    """A child process that takes the run's lock and sleeps (a busy run, from outside)."""
    code = (
        "import sys, time; from pathlib import Path; from sparring.run import RunLock\n"
        "lock = RunLock(Path(sys.argv[1])); lock.acquire(); print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(run_dir)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_lock_on_a_run_is_refused_and_a_dead_holders_lock_is_taken_over(
    tmp_path: Path,
) -> None:
    proc = _holder(tmp_path)
    try:
        with pytest.raises(RunBusyError) as caught:
            RunLock(tmp_path).acquire()
        assert caught.value.pid == proc.pid and f"process {proc.pid}" in str(caught.value)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with RunLock(tmp_path) as lock:  # the kernel freed the killed holder's lock
        assert lock.held
        with lock:  # reentrant for its holder
            assert lock.held
    assert not lock.held


def test_resume_of_a_busy_run_exits_1_naming_the_other_pid(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    runner = CliRunner()
    result = runner.invoke(cli, ["run", "self-rewarding", "--sim-tasks", "5", "--out", str(run_dir),
                                 "--max-calls", "1", "--concurrency", "1"])
    assert result.exit_code == 4
    proc = _holder(run_dir)
    try:
        result = runner.invoke(cli, ["resume", str(run_dir), "--retry-errors"])
        assert result.exit_code == 1
        assert f"in use by process {proc.pid}" in result.output
        assert "Traceback" not in result.output
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    counts = Run.open(run_dir).store.counts()
    assert counts["done"] < 5 and counts["failed"] == 0  # untouched by the refused resume
    result = runner.invoke(cli, ["resume", str(run_dir), "--max-calls", "1000"])
    assert result.exit_code == 0, result.output


def _export(tmp_path: Path, name: str, seed: int) -> bytes:
    run_dir = tmp_path / name
    runner = CliRunner()
    args = ["run", "meta-rewarding", "--sim-tasks", "6", "--out", str(run_dir), "--seed", str(seed)]
    assert runner.invoke(cli, args).exit_code == 0
    assert runner.invoke(cli, ["export", str(run_dir), "--format", "trl-dpo"]).exit_code == 0
    return (run_dir / "export" / "trl-dpo" / "data" / "train.jsonl").read_bytes()


def test_same_seed_runs_give_byte_identical_exports(tmp_path: Path) -> None:
    first, second = _export(tmp_path, "a", 4), _export(tmp_path, "b", 4)
    assert first and first == second
    assert _export(tmp_path, "c", 5) != first


def test_nonce_keys_are_kept_in_the_run_and_differ_by_seed(tmp_path: Path) -> None:
    from sparring.models import Roles

    keys = set()
    for seed in (1, 2):
        run = Run.create(tmp_path / f"r{seed}", graph="self-rewarding", roles=Roles(), seed=seed)
        keys.add(run.config.nonce_key)
        reopened = Run.open(tmp_path / f"r{seed}")
        assert reopened.config.nonce_key == run.config.nonce_key
        run.close()
        reopened.close()
    assert len(keys) == 2


async def test_a_server_that_ignores_n_gets_single_requests_and_one_notice() -> None:
    sink = MemorySink()
    with SimServer(max_n=1) as srv:
        model = Model("hosted_vllm/actor", api_base=srv.base_url, seed=1)
        gateway = Gateway(sink=sink)
        first = await gateway.complete(model, "What is 2+3?", n=4, temperature=0.9)
        before = srv.stats.requests
        second = await gateway.complete(model, "What is 2+5?", n=3, temperature=0.9)
        asked = srv.stats.requests - before
    assert len(first.completions) == 4 and [c.index for c in first.completions] == [0, 1, 2, 3]
    assert len(second.completions) == 3 and asked == 3  # remembered: one request per sample
    notices = [e for e in sink.events if isinstance(e, NoticeEvent)]
    assert len(notices) == 1 and "ignores n" in notices[0].message


class _Missing(Exception):
    status_code = 500


def test_a_missing_key_reported_as_500_is_auth_and_fatal() -> None:
    exc = _Missing("litellm.InternalServerError: OpenAIException - Missing credentials. Please "
                   "pass an `api_key` or set the `OPENAI_API_KEY` environment variable.")
    failure = classify(exc)
    assert failure.kind == "auth" and not failure.retryable and failure.fatal


def test_connect_failures_of_aiohttp_are_connection_errors() -> None:
    exc = _Missing("Hosted_vllmException - Cannot connect to host 127.0.0.1:9 [Connect failed]")
    failure = classify(exc)
    assert failure.kind == "connection" and failure.retryable and not failure.fatal


def test_a_bad_request_for_one_item_is_not_fatal_but_an_unknown_model_is() -> None:
    class BadRequestError(Exception):
        status_code = 400

    class NotFoundError(Exception):
        status_code = 404

    long_prompt = classify(BadRequestError("maximum context length is 8192 tokens"))
    assert long_prompt.kind == "bad_request" and not long_prompt.fatal
    assert classify(NotFoundError("The model `gpt-5x` does not exist")).fatal


async def test_auth_errors_are_not_retried() -> None:
    with SimServer(api_key="right") as srv:
        model = Model("openai/actor", api_base=srv.base_url, api_key="wrong-key-000000")
        gateway = Gateway(retry=RetryPolicy(max_attempts=6, initial_delay_s=0.001))
        started = time.perf_counter()
        with pytest.raises(Exception) as caught:
            await gateway.complete(model, "hi")
    err: Any = caught.value
    assert err.kind == "auth" and err.attempts == 1 and err.fatal
    assert "wrong-key-000000" not in str(err)
    assert time.perf_counter() - started < 10


def test_sigterm_stops_a_run_resumable_with_exit_130(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    with SimServer() as srv:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "sparring", "run", "self-rewarding", "--sim-tasks", "400",
             "--out", str(run_dir), "--concurrency", "1", "--actor", "hosted_vllm/actor",
             "--api-base", srv.base_url],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
        )
        deadline = time.time() + 60
        while time.time() < deadline and srv.stats.requests < 5:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "interrupted" in out and "Traceback" not in out
    run = Run.open(run_dir)
    assert run.store.status()[0] == "stopped"
    assert run.store.counts().get("pending", 0) + run.store.counts().get("running", 0) > 0
    run.close()


def test_the_answer_extraction_rule_is_recorded_in_the_run(tmp_path: Path) -> None:
    from sparring.models import Roles

    run = Run.create(tmp_path / "r", graph="irpo", roles=Roles())
    run.close()
    reopened = Run.open(tmp_path / "r")
    assert reopened.config.answer_extraction == "strict"
    reopened.close()
