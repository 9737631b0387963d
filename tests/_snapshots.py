"""Topology snapshots: a graph's mermaid drawing compared with ``tests/snapshots/<name>.mmd``.

Set ``SPARRING_UPDATE_SNAPSHOTS=1`` to (re)write the files; review the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SNAPSHOTS = Path(__file__).parent / "snapshots"


def _compare(text: str, path: Path, what: str) -> None:
    """Compare ``text`` with the snapshot at ``path``, writing it when asked or missing."""
    if os.environ.get("SPARRING_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if os.environ.get("SPARRING_UPDATE_SNAPSHOTS") != "1":
            raise AssertionError(f"snapshot {path.name} was missing and has been written; rerun")
    assert text == path.read_text(encoding="utf-8"), f"{what} changed"


def assert_topology(graph: Any, name: str) -> None:
    """Compare ``graph.get_graph().draw_mermaid()`` with the stored snapshot ``name``."""
    drawn = graph.get_graph().draw_mermaid().strip() + "\n"
    _compare(drawn, SNAPSHOTS / f"{name}.mmd", f"topology of {name}")


def assert_text_snapshot(text: str, name: str) -> None:
    """Compare rendered text with ``tests/snapshots/<name>.txt`` (same update rule)."""
    _compare(text, SNAPSHOTS / f"{name}.txt", f"rendering {name}")
