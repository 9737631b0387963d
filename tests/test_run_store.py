"""SqliteRunStore specifics: the file, its schema version, streaming, and surviving SIGKILL.

The backend-independent contracts are in ``test_store_conformance.py``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sparring._secrets import register_secret
from sparring.memory._sqlite_store import (
    SCHEMA_VERSION,
    SqliteRunStore,
    StoreError,
    StoreVersionError,
)
from sparring.memory._store import ItemResult, ItemStatus
from sparring.trace import NodeEvent


def _items(n: int, start: int = 0) -> list[tuple[int, str, dict[str, Any]]]:
    return [(i, f"id-{i}", {"prompt": f"p{i}"}) for i in range(start, start + n)]


def _result(i: int, n: int = 2) -> ItemResult:
    return ItemResult(
        records={"pairs": [{"item": i, "pos": p} for p in range(n)]},
        counters={"items": 1},
        output={"i": i},
        unscored=False,
    )


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with SqliteRunStore(tmp_path / "run.sqlite") as s:
        yield s


# -- the file --------------------------------------------------------------------------------
def test_file_is_wal_with_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "run.sqlite"
    SqliteRunStore(path).close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x53505247
    finally:
        conn.close()


@pytest.mark.parametrize(("setting", "value"), [("NORMAL", 1), ("FULL", 2)])
def test_synchronous_setting(tmp_path: Path, setting: Any, value: int) -> None:
    with SqliteRunStore(tmp_path / "run.sqlite", synchronous=setting) as s:
        assert s._conn.execute("PRAGMA synchronous").fetchone()[0] == value


def test_bad_synchronous_setting(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        SqliteRunStore(tmp_path / "run.sqlite", synchronous="OFF")  # type: ignore[arg-type]


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    with SqliteRunStore(path) as s:
        s.add_items(_items(3))
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreVersionError, match=rf"schema version {SCHEMA_VERSION + 1}.*upgrade"):
        SqliteRunStore(path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 3
    finally:
        conn.close()


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable run store"):
        SqliteRunStore(path)


def test_other_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE checkpoints (thread_id TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="something else"):
        SqliteRunStore(path)


def test_closed_store_says_so(tmp_path: Path) -> None:
    with SqliteRunStore(tmp_path / "run.sqlite") as s:
        s.add_items(_items(1))
    assert "closed" in repr(s)
    with pytest.raises(StoreError, match="closed"):
        s.counts()
    s.close()


# -- validation and redaction ----------------------------------------------------------------
def test_unknown_record_kind_writes_nothing(store: SqliteRunStore) -> None:
    store.add_items(_items(1))
    bad: Any = {"records": {"dpo": [{}]}, "counters": {}, "output": {}, "unscored": False}
    with pytest.raises(ValueError, match="record kind"):
        store.complete_item(0, bad)
    assert store.counts()["pending"] == 1


def test_unknown_status_is_an_error(store: SqliteRunStore) -> None:
    with pytest.raises(ValueError, match="unknown item status"):
        store.items(["finished"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="unknown item status"):
        store.reset_items(["skipped"])  # type: ignore[list-item]


@pytest.mark.parametrize("index", [-1, True, "3", 1.0])
def test_bad_index_is_refused(store: SqliteRunStore, index: Any) -> None:
    with pytest.raises(ValueError, match="index"):
        store.add_items([(index, "x", {})])


def test_config_and_details_are_redacted(store: SqliteRunStore) -> None:
    secret = "cfg-secret-0123456789abcdef"
    register_secret(secret)
    store.save_config({"api_base": "http://127.0.0.1:8000", "note": f"key {secret}"})
    store.set_status("failed", f"auth error with {secret}")
    store.add_input_errors([{"file": "f", "line": 1, "field": None, "message": secret}])
    assert secret not in json.dumps([store.load_config(), store.status(), store.input_errors()])
    assert store.load_config() == {"api_base": "http://127.0.0.1:8000", "note": "key [REDACTED]"}


def test_redaction_that_would_break_json_keeps_events_valid(store: SqliteRunStore) -> None:
    secret = 'start","phase'  # spans JSON syntax once the event is serialised
    register_secret(secret)
    store.add_events([NodeEvent(node="n", phase="start", detail="x")])
    (event,) = store.events()
    assert isinstance(event, NodeEvent)
    assert event.phase == "start"


def test_secret_across_event_boundary_is_handled(store: SqliteRunStore) -> None:
    register_secret('}\n{"id')  # matches only where a batch's events are joined
    store.add_events([NodeEvent(node="a", phase="start"), NodeEvent(node="b", phase="end")])
    assert [e.node for e in store.events()] == ["a", "b"]


# -- against a reference model ---------------------------------------------------------------
class _Model:
    """What a run store must show, kept in plain dicts."""

    def __init__(self) -> None:
        self.status: dict[int, str] = {}
        self.results: dict[int, ItemResult] = {}

    def apply(self, op: str, i: int, result: ItemResult) -> None:
        if op == "add":
            self.status.setdefault(i, "pending")
        elif i not in self.status or self.status[i] == "done":
            return
        elif op == "run":
            self.status[i] = "running"
        elif op == "fail":
            self.status[i] = "failed"
        elif op == "complete":
            self.status[i], self.results[i] = "done", result

    def reset(self, statuses: list[str], unscored_only: bool) -> int:
        hit = [
            i
            for i, st in self.status.items()
            if st in statuses
            and (not unscored_only or (st == "done" and self.results[i]["unscored"]))
        ]
        for i in hit:
            self.status[i] = "pending"
            self.results.pop(i, None)
        return len(hit)

    def counters(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for result in self.results.values():
            for name, value in result["counters"].items():
                totals[name] = totals.get(name, 0) + value
        return dict(sorted(totals.items()))


def _random_result(rng: random.Random, i: int) -> ItemResult:
    names = rng.sample(
        ["judged/judge", "unscored/judge", "swaps", "refused/tie"], rng.randint(0, 3)
    )
    return ItemResult(
        records={"pairs": [{"item": i, "pos": p} for p in range(rng.randint(0, 3))]},
        counters={name: rng.randint(-1, 5) for name in names},
        output={"i": i},
        unscored=rng.random() < 0.3,
    )


_STATUSES: list[ItemStatus] = ["pending", "running", "done", "failed"]


def _step(rng: random.Random, store: SqliteRunStore, model: _Model) -> None:
    i = rng.randrange(60)
    op = rng.choice(["add", "run", "complete", "complete", "fail", "reset"])
    if op == "reset":
        statuses = rng.sample(_STATUSES, rng.randint(1, 2))
        unscored = rng.random() < 0.5
        got = store.reset_items(statuses, unscored_only=unscored)
        assert got == model.reset(list(statuses), unscored)
        return
    result = _random_result(rng, i)
    model.apply(op, i, result)
    if op == "add":
        store.add_items([(i, str(i), {})])
    elif i not in model.status:
        return
    elif op == "run":
        store.mark_running(i)
    elif op == "fail":
        store.fail_item(i, "x")
    else:
        store.complete_item(i, result)


def test_matches_a_reference_model(store: SqliteRunStore) -> None:
    rng, model = random.Random(7), _Model()
    for step in range(3000):
        _step(rng, store, model)
        if step % 100 == 99:
            assert {r["index"]: r["status"] for r in store.items()} == model.status
            assert store.counters() == model.counters()
            pairs = [(r["item"], r["pos"]) for r in store.records("pairs")]
            want = [
                (i, r["pos"])
                for i in sorted(model.results)
                for r in model.results[i]["records"]["pairs"]
            ]
            assert pairs == want
            raw = store._conn.execute(
                "SELECT name, sum(value) FROM counters GROUP BY name"
            ).fetchall()
            assert dict(raw) == model.counters()


# -- streaming and batching ------------------------------------------------------------------
def test_add_items_streams_a_generator_in_chunks(store: SqliteRunStore) -> None:
    n = 25_000
    assert store.add_items((i, f"id-{i}", {"p": i}) for i in range(n)) == n
    assert store.add_items((i, "x", {}) for i in range(n - 5, n + 5)) == 5
    assert store.counts()["pending"] == n + 5


def test_iterators_fetch_in_pages(store: SqliteRunStore) -> None:
    store.add_items(_items(3))
    store.complete_item(1, _result(1, 2500))
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    records = store.records("pairs")
    first = next(records)
    assert first == {"item": 1, "pos": 0}
    assert len(statements) == 1  # one page read, not the whole table
    assert sum(1 for _ in records) == 2499
    assert len([s for s in statements if s.startswith("SELECT")]) == 3
    store._conn.set_trace_callback(None)


def test_reset_of_many_done_items_is_one_transaction(store: SqliteRunStore) -> None:
    store.add_items(_items(3000))
    for i in range(3000):
        store.complete_item(i, _result(i))
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    assert store.reset_items(["done"]) == 3000
    store._conn.set_trace_callback(None)
    assert [s for s in statements if s in ("BEGIN IMMEDIATE", "COMMIT")] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]
    assert list(store.records("pairs")) == []
    assert store.counters() == {}


# -- surviving SIGKILL -----------------------------------------------------------------------
_CHILD = r"""
import mmap
import os
import sys
from sparring.memory._sqlite_store import SqliteRunStore

