"""Export a run's records for trainers, as a Hugging Face ``datasets``-loadable folder.

The folder holds ``data/train.jsonl`` (or, for an rl export of several roles, one
``data/ROLE/train.jsonl`` per role, each its own config) and a ``README.md`` whose front matter
declares the data files, so ``datasets.load_dataset(folder)`` works, and whose body states the
training recipe for the pinned trainers. Files are written to a temporary name and renamed, so a
killed export never leaves a half-written file behind.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparring.errors import ConfigError
from sparring.export._convert import prm_as_token_labels, rl_as_kto
from sparring.export._filters import PAIR_KINDS, ExportFilter, record_role
from sparring.export._formats import FORMATS, SOURCE, Format, rows_for
from sparring.export._prompts import prompt_records
from sparring.export._recipes import RECIPES, Recipe, irpo_fields, recipe_card
from sparring.memory._store import RecordKind, RunStore

__all__ = [
    "FORMATS",
    "PAIR_KINDS",
    "RECIPES",
    "SOURCE",
    "ExportFilter",
    "ExportReport",
    "Format",
    "Recipe",
    "export_run",
    "prm_as_token_labels",
    "record_role",
    "rl_as_kto",
]

_CARD = """---
configs:
{configs}---
# {name}

Exported by sparring from run `{run}` (graph `{graph}`) in the `{fmt}` format: {rows} rows{split}.
Refused while exporting: {refused}.{left_out}

Load it with a fresh `datasets.load_dataset(DIR, cache_dir=...)` when a folder of the same
name was loaded before: datasets 5.2 caches a local folder by its name (even
`download_mode="force_redownload"` keeps the old schema) and would return stale rows.
"""


@dataclass
class ExportReport:
    """What an export wrote, what it refused, and what the filters left out.

    Attributes:
        path: The export folder.
        format: The format written.
        rows: Rows written in all.
        refused: Refusal reason to count (the run's and the export's).
        left_out: Records the ``kind``/``role`` filters left out, as ``"kind judgment"`` or
            ``"role sneaky"`` to count.
        configs: Rows per dataset config (``default``, or one per role for a split rl export).
    """

    path: Path
    format: str
    rows: int
    refused: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)
    configs: dict[str, int] = field(default_factory=dict)


def _check(fmt: str, filt: ExportFilter) -> None:
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if filt.kind is not None and SOURCE[fmt] != "pairs":
        raise ConfigError(f"--kind filters pair records; the {fmt} format has none")
    if filt.kind is not None and filt.kind not in PAIR_KINDS:
        raise ConfigError(f"unknown pair kind {filt.kind!r}; choose one of {', '.join(PAIR_KINDS)}")
    if filt.role is not None and fmt == "prompts":
        raise ConfigError("--role does not apply to the prompts format (its rows are items)")


def _source(store: RunStore, fmt: Format, refuse: Any) -> Iterator[dict[str, Any]]:
    if SOURCE[fmt] == "items":
        options = (store.load_config() or {}).get("options") or {}
        return prompt_records(store.items(), options, refuse)
    kind: RecordKind = SOURCE[fmt]  # type: ignore[assignment]
    return store.records(kind)


def _group(fmt: Format, records: Iterable[dict[str, Any]], split: bool) -> dict[str, list[Any]]:
    """Records by config: one per role for an rl export of several roles, else ``default``."""
    groups: dict[str, list[Any]] = {}
    for record in records:
        name = (record_role(record) or "none") if split else "default"
        groups.setdefault(name, []).append(record)
    if split and len(groups) == 1:
        return {"default": next(iter(groups.values()))}
    return groups


def _write_jsonl(target: Path, rows: Iterable[dict[str, Any]]) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp, count = target.with_suffix(".jsonl.tmp"), 0
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    tmp.replace(target)
    return count


def _data_path(name: str) -> str:
    return "data/train.jsonl" if name == "default" else f"data/{name}/train.jsonl"


def _recipe_fields(store: RunStore, fmt: Format, graph: str) -> dict[str, Any] | None:
    """IRPO pairs train with DPO + NLL: the card gives the TRL fields from the pairs' meta."""
    if fmt != "trl-dpo" or graph != "irpo":
        return None
    for pair in store.records("pairs"):
        extra = (pair.get("meta") or {}).get("extra") or {}
        return irpo_fields(float(extra.get("rpo_alpha", 1.0)), float(extra.get("beta", 0.1)))
    return None


