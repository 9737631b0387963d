"""The technique graphs: ``create_<technique>_graph(roles, ...)`` factories and ``REGISTRY``.

Importing this package is cheap; a graph's module (and LangGraph) loads on first use.
"""

from __future__ import annotations

from typing import Any

from sparring.graphs._registry import REGISTRY, GraphSpec, Registry
from sparring.graphs._state import ItemInput, RecordsState, merge_counts

__all__ = ["REGISTRY", "GraphSpec", "ItemInput", "RecordsState", "Registry", "merge_counts"]


def __getattr__(name: str) -> Any:
    # create_<technique>_graph: import the technique's module on first use.
    for spec in REGISTRY.planned():
        if spec.factory == name and spec.available:
            return spec.load()
    raise AttributeError(f"module 'sparring.graphs' has no attribute {name!r}")