path, n_records = sys.argv[1], int(sys.argv[2])
store = SqliteRunStore(path)
# The flag file says where the worker died: byte 0 is B inside a write transaction (before
# COMMIT starts), C while committing, N elsewhere; bytes 8-16 the item being completed.
flag = mmap.mmap(os.open(path + ".flag", os.O_RDWR), 16)


def trace(sql):
    if sql == "BEGIN IMMEDIATE":
        flag[0] = ord("B")
    elif sql == "COMMIT":
        flag[0] = ord("C")
    elif flag[0] == ord("C"):
        flag[0] = ord("N")


store._conn.set_trace_callback(trace)


def work():
    after, handled = -1, 0
    while page := store.items(["pending"], after=after, limit=200):
        for row in page:
            i = row["index"]
            store.mark_running(i)
            if i % 13 == 0 and row["attempts"] == 0:
                store.fail_item(i, "flaky on the first attempt")
                continue
            flag[8:16] = i.to_bytes(8, "little")
            store.complete_item(i, {
                "records": {
                    "pairs": [{"item": i, "pos": p, "blob": "x" * 400} for p in range(n_records)],
                    "prm": [{"item": i, "pos": 0}],
                },
                "counters": {"items": 1, "weight": i, "pairs": n_records},
                "output": {"i": i},
                "unscored": False,
            })
            flag[8:16] = (2**64 - 1).to_bytes(8, "little")
            handled += 1
            if handled % 25 == 0:
                print(handled, flush=True)
        after = page[-1]["index"]


