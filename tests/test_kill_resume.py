"""A 500-item multi-round run killed with SIGKILL 20 times still ends with every item done once
and exports identical to an uninterrupted run with the same seed."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sparring import Roles
from sparring.graphs import REGISTRY, GraphSpec
from sparring.run import FieldMap, Run
from tests._toy_graph import SPEC_ARGS
from tests.test_runner import _data

ITEMS = 500
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _toy_graph() -> Iterator[None]:
    REGISTRY.register(GraphSpec(*SPEC_ARGS), replace=True)
    yield
    REGISTRY.unregister("toy-loop")


def _new_run(path: Path, data: Path) -> Run:
    run = Run.create(path, graph="toy-loop", roles=Roles.sim(seed=7), concurrency=16)
    run.ingest(data, FieldMap())
    return run


def _child(run_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests._kill_driver", str(run_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _done(run_dir: Path) -> int:
    probe = Run.open(run_dir)
    try:
        return probe.store.counts()["done"]
    finally:
        probe.close()


def _wait_for_done(run_dir: Path, target: int, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while _done(run_dir) < target:
        if time.monotonic() > deadline:
            raise AssertionError(f"no progress to {target} items within {timeout_s}s")
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_twenty_times_then_resume(tmp_path: Path) -> None:
    data = _data(tmp_path / "data.jsonl", ITEMS)
    killed = _new_run(tmp_path / "killed", data)
    killed.close()
    rng = random.Random(2026)
    progress = []
    for _ in range(20):
        child = _child(tmp_path / "killed")
        # Kill at a random moment once the child has finished a few more items, so every kill
        # lands in the middle of real work whatever the machine's speed.
        _wait_for_done(tmp_path / "killed", _done(tmp_path / "killed") + rng.randint(3, 20))
        time.sleep(rng.uniform(0.0, 0.3))
        assert child.poll() is None, "the child finished before it was killed: raise ITEMS"
        child.send_signal(signal.SIGKILL)
        child.wait()
        progress.append(_done(tmp_path / "killed"))
    assert progress[-1] < ITEMS
    final = _child(tmp_path / "killed")
    out, err = final.communicate(timeout=600)
    assert final.returncode == 0, err.decode()[-2000:]
    assert out.decode().strip().endswith("finished")

    resumed = Run.open(tmp_path / "killed")
    assert resumed.store.counts() == {"pending": 0, "running": 0, "done": ITEMS, "failed": 0}
    straight = _new_run(tmp_path / "straight", data)
    assert asyncio.run(straight.execute()) == "finished"
    for fmt in ("trl-dpo", "sft", "trl-kto"):
        a = resumed.export(fmt, tmp_path / "a" / fmt, meta=True)  # type: ignore[arg-type]
        b = straight.export(fmt, tmp_path / "b" / fmt, meta=True)  # type: ignore[arg-type]
        assert a.rows == b.rows
        if not a.rows:  # nothing to export writes no file at all
            assert not (a.path / "data/train.jsonl").exists()
            assert not (b.path / "data/train.jsonl").exists()
            continue
        assert (a.path / "data/train.jsonl").read_bytes() == (
            b.path / "data/train.jsonl"
        ).read_bytes()
    per_item: dict[str, int] = {}
    for pair in resumed.store.records("pairs"):
        per_item[pair["meta"]["item_id"]] = per_item.get(pair["meta"]["item_id"], 0) + 1
    assert max(per_item.values()) <= 3
