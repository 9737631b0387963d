"""``SqliteRunStore``: the default run store, one SQLite file per run.

Durability. The file is in WAL mode with ``synchronous=NORMAL`` by default. A commit returns
once its frames are written to the WAL file, that is, once they are in the operating
system's page cache: a process killed with SIGKILL right after ``complete_item`` returns
cannot take that item back, because the kernel, not the process, owns those pages. What
NORMAL gives up is the fsync per commit, which matters only for power loss or a kernel crash;
even then the WAL's checksummed frames keep the file consistent (a torn commit is discarded
whole), so the last few finished items are redone, never half-kept nor duplicated. Pass
``synchronous="FULL"`` to fsync every commit as well, at the cost of one fsync per finished item.

Schema (``PRAGMA user_version`` is the schema version, ``PRAGMA application_id`` marks the
file as a run store)::

    meta(key PK, value)                      config, run status (JSON)
    items(idx PK, item_id, input, status, attempts, error, unscored)   + index on status
    input_errors(file, line, field, message) PK (file, line)
    records(id PK, kind, item, pos, data)    unique (kind, item, pos)
    counters(item, name, value)              PK (item, name)
    counter_totals(name PK, value, items)    running sums of ``counters``
    outputs(item PK, data)
    events(seq PK, kind, data)               + index on kind, and on data's item_id (v2);
                                             append-only, redacted

Invariant: ``records``, ``counters`` and ``outputs`` hold rows only for done items, and
``counter_totals`` holds, per name, the sum of ``counters`` and how many items gave it (a row
goes when that reaches zero), so ``counters()`` costs the same at 1M items as at 10. Every
statement that changes an item's status into or out of ``done`` changes those rows in the
same transaction, and ``done`` is left only through ``reset_items``.

Threads. The runner calls the store from one asyncio thread; the connection is opened with
``check_same_thread=False`` and every use of it holds one re-entrant lock, so calls from
worker threads (``asyncio.to_thread``) are safe too. Iterators take the lock per batch, never
across a ``yield``, so a half-read iterator never blocks a writer; each batch is a keyset
page, so rows written while an iterator is suspended may or may not be seen, but no row is
seen twice.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple, cast, get_args

from sparring._secrets import redact
from sparring.errors import StoreError, StoreVersionError
from sparring.memory._store import (
    RECORD_KINDS,
    InputError,
    ItemResult,
    ItemRow,
    ItemStatus,
    RecordKind,
    RunStore,
)
from sparring.memory._totals import CallTotals, NodeTotals, fold_calls, fold_nodes
from sparring.trace import Event, parse_event

__all__ = ["SCHEMA_VERSION", "SqliteRunStore", "StoreError", "StoreVersionError"]

SCHEMA_VERSION: Final = 2
APPLICATION_ID: Final = 0x53505247  # "SPRG"
STATUSES: Final[tuple[ItemStatus, ...]] = get_args(ItemStatus)
Synchronous = Literal["NORMAL", "FULL"]

_BATCH: Final = 1000  # rows per page for streaming reads and per executemany chunk
_ADD_CHUNK: Final = 10_000  # items per transaction in add_items
_BUSY_TIMEOUT_MS: Final = 10_000
_WAL_SIZE_LIMIT: Final = 32 * 1024 * 1024  # truncate the WAL back to this after a checkpoint
_MIN_SQLITE: Final = (3, 24, 0)  # upsert (ON CONFLICT ... DO) and row values

_SCHEMA_V1: Final[tuple[str, ...]] = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE items (
        idx INTEGER PRIMARY KEY,
        item_id TEXT NOT NULL,
        input TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'running', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        unscored INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX items_status ON items (status)",  # (status, idx): idx is the rowid
    """CREATE TABLE input_errors (
        file TEXT NOT NULL, line INTEGER NOT NULL, field TEXT, message TEXT NOT NULL,
        PRIMARY KEY (file, line)
    ) WITHOUT ROWID""",
    """CREATE TABLE records (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, item INTEGER NOT NULL,
        pos INTEGER NOT NULL, data TEXT NOT NULL
    )""",
    "CREATE UNIQUE INDEX records_order ON records (kind, item, pos)",
    """CREATE TABLE counters (
        item INTEGER NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
        PRIMARY KEY (item, name)
    ) WITHOUT ROWID""",
    """CREATE TABLE counter_totals (
        name TEXT PRIMARY KEY, value INTEGER NOT NULL, items INTEGER NOT NULL
    ) WITHOUT ROWID""",
    "CREATE TABLE outputs (item INTEGER PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE events (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX events_kind ON events (kind)",  # (kind, seq)
)

# v2: what a summary or the viewer of a 100k-item run needs without re-reading every event:
# an item's events by index, and running totals per (role, model) and per node (rebuilt here
# from the events of a store written before).
_CALL_TOTAL_COLS: Final = (
    "calls, prompt_tokens, completion_tokens, cost_usd, unpriced, failed, cache_hits, retries"
)
_SCHEMA_V2: Final = (
    "CREATE INDEX events_item ON events (json_extract(data, '$.item_id'), seq)",
    """CREATE TABLE call_totals (
        role TEXT NOT NULL, model TEXT NOT NULL, calls INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL, unpriced INTEGER NOT NULL, failed INTEGER NOT NULL,
        cache_hits INTEGER NOT NULL, retries INTEGER NOT NULL, PRIMARY KEY (role, model)
    ) WITHOUT ROWID""",
    """CREATE TABLE node_totals (
        node TEXT PRIMARY KEY, visits INTEGER NOT NULL, seconds REAL NOT NULL
    ) WITHOUT ROWID""",
    f"""INSERT INTO call_totals (role, model, {_CALL_TOTAL_COLS})
        SELECT coalesce(json_extract(data, '$.role'), '(no role)'), json_extract(data, '$.model'),
            sum(kind = 'model_call'),
            sum(coalesce(json_extract(data, '$.prompt_tokens'), 0)),
            sum(coalesce(json_extract(data, '$.completion_tokens'), 0)),
            sum(coalesce(json_extract(data, '$.cost_usd'), 0)),
            sum(kind = 'model_call' AND json_extract(data, '$.cost_usd') IS NULL
                AND coalesce(json_extract(data, '$.cache_hits'), 0) = 0
                AND json_extract(data, '$.error') IS NULL),
            sum(kind = 'model_call' AND json_extract(data, '$.error') IS NOT NULL),
            sum(kind = 'model_call' AND coalesce(json_extract(data, '$.cache_hits'), 0) > 0),
            sum(kind = 'model_retry')
        FROM events WHERE kind IN ('model_call', 'model_retry') GROUP BY 1, 2""",
    """INSERT INTO node_totals (node, visits, seconds)
        SELECT json_extract(data, '$.node'), count(*),
            sum(coalesce(json_extract(data, '$.duration_s'), 0))
        FROM events WHERE kind = 'node' AND json_extract(data, '$.phase') != 'start'
            AND json_extract(data, '$.node') IS NOT NULL GROUP BY 1""",
)

# _MIGRATIONS[n] takes a store from schema version n to n + 1. Append, never edit.
_MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (_SCHEMA_V1, _SCHEMA_V2)

_KINDS_SQL: Final = ", ".join(f"'{k}'" for k in RECORD_KINDS)
_ITEM_COLS: Final = "idx, item_id, input, status, attempts, error, unscored"


def _add_totals(
    conn: sqlite3.Connection, calls: dict[tuple[str, str], CallTotals], nodes: dict[str, NodeTotals]
) -> None:
    """Add a batch's totals to the running ones (in the caller's transaction)."""
    cols = _CALL_TOTAL_COLS.split(", ")
    conn.executemany(
        f"INSERT INTO call_totals (role, model, {_CALL_TOTAL_COLS}) VALUES ({', '.join('?' * 10)})"
        " ON CONFLICT (role, model) DO UPDATE SET "
        + ", ".join(f"{c} = {c} + excluded.{c}" for c in cols),
        [
            (
                t.role,
                t.model,
                t.calls,
                t.prompt_tokens,
                t.completion_tokens,
                t.cost_usd,
                t.unpriced,
                t.failed,
                t.cache_hits,
                t.retries,
            )
            for t in calls.values()
        ],
    )
    conn.executemany(
        "INSERT INTO node_totals (node, visits, seconds) VALUES (?, ?, ?) ON CONFLICT (node)"
        " DO UPDATE SET visits = visits + excluded.visits, seconds = seconds + excluded.seconds",
        [(t.node, t.visits, t.seconds) for t in nodes.values()],
    )


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _redact_tree(obj: Any) -> Any:
    """Redact every string (keys included) in a JSON tree."""
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, list):
        return [_redact_tree(v) for v in obj]
    if isinstance(obj, dict):
        return {redact(k): _redact_tree(v) for k, v in obj.items()}
    return obj


def _redacted_json(text: str, cleaned: str | None = None) -> str:
    """Redact a JSON document, keeping it valid JSON.

    The fast path redacts the text once (``cleaned``, when the caller already did). If that
    broke the document (a secret spanning JSON syntax), every string in the parsed tree is
    redacted instead.
    """
    if cleaned is None:
        cleaned = redact(text)
    if cleaned == text:
        return text
    try:
        json.loads(cleaned)
    except ValueError:
        return _dumps(_redact_tree(json.loads(text)))
    return cleaned


def _redacted_jsons(texts: list[str]) -> list[str]:
    """Redact many one-line JSON documents with one ``redact`` call.

    ``redact`` looks the secrets up on every call, which costs more than the replacing, so a
    batch is joined on newlines (never raw inside a JSON document), redacted once and split.
    """
    joined = "\n".join(texts)
    cleaned = redact(joined)
    if cleaned == joined:
        return texts
    parts = cleaned.split("\n")
    if len(parts) != len(texts):  # a secret held a newline: redact one by one
        return [_redacted_json(text) for text in texts]
    return [_redacted_json(text, part) for text, part in zip(texts, parts, strict=True)]


def _row_to_item(row: tuple[Any, ...]) -> ItemRow:
    idx, item_id, input_json, status, attempts, error, unscored = row
    return ItemRow(
        index=idx,
        item_id=item_id,
        input=json.loads(input_json),
        status=status,
        attempts=attempts,
        error=error,
        unscored=bool(unscored),
    )


def _check_statuses(statuses: Sequence[str]) -> list[ItemStatus]:
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise ValueError(f"unknown item status {unknown!r}; expected one of {STATUSES}")
    return list(dict.fromkeys(cast("list[ItemStatus]", list(statuses))))


def _encode_item(item: tuple[int, str, dict[str, Any]]) -> tuple[int, str, str]:
    index, item_id, data = item
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise ValueError(f"item index must be a non-negative int, got {index!r}")
    return index, str(item_id), _dumps(data)


class _EncodedResult(NamedTuple):
    """An ``ItemResult`` serialised before the write lock is taken."""

    records: list[tuple[str, int, int, str]]
    counters: list[tuple[int, str, int]]
    output: str
    unscored: bool


def _encode_result(index: int, result: ItemResult) -> _EncodedResult:
    records: list[tuple[str, int, int, str]] = []
    for kind, rows in result["records"].items():
        if kind not in RECORD_KINDS:
            raise ValueError(f"unknown record kind {kind!r}; expected one of {RECORD_KINDS}")
        records.extend((kind, index, pos, _dumps(row)) for pos, row in enumerate(rows))
    counters = [(index, str(name), int(value)) for name, value in result["counters"].items()]
    return _EncodedResult(records, counters, _dumps(result["output"]), bool(result["unscored"]))


def _after_seq(last: tuple[Any, ...] | None) -> int:
    return -1 if last is None else cast("int", last[0])


class SqliteRunStore(RunStore):
    """A run store in one SQLite file (WAL mode); see the module docstring for the design.

    Args:
        path: The database file; its parent directory is created if needed.
        synchronous: ``NORMAL`` (default: durable across a killed process, one fsync per
            WAL checkpoint) or ``FULL`` (also durable across power loss, one fsync per commit).

    Raises:
        StoreVersionError: The file has a newer schema than this sparring knows.
        StoreError: The file is not a sparring run store or not a database.
    """

    def __init__(self, path: str | Path, *, synchronous: Synchronous = "NORMAL") -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        self.path = Path(path)
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db: sqlite3.Connection | None = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False
        )
        try:
            self._configure(synchronous)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"{self.path}: not a usable run store: {exc}") from exc
        except BaseException:
            self.close()
            raise

    # -- connection, transactions and schema -------------------------------------------------
    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"run store {self.path} is closed")
        return self._db

    def _configure(self, synchronous: Synchronous) -> None:
        if sqlite3.sqlite_version_info < _MIN_SQLITE:
            raise StoreError(
                f"the run store needs SQLite >= {'.'.join(map(str, _MIN_SQLITE))};"
                f" this Python has {sqlite3.sqlite_version}"
            )
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(f"PRAGMA journal_size_limit = {_WAL_SIZE_LIMIT}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and one write transaction (``BEGIN IMMEDIATE``) for the block.

        The write lock is taken up front, so another process writing the same file makes this
        wait (``busy_timeout``) rather than fail half-way. Any error, the ``COMMIT``'s
        included, rolls the whole block back.
        """
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # SQLite may have rolled back already
                    conn.execute("ROLLBACK")
                raise

    def _migrate(self) -> None:
        with self._tx() as conn:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if app_id not in (0, APPLICATION_ID):
                raise StoreError(f"{self.path} is not a sparring run store")
            if version > SCHEMA_VERSION:
                raise StoreVersionError(
                    f"{self.path} has run-store schema version {version}, but this sparring "
                    f"reads versions up to {SCHEMA_VERSION}: upgrade sparring to open it"
                )
            if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise StoreError(f"{self.path} is a SQLite file of something else, not a run store")
            for step in _MIGRATIONS[version:]:
                for statement in step:
                    conn.execute(statement)
            if version < SCHEMA_VERSION:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _exists(self, conn: sqlite3.Connection, index: int) -> str:
        """The item's status; raises ``KeyError`` for an unknown index."""
        row = conn.execute("SELECT status FROM items WHERE idx = ?", (index,)).fetchone()
        if row is None:
            raise KeyError(f"no item with index {index}")
        return cast("str", row[0])

    # -- the run -----------------------------------------------------------------------------
    def _set_meta(self, key: str, value: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def _get_meta(self, key: str) -> Any:
        rows = self._fetch("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def save_config(self, config: dict[str, Any]) -> None:
        """Store the run's config (JSON, redacted); a second call replaces it."""
        self._set_meta("config", _redacted_json(_dumps(config)))

    def load_config(self) -> dict[str, Any] | None:
        """The run's config, or None for a new store."""
        return cast("dict[str, Any] | None", self._get_meta("config"))

    def set_status(self, status: str, detail: str | None = None) -> None:
        """Record the run's status and its (redacted) detail."""
        self._set_meta("status", _dumps([status, None if detail is None else redact(detail)]))

    def status(self) -> tuple[str, str | None]:
        """The run's last status and its detail (``("new", None)`` for a new store)."""
        found = self._get_meta("status")
        return ("new", None) if found is None else (found[0], found[1])

    # -- items -------------------------------------------------------------------------------
    def add_items(self, items: Iterable[tuple[int, str, dict[str, Any]]]) -> int:
        """Add ``(index, item_id, input)`` as pending; existing indexes are left alone.

        Items are written in transactions of 10,000, so an iterable of any length is
        streamed; a call cut short leaves a prefix added, which the next call completes.

        Returns:
            How many items were new.
        """
        added = 0
        source = iter(items)
        while chunk := [_encode_item(item) for item in islice(source, _ADD_CHUNK)]:
            with self._tx() as conn:
                before = conn.total_changes
                conn.executemany(
                    "INSERT INTO items (idx, item_id, input) VALUES (?, ?, ?)"
                    " ON CONFLICT (idx) DO NOTHING",
                    chunk,
                )
                added += conn.total_changes - before
        return added

    def add_input_errors(self, errors: Iterable[InputError]) -> None:
        """Record input lines that could not become items (same file and line: ignored)."""
        rows = [(e["file"], int(e["line"]), e["field"], redact(e["message"])) for e in errors]
        with self._tx() as conn:
            conn.executemany(
                "INSERT INTO input_errors (file, line, field, message) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (file, line) DO NOTHING",
                rows,
            )

    def input_errors(self) -> list[InputError]:
        """Every input error, by file and line."""
        rows = self._fetch("SELECT file, line, field, message FROM input_errors ORDER BY 1, 2")
        return [InputError(file=f, line=ln, field=fd, message=m) for f, ln, fd, m in rows]

    def items(
        self,
        statuses: Sequence[ItemStatus] | None = None,
        *,
        after: int = -1,
        limit: int | None = None,
    ) -> list[ItemRow]:
        """Items with one of ``statuses`` (all when None) and ``index > after``, by index.

        Use ``after``/``limit`` to page through a large run: each page is one indexed range
        query per status, so a page costs the same at the end of the run as at the start.
        """
        wanted = None if statuses is None else _check_statuses(statuses)
        out: list[ItemRow] = []
        while limit is None or len(out) < limit:
            size = _BATCH if limit is None else min(_BATCH, limit - len(out))
            page = self._items_page(wanted, after, size)
            out.extend(page)
            if len(page) < size:
                break
            after = page[-1]["index"]
        return out

    def _items_page(
        self, statuses: list[ItemStatus] | None, after: int, size: int
    ) -> list[ItemRow]:
        if size <= 0 or statuses == []:
            return []
        if statuses is None:
            sql = f"SELECT {_ITEM_COLS} FROM items WHERE idx > ? ORDER BY idx LIMIT ?"
            return [_row_to_item(r) for r in self._fetch(sql, (after, size))]
        sql = f"SELECT {_ITEM_COLS} FROM items WHERE status = ? AND idx > ? ORDER BY idx LIMIT ?"
        with self._lock:
            per_status = [self._fetch(sql, (status, after, size)) for status in statuses]
        merged = heapq.merge(*per_status, key=lambda row: cast("int", row[0]))
        return [_row_to_item(r) for r in islice(merged, size)]

    def item(self, index: int) -> ItemRow | None:
        """One item, or None."""
        rows = self._fetch(f"SELECT {_ITEM_COLS} FROM items WHERE idx = ?", (index,))
        return _row_to_item(rows[0]) if rows else None

    def mark_running(self, index: int) -> None:
        """Set an item running, count the attempt and clear its last error.

        A done item is left alone (only ``reset_items`` takes an item out of ``done``).

        Raises:
            KeyError: No item has this index.
        """
        with self._tx() as conn:
            if self._exists(conn, index) != "done":
                conn.execute(
                    "UPDATE items SET status = 'running', attempts = attempts + 1, error = NULL"
                    " WHERE idx = ?",
                    (index,),
                )

    def complete_item(self, index: int, result: ItemResult) -> None:
        """Atomically store the item's records, counters and output and mark it done.

        Completing an item that is already done changes nothing (no duplicate records).

        Raises:
            KeyError: No item has this index.
            ValueError: A record kind is unknown.
            TypeError: Something in the result is not JSON-serialisable.
        """
        encoded = _encode_result(index, result)
        with self._tx() as conn:
            if self._exists(conn, index) == "done":
                return
            self._delete_results(conn, [index])  # none by the invariant; cheap insurance
            conn.executemany(
                "INSERT INTO records (kind, item, pos, data) VALUES (?, ?, ?, ?)", encoded.records
            )
            conn.executemany(
                "INSERT INTO counters (item, name, value) VALUES (?, ?, ?)", encoded.counters
            )
            conn.executemany(
                "INSERT INTO counter_totals (name, value, items) VALUES (?, ?, 1)"
                " ON CONFLICT (name) DO UPDATE"
                " SET value = value + excluded.value, items = items + 1",
                [(name, value) for _, name, value in encoded.counters],
            )
            conn.execute("INSERT INTO outputs (item, data) VALUES (?, ?)", (index, encoded.output))
            conn.execute(
                "UPDATE items SET status = 'done', error = NULL, unscored = ? WHERE idx = ?",
                (int(encoded.unscored), index),
            )

    def fail_item(self, index: int, error: str) -> None:
        """Mark an item failed with its (redacted) cause; its records stay absent.

        A done item is left alone.

        Raises:
            KeyError: No item has this index.
        """
        cause = redact(error)
        with self._tx() as conn:
            if self._exists(conn, index) != "done":
                conn.execute(
                    "UPDATE items SET status = 'failed', error = ?, unscored = 0 WHERE idx = ?",
                    (cause, index),
                )

    def reset_items(self, statuses: Sequence[ItemStatus], *, unscored_only: bool = False) -> int:
        """Set matching items back to pending (``--retry-errors`` / ``--retry-unscored``).

        Done items that are reset lose their records, counters and output in the same
        transaction, so a re-run cannot duplicate them. Error and unscored flag are cleared;
        attempts are kept. Returns how many were reset.
        """
        wanted = _check_statuses(statuses)
        if not wanted:
            return 0
        where = f"status IN ({', '.join('?' * len(wanted))})"
        if unscored_only:
            where += " AND unscored = 1"
        with self._tx() as conn:
            if "done" in wanted:
                done = conn.execute(
                    f"SELECT idx FROM items WHERE {where} AND status = 'done'", wanted
                ).fetchall()
                self._delete_results(conn, [row[0] for row in done])
            cursor = conn.execute(
                f"UPDATE items SET status = 'pending', error = NULL, unscored = 0 WHERE {where}",
                wanted,
            )
            return cursor.rowcount

    @staticmethod
    def _delete_results(conn: sqlite3.Connection, indexes: list[int]) -> None:
        """Delete what the items produced and take their counters off the totals."""
        params = [(i,) for i in indexes]
        taken: dict[str, list[int]] = {}
        for (i,) in params:
            for name, value in conn.execute(
                "SELECT name, value FROM counters WHERE item = ?", (i,)
            ):
                total = taken.setdefault(name, [0, 0])
                total[0] += value
                total[1] += 1
        if taken:
            conn.executemany(
                "UPDATE counter_totals SET value = value - ?, items = items - ? WHERE name = ?",
                [(value, n, name) for name, (value, n) in taken.items()],
            )
            conn.execute("DELETE FROM counter_totals WHERE items <= 0")
            conn.executemany("DELETE FROM counters WHERE item = ?", params)
        conn.executemany(f"DELETE FROM records WHERE kind IN ({_KINDS_SQL}) AND item = ?", params)
        conn.executemany("DELETE FROM outputs WHERE item = ?", params)

    def counts(self) -> dict[ItemStatus, int]:
        """Items per status (every status present, zero when none)."""
        found = dict(self._fetch("SELECT status, count(*) FROM items GROUP BY status"))
        return {status: int(found.get(status, 0)) for status in STATUSES}

    # -- what items produced -----------------------------------------------------------------
    def _pages(
        self,
        sql: str,
        params: Callable[[tuple[Any, ...] | None], Sequence[Any]],
    ) -> Iterator[tuple[Any, ...]]:
        """Stream rows by keyset pages; ``params(last_row)`` gives each page's parameters."""
        last: tuple[Any, ...] | None = None
        while True:
            rows = self._fetch(sql, params(last))
            yield from rows
            if len(rows) < _BATCH:
                return
            last = rows[-1]

    def records(self, kind: RecordKind) -> Iterator[dict[str, Any]]:
        """Every record of a kind, by item index then graph order (streamed in pages)."""
        sql = (
            "SELECT item, pos, data FROM records WHERE kind = ? AND (item, pos) > (?, ?)"
            f" ORDER BY item, pos LIMIT {_BATCH}"
        )
        for _, _, data in self._pages(
            sql, lambda last: (kind, -1, -1) if last is None else (kind, last[0], last[1])
        ):
            yield json.loads(data)

    def counters(self) -> dict[str, int]:
        """The run's counter totals over done items."""
        rows = self._fetch("SELECT name, value FROM counter_totals ORDER BY name")
        return {name: int(total) for name, total in rows}

    def outputs(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(index, output)`` of every done item, by index (streamed in pages)."""
        sql = f"SELECT item, data FROM outputs WHERE item > ? ORDER BY item LIMIT {_BATCH}"
        for item, data in self._pages(sql, lambda last: (_after_seq(last),)):
            yield item, json.loads(data)

    # -- events ------------------------------------------------------------------------------
    def add_events(self, events: Sequence[Event]) -> None:
        """Append events in one transaction, each redacted with ``sparring._secrets.redact``."""
        if not events:
            return
        texts = _redacted_jsons([e.model_dump_json() for e in events])
        rows = [(e.kind, text) for e, text in zip(events, texts, strict=True)]
        calls: dict[tuple[str, str], CallTotals] = {}
        nodes: dict[str, NodeTotals] = {}
        fold_calls(events, calls)
        fold_nodes(events, nodes)
        with self._tx() as conn:
            conn.executemany("INSERT INTO events (kind, data) VALUES (?, ?)", rows)
            _add_totals(conn, calls, nodes)

    def call_totals(self) -> list[CallTotals]:
        """Calls, tokens, cost, failures and retries per (role, model), kept as events arrive."""
        rows = self._fetch(f"SELECT role, model, {_CALL_TOTAL_COLS} FROM call_totals")
        return [CallTotals(*row) for row in rows]

    def node_totals(self) -> list[NodeTotals]:
        """Finished visits and seconds per node, kept as events arrive."""
        return [NodeTotals(*row) for row in self._fetch("SELECT * FROM node_totals")]

    def record_counts(self) -> dict[RecordKind, int]:
        """How many records of each kind the done items hold (one query)."""
        found = dict(self._fetch("SELECT kind, count(*) FROM records GROUP BY kind"))
        return {kind: int(found.get(kind, 0)) for kind in RECORD_KINDS}

    def unscored_count(self) -> int:
        """Done items whose verdicts were all unscored (one query)."""
        rows = self._fetch("SELECT count(*) FROM items WHERE status = 'done' AND unscored = 1")
        return int(rows[0][0])

    def events(self, kind: str | None = None) -> Iterator[Event]:
        """Events in the order added, optionally of one ``kind`` (streamed in pages)."""
        if kind is None:
            sql = f"SELECT seq, data FROM events WHERE seq > ? ORDER BY seq LIMIT {_BATCH}"
            rows = self._pages(sql, lambda last: (_after_seq(last),))
        else:
            sql = (
                "SELECT seq, data FROM events WHERE kind = ? AND seq > ?"
                f" ORDER BY seq LIMIT {_BATCH}"
            )
            rows = self._pages(sql, lambda last: (kind, _after_seq(last)))
        for _, data in rows:
            yield parse_event(data)

    # -- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (idempotent); committed data is already on disk."""
        with self._lock:
            db, self._db = self._db, None
            if db is not None:
                db.close()

    def __repr__(self) -> str:
        state = "closed" if self._db is None else "open"
        return f"SqliteRunStore({str(self.path)!r}, {state})"
