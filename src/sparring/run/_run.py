"""``Run``: a run directory, from creation to resume, summary and export.

Example:
    >>> run = Run.create("runs/mr1", graph="meta-rewarding", roles=Roles.sim(seed=0),
    ...                  data="prompts.jsonl")              # doctest: +SKIP
    >>> asyncio.run(run.execute())                         # doctest: +SKIP
    >>> Run.open("runs/mr1").summary().items               # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sparring.errors import ConfigError
from sparring.export import ExportReport, Format, export_run
from sparring.graphs import REGISTRY
from sparring.memory._store import InputError, RunStore
from sparring.models import Roles
from sparring.run._config import (
    Budget,
    RunConfig,
    nonce_key_for,
    roles_from_config,
    roles_to_config,
)
from sparring.run._data import FieldMap, InputItem, read_items
from sparring.run._lock import RunLock
from sparring.run._runner import ItemDone, Runner
from sparring.run._summary import RunSummary, summarize
from sparring.trace import EventSink
from sparring.verify import AnswerExtraction, use_answer_extraction

__all__ = ["IngestReport", "Run"]

_BATCH = 1000


class IngestReport:
    """How many items a data file added and which lines were bad."""

    def __init__(self) -> None:
        self.added = 0
        self.read = 0
        self.errors: list[InputError] = []


def _open_store(run_dir: Path) -> RunStore:
    from sparring.memory._sqlite_store import SqliteRunStore

    return SqliteRunStore(run_dir / "run.sqlite")


class Run:
    """A run directory and its store.

    Attributes:
        dir: The run directory.
        store: Its run store.
        config: Its config.
        lock: The directory's process lock; ``execute`` takes it, and a caller that changes
            items before executing (a retry) takes it around both (it is reentrant).
    """

    def __init__(self, run_dir: Path, store: RunStore, config: RunConfig) -> None:
        self.dir, self.store, self.config = run_dir, store, config
        self.lock = RunLock(run_dir)

    @classmethod
    def create(
        cls,
        run_dir: str | Path,
        *,
        graph: str,
        roles: Roles,
        options: dict[str, Any] | None = None,
        seed: int = 0,
        concurrency: int = 8,
        budget: Budget | None = None,
        cache: bool = True,
        answer_extraction: AnswerExtraction = "strict",
    ) -> Run:
        """Start a new run directory (it must be new or empty).

        Everything is checked before anything is written: a bad option leaves no folder.
        ``answer_extraction`` is the rule every graph, verifier and summary of the run reads
        final answers with (``last_number_fallback`` opts in to the last-number fallback).

        Raises:
            ConfigError: The graph is unknown or the directory already holds a run.
            OptionError: A graph option is unknown or has a bad value.
        """
        from sparring import __version__

        if graph not in REGISTRY:
            raise ConfigError(f"no graph named {graph!r}; available: {', '.join(REGISTRY)}")
        spec = REGISTRY[graph]
        path = Path(run_dir)
        if (path / "run.sqlite").exists():
            raise ConfigError(f"{path} already holds a run: use 'sparring resume {path}'")
        spec.check_options(roles, options or {})
        path.mkdir(parents=True, exist_ok=True)
        bound, default = roles_to_config(roles, spec.roles)
        config = RunConfig(
            graph=graph,
            options=dict(options or {}),
            roles=bound,
            default_model=default,
            seed=seed,
            concurrency=concurrency,
            budget=budget or Budget(),
            cache=cache,
            nonce_key=nonce_key_for(seed, graph),
            version=__version__,
            answer_extraction=answer_extraction,
        )
        store = _open_store(path)
        store.save_config(config.model_dump(mode="json"))
        store.set_status("created")
        return cls(path, store, config)

    @classmethod
    def open(cls, run_dir: str | Path) -> Run:
        """Open an existing run directory.

        Raises:
            ConfigError: The directory holds no run.
        """
        path = Path(run_dir)
        if not (path / "run.sqlite").exists():
            raise ConfigError(f"{path} holds no run (no run.sqlite)")
        store = _open_store(path)
        data = store.load_config()
        if data is None:
            raise ConfigError(f"{path}: the run store has no config")
        return cls(path, store, RunConfig.model_validate(data))

    def ingest(
        self, data: str | Path, fields: FieldMap, *, strict: bool = False, limit: int | None = None
    ) -> IngestReport:
        """Stream a data file into the store as pending items (idempotent by row position).

        Args:
            data: The file.
            fields: Which fields feed the graph's inputs.
            strict: Stop at the first bad line (``InputProblem``) instead of recording it.
            limit: Read only the first ``limit`` good items.
        """
        spec = REGISTRY[self.config.graph]
        if spec.needs_answer and not fields.answer_required:
            fields = FieldMap(**{**asdict(fields), "answer_required": True})
        report = IngestReport()
        batch: list[tuple[int, str, dict[str, Any]]] = []
        for entry in read_items(data, fields, strict=strict):
            if isinstance(entry, InputItem):
                if limit is not None and report.read >= limit:
                    break
                report.read += 1
                batch.append((entry.index, entry.item_id, entry.input))
                if len(batch) >= _BATCH:
                    report.added += self.store.add_items(batch)
                    batch.clear()
            else:
                report.errors.append(entry)
        report.added += self.store.add_items(batch)
        self.store.add_input_errors(report.errors)
        config = self.config.model_copy(update={"data": str(data), "fields": asdict(fields)})
        self.store.save_config(config.model_dump(mode="json"))
        self.config = config
        return report

    def add_sim_tasks(self, count: int) -> int:
        """Add ``count`` tasks from the simulator's world (with gold answers where known)."""
        from sparring.run._sim_items import sim_items

        spec = REGISTRY[self.config.graph]
        return self.store.add_items(sim_items(spec, count, seed=self.config.seed))

    def add_prompt(
        self, prompt: str, *, answer: str | None = None, reference: str | None = None
    ) -> None:
        """Add one item by hand (a single-prompt run)."""
        item: dict[str, Any] = {"prompt": prompt}
        if answer is not None:
            item["answer"] = answer
        if reference is not None:
            item["reference"] = reference
        index = sum(self.store.counts().values())
        self.store.add_items([(index, f"prompt-{index}", item)])

    async def execute(
        self,
        *,
        roles: Roles | None = None,
        sinks: tuple[EventSink, ...] = (),
        on_item: ItemDone | None = None,
    ) -> str:
        """Run (or resume) every pending item; returns ``finished`` or ``stopped``.

        Raises:
            RunBusyError: Another process is running this directory.
        """
        with self.lock, use_answer_extraction(self.config.answer_extraction):
            runner = Runner(
                self.dir,
                self.store,
                self.config,
                roles or roles_from_config(self.config),
                sinks=sinks,
                on_item=on_item,
            )
            return await runner.run()

    def set_budget(self, budget: Budget) -> None:
        """Replace the run's budget (saved, so later resumes keep it)."""
        self.config = self.config.model_copy(update={"budget": budget})
        self.store.save_config(self.config.model_dump(mode="json"))

    def retry(self, *, errors: bool = False, unscored: bool = False) -> int:
        """Put failed (``errors``) and/or all-unscored done items back to pending."""
        count = 0
        if errors:
            count += self.store.reset_items(("failed",))
        if unscored:
            count += self.store.reset_items(("done",), unscored_only=True)
        return count

    def summary(self) -> RunSummary:
        """The run's summary (items, unscored rates, swap agreement, usage, health)."""
        return summarize(self.store)

    def export(
        self,
        fmt: Format,
        out_dir: str | Path,
        *,
        meta: bool = False,
        conversational: bool = False,
        kind: str | None = None,
        role: str | None = None,
    ) -> ExportReport:
        """Write the run's records in a trainer's format under ``out_dir`` (see ``export_run``)."""
        return export_run(
            self.store,
            fmt,
            out_dir,
            run_name=self.dir.name,
            meta=meta,
            conversational=conversational,
            kind=kind,
            role=role,
        )

    def outputs(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(index, output)`` of every finished item."""
        return self.store.outputs()

    def close(self) -> None:
        """Release the store."""
        self.store.close()
