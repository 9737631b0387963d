"""What runs keep: the run store (SQLite by default), lessons, and ratings.

Names load on first use (``from sparring.memory import SqliteRunStore``), so importing this
package pulls in nothing heavy. Submodules: ``ratings`` (Bradley-Terry, Elo, tournaments),
``lessons`` (Reflexion lessons on a LangGraph store), ``conformance`` (the suite any run-store
backend must pass).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sparring.memory._sqlite_store import (
        SCHEMA_VERSION,
        SqliteRunStore,
        StoreError,
        StoreVersionError,
    )
    from sparring.memory._store import (
        RECORD_KINDS,
        InputError,
        ItemResult,
        ItemRow,
        ItemStatus,
        RecordKind,
        RunStore,
    )

__all__ = [
    "RECORD_KINDS",
    "SCHEMA_VERSION",
    "InputError",
    "ItemResult",
    "ItemRow",
    "ItemStatus",
    "RecordKind",
    "RunStore",
    "SqliteRunStore",
    "StoreError",
    "StoreVersionError",
]

_HOME = {
    **dict.fromkeys(
        ("SCHEMA_VERSION", "SqliteRunStore", "StoreError", "StoreVersionError"),
        "sparring.memory._sqlite_store",
    ),
    **dict.fromkeys(
        (
            "RECORD_KINDS",
            "InputError",
            "ItemResult",
            "ItemRow",
            "ItemStatus",
            "RecordKind",
            "RunStore",
        ),
        "sparring.memory._store",
    ),
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'sparring.memory' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
