"""Keep the garbage collector off the objects a run starts with (``gc.freeze``).

A process that imported LiteLLM, LangGraph and pydantic holds some 400k objects that live as
long as it does. Every full collection walks all of them, and a run triggers one every few
hundred items: measured, about a fifth of a simulator run's CPU went to re-checking objects
that can never be freed. ``gc.freeze`` moves what is alive now into a generation the
collector skips; ``gc.unfreeze`` at the end hands them back, so a finished run's own objects
(its graph, savers, gateway) are collected as usual and nothing leaks across runs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["frozen_heap"]

_depth = 0  # runs inside this process that froze the heap and have not ended


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the current heap for the block (nested and concurrent runs share one freeze).

    Does nothing when the collector is disabled or someone else already froze the heap
    (an application that manages ``gc.freeze`` itself keeps control of it).
    """
    global _depth
    if _depth == 0 and (not gc.isenabled() or gc.get_freeze_count()):
        yield
        return
    if _depth == 0:
        gc.freeze()
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            gc.unfreeze()