print("ready", flush=True)
while store.reset_items(["running", "failed"]) or store.counts()["pending"]:
    work()
store.close()
print("finished", flush=True)
"""


def _check_all_or_nothing(path: Path, n_records: int) -> int:
    """Every done item has exactly its records, counters and output; no other item has any."""
    with SqliteRunStore(path) as s:
        done = {row["index"] for row in s.items(["done"])}
        pairs: dict[int, list[int]] = {}
        for record in s.records("pairs"):
            assert record["blob"] == "x" * 400
            pairs.setdefault(record["item"], []).append(record["pos"])
        assert pairs == {i: list(range(n_records)) for i in sorted(done)}
        assert [r["item"] for r in s.records("prm")] == sorted(done)
        assert [i for i, _ in s.outputs()] == sorted(done)
        expected = {"items": len(done), "weight": sum(done), "pairs": n_records * len(done)}
        assert s.counters() == (expected if done else {})
        counts = s.counts()
        assert sum(counts.values()) == len(s.items())
        return len(done)


def _spawn(path: Path, n_records: int) -> subprocess.Popen[str]:
    Path(f"{path}.flag").write_bytes(b"N" + bytes(7) + b"\xff" * 8)
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(n_records)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _kill_after(proc: subprocess.Popen[str], lines: int, delay_s: float) -> bool:
    """SIGKILL the child ``delay_s`` after its ``lines``-th progress line; False if it ended."""
    assert proc.stdout is not None
    for _ in range(lines):
        if not proc.stdout.readline():
            return False
    time.sleep(delay_s)
    os.kill(proc.pid, signal.SIGKILL)
    return True


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_never_loses_or_duplicates(tmp_path: Path) -> None:
    """Kill a worker at random points (seeded) mid-run; each time, every item is all or nothing.

    At least 8 kills, and more until one lands inside a ``complete_item`` transaction.
    """
    path, n_items, n_records = tmp_path / "run.sqlite", 6000, 12
    with SqliteRunStore(path) as s:
        s.add_items(_items(n_items))
    rng = random.Random(20260509)
    progress: list[int] = [0]
    torn: list[int] = []
    while len(progress) <= 8 or (not torn and len(progress) <= 30):
        proc = _spawn(path, n_records)
        assert _kill_after(proc, rng.randint(1, 8), rng.uniform(0, 0.005))
        assert proc.wait() == -signal.SIGKILL
        flag = Path(f"{path}.flag").read_bytes()
        completing = int.from_bytes(flag[8:16], "little")
        progress.append(_check_all_or_nothing(path, n_records))
        if flag[:1] == b"B" and completing < n_items:  # died inside complete_item's transaction
            torn.append(completing)
            with SqliteRunStore(path) as s:  # ... which was rolled back whole
                assert (row := s.item(completing)) and row["status"] == "running"
    assert torn, "no kill landed inside a complete_item transaction"
    assert progress == sorted(progress) and progress[-1] > progress[1] > 0
    proc = _spawn(path, n_records)
    assert proc.communicate(timeout=120)[0].strip().endswith("finished")
    assert proc.returncode == 0
    assert _check_all_or_nothing(path, n_records) == n_items
