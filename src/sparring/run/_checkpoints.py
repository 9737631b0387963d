"""The run's LangGraph checkpointer: SQLite on the event loop's own thread.

``AsyncSqliteSaver`` hands every statement to aiosqlite's worker thread and waits for the
answer: a cursor, an execute, a commit and a close are four round trips between threads per
checkpoint, each a future, a wake-up of the event loop and a GIL hand-over. A checkpointed run
writes a few checkpoints per item, and those round trips cost more CPU than the item's graph
itself. This saver runs the same statements (``SqliteSaver``'s, on the same schema, so a run
directory written by either one resumes with the other) directly on the loop's thread.

Blocking the loop is cheap here because nothing waits on the disk: the file is in WAL mode
with ``synchronous=NORMAL``, as the run store is (see ``sparring.memory._sqlite_store``): a
commit is a write into the page cache, durable across a killed process, and fsynced at WAL
checkpoints. A checkpoint is on disk (for a ``SIGKILL``) before ``aput`` returns, as
``durability="sync"`` needs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
)
from langgraph.checkpoint.sqlite import SqliteSaver

__all__ = ["LoopSqliteSaver", "open_checkpoints"]

_BUSY_TIMEOUT_MS = 30_000


class LoopSqliteSaver(SqliteSaver):
    """``SqliteSaver`` whose async methods run its sync ones in place (no worker thread).

    Use it from one event loop's thread (the runner does); the saver's lock still guards the
    connection against a sync caller on another thread.
    """

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint for ``config`` (its latest when it names none), or None."""
        return self.get_tuple(config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """The checkpoints matching ``config``, newest first."""
        # Read them all before yielding: the sync iterator holds the saver's lock while it is
        # open, and an async consumer may interleave other saver calls between items.
        for item in list(self.list(config, filter=filter, before=before, limit=limit)):
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Save a checkpoint (committed before this returns)."""
        return self.put(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Save a task's pending writes (committed before this returns)."""
        self.put_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        """Delete a thread's checkpoints and writes."""
        self.delete_thread(thread_id)

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """``SqliteSaver.get_delta_channel_history``, for async callers."""
        return self.get_delta_channel_history(config=config, channels=channels)


@contextmanager
def open_checkpoints(path: Path) -> Iterator[LoopSqliteSaver]:
    """Open (creating if needed) the checkpoint file at ``path``; close it on exit.

    Args:
        path: The SQLite file (``checkpoints.sqlite`` in a run directory).

    Yields:
        The saver, its schema set up.
    """
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        saver = LoopSqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()