def _card(store: RunStore, fmt: Format, run_name: str, report: ExportReport) -> str:
    graph = str((store.load_config() or {}).get("graph", "?"))
    configs = "".join(
        f"- config_name: {name}\n  data_files:\n  - split: train\n    path: {_data_path(name)}\n"
        for name in report.configs
    )
    split = ""
    if list(report.configs) != ["default"]:
        split = (
            " (" + ", ".join(f"{k}: {v}" for k, v in report.configs.items()) + ", one config each)"
        )
    left = report.left_out
    left_out = f"\nLeft out by the filters: {left}." if left else ""
    head = _CARD.format(
        configs=configs,
        name=f"{run_name} ({fmt})",
        run=run_name,
        graph=graph,
        fmt=fmt,
        rows=report.rows,
        split=split,
        refused=report.refused or "none",
        left_out=left_out,
    )
    if fmt not in RECIPES:  # e.g. ``instructions``: data for the next run, not for a trainer
        return head
    return head + recipe_card(fmt, _recipe_fields(store, fmt, graph))


def export_run(
    store: RunStore,
    fmt: Format,
    out_dir: str | Path,
    *,
    run_name: str = "run",
    meta: bool = False,
    conversational: bool = False,
    kind: str | None = None,
    role: str | None = None,
) -> ExportReport:
    """Write the run's records in ``fmt`` under ``out_dir``.

    When no record survives (all refused, filtered out, or none of this kind), nothing is
    written and the report says ``rows=0``: an empty ``train.jsonl`` only fails later, in
    ``load_dataset``. An rl export of a run with several roles and no ``role`` writes one
    dataset config per role, never one table mixing them.

    Args:
        store: The run's store.
        fmt: The format (see ``FORMATS``).
        out_dir: The export folder.
        run_name: Named in the card.
        meta: Add a ``meta`` provenance column.
        conversational: Chat-message columns instead of strings.
        kind: Keep only pairs of this kind (``response``, ``judgment``, ``critique``, ``step``).
        role: Keep only records that train this role (see ``record_role``).

    Raises:
        ConfigError: ``fmt`` is not a known format, or a filter does not apply to it.
    """
    filt = ExportFilter(kind=kind, role=role)
    _check(fmt, filt)
    out = Path(out_dir)
    refused: Counter[str] = Counter()
    left_out: Counter[str] = Counter()
    records = filt.apply(_source(store, fmt, lambda why: refused.update([why])), left_out)
    groups = _group(fmt, records, split=fmt == "rl" and role is None)
    built = {
        name: list(
            rows_for(
                fmt,
                recs,
                conversational=conversational,
                meta=meta,
                refuse=lambda why: refused.update([why]),
            )
        )
        for name, recs in groups.items()
    }
    built = {name: rows for name, rows in built.items() if rows}
    earlier = Counter(
        {k.split("/", 1)[1]: v for k, v in store.counters().items() if k.startswith("refused/")}
    )
    report = ExportReport(
        path=out,
        format=fmt,
        rows=sum(len(r) for r in built.values()),
        refused=dict(earlier + refused),  # the run's refusals and those met while writing
        left_out=dict(left_out),
    )
    if not built:  # nothing to write: no empty file that `load_dataset` would choke on
        return report
    for name, rows in built.items():
        report.configs[name] = _write_jsonl(out / _data_path(name), rows)
    (out / "README.md").write_text(_card(store, fmt, run_name, report), encoding="utf-8")
    return report
