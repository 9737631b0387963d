"""A read-only window on a run store, shaped for the viewer.

It opens ``run.sqlite`` read-only, so it never takes the run's lock and works while another
process is writing the run. Every query answers from indexes (an item by id or position, an
item's events, its records), so the first screen of a 100k-item run stays fast.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from sparring.errors import ConfigError
from sparring.trace import Event, parse_event

__all__ = ["ItemRef", "NodeStat", "RunQuery"]


@dataclass(frozen=True, slots=True)
class ItemRef:
    """One item, as the viewer lists it.

    Attributes:
        index: Its position in the run (0-based).
        item_id: Its id (from the data, or made up).
        status: pending, running, done or failed.
        error: Why it failed, if it did.
        unscored: Whether all its verdicts were unscored.
    """

    index: int
    item_id: str
    status: str
    error: str | None
    unscored: bool


@dataclass(frozen=True, slots=True)
class NodeStat:
    """Visits of one graph node over the whole run, and their time."""

    node: str
    visits: int
    seconds: float


class RunQuery:
    """Read-only queries on one run directory.

    Args:
        run_dir: The run directory.

    Raises:
        ConfigError: The folder holds no run (no ``run.sqlite``), or it is not a run store.
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.dir = Path(run_dir)
        path = self.dir / "run.sqlite"
        if not self.dir.is_dir():
            raise ConfigError(f"{self.dir} is not a folder")
        if not path.is_file():
            raise ConfigError(f"{self.dir} is not a run directory (it has no run.sqlite)")
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        try:
            self._db.execute("SELECT key FROM meta LIMIT 1").fetchall()
        except sqlite3.DatabaseError as err:
            self._db.close()
            raise ConfigError(f"{path} is not a sparring run store ({err})") from None

    # -- the run ----------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """The run's config (graph, roles, options, seed, ...)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()
        data: dict[str, Any] = json.loads(row[0]) if row else {}
        return data

    def status(self) -> tuple[str, str | None]:
        """The run's status and its detail, read fresh."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'status'").fetchone()
        if row is None:
            return "new", None
        status, detail = json.loads(row[0])
        return str(status), detail

    def counts(self) -> dict[str, int]:
        """Items per status."""
        rows = self._db.execute("SELECT status, count(*) FROM items GROUP BY status").fetchall()
        out = {"pending": 0, "running": 0, "done": 0, "failed": 0}
        out.update({str(s): int(n) for s, n in rows})
        return out

    # -- items ------------------------------------------------------------------------------
    def find(self, ref: str) -> ItemRef:
        """The item ``ref`` names: its id, or ``#N`` for the N-th item (1-based).

        Raises:
            ConfigError: No item has that id or position (the message says how to list them).
        """
        if ref.startswith("#") and ref[1:].isdigit():
            row = self._one("WHERE idx = ?", (int(ref[1:]) - 1,))
        else:
            row = self._one("WHERE item_id = ?", (ref,))
        if row is None:
            raise ConfigError(
                f"{self.dir}: no item {ref!r} (ids are listed by 'sparring view {self.dir} "
                "--list'; '#N' is the N-th item)"
            )
        return row

    def items(
        self, where: str = "", params: tuple[Any, ...] = (), limit: int = 50
    ) -> list[ItemRef]:
        """Items in order, filtered by an SQL condition on ``items``."""
        sql = f"SELECT idx, item_id, status, error, unscored FROM items {where} ORDER BY idx"
        rows = self._db.execute(f"{sql} LIMIT ?", (*params, limit)).fetchall()
        return [ItemRef(int(i), str(d), str(s), e, bool(u)) for i, d, s, e, u in rows]

    def refused_items(self, limit: int = 50) -> list[tuple[ItemRef, dict[str, int]]]:
        """Done items with refusals, and their refusal counts."""
        rows = self._db.execute(
            "SELECT item, name, value FROM counters WHERE name LIKE 'refused/%' ORDER BY item"
        ).fetchall()
        by_item: dict[int, dict[str, int]] = {}
        for item, name, value in rows:
            if len(by_item) >= limit and item not in by_item:
                break
            by_item.setdefault(int(item), {})[str(name).split("/", 1)[1]] = int(value)
        refs = {
            r.index: r
            for r in self.items(
                "WHERE idx IN (SELECT item FROM counters WHERE name LIKE 'refused/%')", limit=limit
            )
        }
        return [(refs[i], c) for i, c in by_item.items() if i in refs]

    def input_of(self, index: int) -> dict[str, Any]:
        """An item's input fields."""
        row = self._db.execute("SELECT input FROM items WHERE idx = ?", (index,)).fetchone()
        data: dict[str, Any] = json.loads(row[0]) if row else {}
        return data

    def output_of(self, index: int) -> dict[str, Any] | None:
        """An item's output (its final state), if it is done."""
        row = self._db.execute("SELECT data FROM outputs WHERE item = ?", (index,)).fetchone()
        return json.loads(row[0]) if row else None

    def records_of(self, index: int) -> list[tuple[str, dict[str, Any]]]:
        """An item's records as ``(kind, record)``, in the order written."""
        rows = self._db.execute(
            "SELECT kind, data FROM records WHERE item = ? ORDER BY kind, pos", (index,)
        ).fetchall()
        return [(str(k), json.loads(d)) for k, d in rows]

    def counters_of(self, index: int) -> dict[str, int]:
        """An item's counters (``refused/tie``, ``judged/judge``, ...)."""
        rows = self._db.execute(
            "SELECT name, value FROM counters WHERE item = ?", (index,)
        ).fetchall()
        return {str(n): int(v) for n, v in rows}

    def events_of(self, item_id: str) -> list[Event]:
        """Every event stamped with ``item_id``, in order (from the v2 index when present)."""
        rows = self._db.execute(
            "SELECT data FROM events WHERE json_extract(data, '$.item_id') = ? ORDER BY seq",
            (item_id,),
        ).fetchall()
        return [parse_event(d) for (d,) in rows]

    # -- the run as a whole -----------------------------------------------------------------
    def node_stats(self) -> list[NodeStat]:
        """Visits and total time per node, over every item (kept by the store as it runs)."""
        try:
            rows = self._db.execute("SELECT node, visits, seconds FROM node_totals").fetchall()
        except sqlite3.OperationalError:  # a store from before the totals: count its events
            rows = self._db.execute(
                "SELECT json_extract(data, '$.node'), count(*), "
                "sum(coalesce(json_extract(data, '$.duration_s'), 0)) FROM events "
                "WHERE kind = 'node' AND json_extract(data, '$.phase') != 'start' GROUP BY 1"
            ).fetchall()
        return [NodeStat(str(n), int(c), float(t)) for n, c, t in rows if n is not None]

    def visits_per_item(self, node: str) -> dict[int, int]:
        """How many items visited ``node`` k times: ``{k: items}``."""
        rows = self._db.execute(
            "SELECT n, count(*) FROM (SELECT count(*) AS n FROM events WHERE kind = 'node' "
            "AND json_extract(data, '$.phase') = 'end' AND json_extract(data, '$.node') = ? "
            "GROUP BY json_extract(data, '$.item_id')) GROUP BY n ORDER BY n",
            (node,),
        ).fetchall()
        return {int(k): int(v) for k, v in rows}

    def correct_by_round(self) -> dict[int, tuple[int, int]]:
        """``{round: (attempts, correct)}`` from outputs that list ``attempts`` with ``correct``.

        Graphs that try again (Reflexion, try-again loops) record each attempt in their
        output; a round is an attempt's position in that list (1-based).
        """
        rows = self._db.execute(
            "SELECT CAST(a.key AS INTEGER) + 1, count(*), sum(json_extract(a.value, '$.correct')) "
            "FROM outputs, json_each(outputs.data, '$.attempts') AS a "
            "WHERE json_type(a.value, '$.correct') IN ('true', 'false') GROUP BY 1 ORDER BY 1"
        ).fetchall()
        return {int(k): (int(n), int(c or 0)) for k, n, c in rows}

    def events_after(self, seq: int, limit: int = 1000) -> Iterator[tuple[int, Event]]:
        """Events added after ``seq`` (for following a live run)."""
        rows = self._db.execute(
            "SELECT seq, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        ).fetchall()
        for s, d in rows:
            yield int(s), parse_event(d)

    def last_seq(self) -> int:
        """The sequence number of the last event (0 when none)."""
        row = self._db.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def _one(self, where: str, params: tuple[Any, ...]) -> ItemRef | None:
        found = self.items(where, params, limit=1)
        return found[0] if found else None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> RunQuery:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
