"""The run store interface: what a dataset run keeps, and the one place it keeps it.

A run is a directory; its store holds the run's config, every item with its status, the
records each finished item produced (preference pairs, SFT, RL, PRM), the counters (unscored
verdicts, refusals, swaps), each item's output summary (verdicts, ratings, game scores), input
errors and events. Finishing an item writes its records, counters, output and ``done`` status in
one transaction, so a killed run never loses or duplicates a record.

``SqliteRunStore`` is the default backend; another backend (e.g. Postgres) implements
``RunStore`` and passes ``sparring.memory.conformance``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, Literal, Self, TypedDict

from sparring.memory._totals import CallTotals, NodeTotals, fold_calls, fold_nodes
from sparring.trace import Event

__all__ = [
    "RECORD_KINDS",
    "InputError",
    "ItemResult",
    "ItemRow",
    "ItemStatus",
    "RecordKind",
    "RunStore",
]

ItemStatus = Literal["pending", "running", "done", "failed"]
RecordKind = Literal["pairs", "sft", "rl", "prm", "instructions"]
RECORD_KINDS: tuple[RecordKind, ...] = ("pairs", "sft", "rl", "prm", "instructions")


class ItemRow(TypedDict):
    """One data item as stored.

    Attributes:
        index: Position in the input (0-based); the item's key.
        item_id: The item's own id (from the data, else ``str(index)``).
        input: The graph input (``prompt``, ``answer``, ...), JSON.
        status: pending, running, done or failed.
        attempts: How many times a run started it.
        error: Why it failed (failed items only), redacted.
        unscored: Whether its verdicts were all unscored (done items that produced no judgment).
    """

    index: int
    item_id: str
    input: dict[str, Any]
    status: ItemStatus
    attempts: int
    error: str | None
    unscored: bool


class ItemResult(TypedDict):
    """What a finished item produced, written in one transaction with its ``done`` status.

    Attributes:
        records: Records by kind (``pairs``, ``sft``, ``rl``, ``prm``), in graph order.
        counters: Named counters to add to the run's totals (``judged/judge``,
            ``unscored/judge``, ``refused/tie``, ``swaps``, ``swap_agreed``, ...).
        output: The item's output summary (technique-specific JSON: verdicts, ratings...).
        unscored: Whether the item yielded no scored verdict at all.
    """

    records: dict[RecordKind, list[dict[str, Any]]]
    counters: dict[str, int]
    output: dict[str, Any]
    unscored: bool


class InputError(TypedDict):
    """A line of input that could not become an item."""

    file: str
    line: int
    field: str | None
    message: str


class RunStore(ABC):
    """Everything a run keeps.

    Implementations must be safe to use from one event loop's thread and must make
    ``complete_item`` atomic; ``sparring.memory.conformance`` checks both, and these rules the
    runner relies on: ``mark_running`` and ``fail_item`` leave a done item alone; the item
    methods raise ``KeyError`` for an unknown index; a ``complete_item`` that raises leaves the
    item as it was; ``reset_items`` clears the error and the unscored flag but keeps attempts;
    iterators never yield a row twice. Page with ``items(..., after=, limit=)`` rather than
    asking for every item at once.
    """

    # -- the run ----------------------------------------------------------------------------
    @abstractmethod
    def save_config(self, config: dict[str, Any]) -> None:
        """Store the run's config (JSON); a second call replaces it."""

    @abstractmethod
    def load_config(self) -> dict[str, Any] | None:
        """The run's config, or None for a new store."""

    @abstractmethod
    def set_status(self, status: str, detail: str | None = None) -> None:
        """Record the run's status (``running``, ``finished``, ``stopped: budget``, ...)."""

    @abstractmethod
    def status(self) -> tuple[str, str | None]:
        """The run's last status and its detail (``("new", None)`` for a new store)."""

    # -- items ------------------------------------------------------------------------------
    @abstractmethod
    def add_items(self, items: Iterable[tuple[int, str, dict[str, Any]]]) -> int:
        """Add ``(index, item_id, input)`` as pending; existing indexes are left alone.

        Returns:
            How many items were new.
        """

    @abstractmethod
    def add_input_errors(self, errors: Iterable[InputError]) -> None:
        """Record input lines that could not become items (duplicates are ignored)."""

    @abstractmethod
    def input_errors(self) -> list[InputError]:
        """Every input error, by file and line."""

    @abstractmethod
    def items(
        self,
        statuses: Sequence[ItemStatus] | None = None,
        *,
        after: int = -1,
        limit: int | None = None,
    ) -> list[ItemRow]:
        """Items with one of ``statuses`` (all when None) and ``index > after``, by index."""

    @abstractmethod
    def item(self, index: int) -> ItemRow | None:
        """One item, or None."""

    @abstractmethod
    def mark_running(self, index: int) -> None:
        """Set an item running and count the attempt."""

    @abstractmethod
    def complete_item(self, index: int, result: ItemResult) -> None:
        """Atomically store the item's records, counters and output and mark it done.

        Completing an item that is already done changes nothing (no duplicate records).
        """

    @abstractmethod
    def fail_item(self, index: int, error: str) -> None:
        """Mark an item failed with its (redacted) cause; its records stay absent."""

    @abstractmethod
    def reset_items(self, statuses: Sequence[ItemStatus], *, unscored_only: bool = False) -> int:
        """Set matching items back to pending (``--retry-errors`` / ``--retry-unscored``).

        Done items that are reset lose their records, counters and output in the same
        transaction, so a re-run cannot duplicate them. Returns how many were reset.
        """

    @abstractmethod
    def counts(self) -> dict[ItemStatus, int]:
        """Items per status (every status present, zero when none)."""

    # -- what items produced ----------------------------------------------------------------
    @abstractmethod
    def records(self, kind: RecordKind) -> Iterator[dict[str, Any]]:
        """Every record of a kind, by item index then graph order."""

    @abstractmethod
    def counters(self) -> dict[str, int]:
        """The run's counter totals over done items."""

    @abstractmethod
    def outputs(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(index, output)`` of every done item, by index."""

    # -- events -----------------------------------------------------------------------------
    @abstractmethod
    def add_events(self, events: Sequence[Event]) -> None:
        """Append events (already redacted by the caller's sink or not: the store redacts)."""

    @abstractmethod
    def events(self, kind: str | None = None) -> Iterator[Event]:
        """Events in the order added, optionally of one ``kind``."""

    # -- totals (a store may keep them as events arrive; these rebuild them) ----------------
    def call_totals(self) -> list[CallTotals]:
        """Calls, tokens, cost, failures and retries per (role, model), over every event."""
        totals: dict[tuple[str, str], CallTotals] = {}
        fold_calls(self.events(), totals)
        return list(totals.values())

    def node_totals(self) -> list[NodeTotals]:
        """Finished visits and seconds per graph node, over every event."""
        totals: dict[str, NodeTotals] = {}
        fold_nodes(self.events("node"), totals)
        return list(totals.values())

    def record_counts(self) -> dict[RecordKind, int]:
        """How many records of each kind the done items hold."""
        return {kind: sum(1 for _ in self.records(kind)) for kind in RECORD_KINDS}

    def unscored_count(self) -> int:
        """Done items whose verdicts were all unscored."""
        count, after = 0, -1
        while rows := self.items(("done",), after=after, limit=1000):
            count += sum(1 for r in rows if r["unscored"])
            after = rows[-1]["index"]
        return count

    @abstractmethod
    def close(self) -> None:
        """Flush and release the backend (idempotent)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
