"""The SQLite run store passes the backend-independent ``RunStore`` conformance suite."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from sparring.memory._sqlite_store import SqliteRunStore
from sparring.memory._store import ItemResult
from sparring.memory.conformance import CHECKS, Check, ConformanceError, run_conformance
from sparring.trace import Event


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_conformance(check: Check, tmp_path: Path) -> None:
    check(lambda: SqliteRunStore(tmp_path / "run.sqlite"))


_CHECKS = {check.__name__: check for check in CHECKS}


class _Forgetful(SqliteRunStore):
    """A broken backend: completing a done item again adds its records again."""

    def complete_item(self, index: int, result: ItemResult) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE items SET status = 'running' WHERE idx = ?", (index,))
        super().complete_item(index, result)


class _Leaky(SqliteRunStore):
    """A broken backend: events are stored as they come."""

    def add_events(self, events: Sequence[Event]) -> None:
        rows = [(e.kind, e.model_dump_json()) for e in events]
        with self._tx() as conn:
            conn.executemany("INSERT INTO events (kind, data) VALUES (?, ?)", rows)


def test_suite_catches_a_broken_backend(tmp_path: Path) -> None:
    with pytest.raises(ConformanceError, match=r"1 of \d+ checks failed") as caught:
        run_conformance(lambda name: lambda: _Forgetful(tmp_path / f"{name}.sqlite"))
    assert "check_complete_item_is_idempotent" in str(caught.value)


def test_suite_catches_unredacted_events(tmp_path: Path) -> None:
    with pytest.raises(ConformanceError, match="secret was stored"):
        _CHECKS["check_events_are_redacted"](lambda: _Leaky(tmp_path / "run.sqlite"))
