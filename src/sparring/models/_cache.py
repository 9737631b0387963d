"""A response cache on disk (SQLite), keyed on everything that changes the answer.

The key covers the model, the API base, the messages, every sampling parameter, ``n`` and
the first sample index. Only successful calls are stored. Sampled calls (temperature > 0)
are cached only when seeded, since an unseeded sample is meant to differ each time.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sparring.models._types import ChatMessage, Completion, Usage

__all__ = ["ResponseCache", "cache_key", "is_cacheable"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    created REAL NOT NULL,
    payload TEXT NOT NULL
)
"""
_KEY_VERSION = 1


def cache_key(
    *,
    model: str,
    api_base: str | None,
    messages: Sequence[ChatMessage],
    params: Mapping[str, Any],
    n: int,
    sample_index: int,
) -> str:
    """A stable hash of everything that decides a call's output."""
    blob = json.dumps(
        {
            "v": _KEY_VERSION,
            "model": model,
            "api_base": api_base,
            "messages": list(messages),
            "params": dict(params),
            "n": n,
            "sample_index": sample_index,
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def is_cacheable(params: Mapping[str, Any]) -> bool:
    """Greedy calls and seeded calls are replayable; unseeded samples are not."""
    temperature = params.get("temperature")
    greedy = temperature is not None and float(temperature) == 0.0
    return greedy or params.get("seed") is not None


class ResponseCache:
    """SQLite-backed cache of completions; safe to share between threads and processes.

    Args:
        path: The database file (created with its folder).
        enabled: False turns every lookup into a miss and every store into a no-op.
    """

    def __init__(self, path: str | Path, *, enabled: bool = True) -> None:
        self.path = Path(path)
        self.enabled = enabled
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def get(self, key: str) -> tuple[list[Completion], Usage, float | None] | None:
        """The stored completions, original usage and cost for a key, or None."""
        if not self.enabled:
            return None
        with self._lock:
            row = self._db.execute("SELECT payload FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        completions = [Completion.model_validate(c) for c in data["completions"]]
        return completions, Usage.model_validate(data["usage"]), data.get("cost_usd")

    def put(
        self,
        key: str,
        *,
        model: str,
        completions: Sequence[Completion],
        usage: Usage,
        cost_usd: float | None,
    ) -> None:
        """Store a successful call (one row, written atomically)."""
        if not self.enabled:
            return
        payload = json.dumps(
            {
                "completions": [c.model_dump(exclude={"cache_hit"}) for c in completions],
                "usage": usage.model_dump(),
                "cost_usd": cost_usd,
            },
            ensure_ascii=False,
        )
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, model, created, payload) VALUES (?,?,?,?)",
                (key, model, time.time(), payload),
            )

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM responses").fetchone()
        return int(count)

    def clear(self) -> None:
        """Delete every stored response."""
        with self._lock:
            self._db.execute("DELETE FROM responses")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
