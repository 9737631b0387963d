"""Export a run's records for trainers, as a Hugging Face ``datasets``-loadable folder.

The folder holds ``data/train.jsonl`` and a ``README.md`` whose front matter declares the data
files, so ``datasets.load_dataset(folder)`` works. Files are written to a temporary name and
renamed, so a killed export never leaves a half-written file behind.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sparring.errors import ConfigError
from sparring.export._formats import FORMATS, SOURCE, Format, rows_for
from sparring.memory._store import RecordKind, RunStore

__all__ = ["FORMATS", "SOURCE", "ExportReport", "Format", "export_run"]

_CARD = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train.jsonl
---
# {name}

Exported by sparring from run `{run}` (graph `{graph}`) in the `{fmt}` format: {rows} rows.
Refused while exporting: {refused}.
"""


@dataclass
class ExportReport:
    """What an export wrote and what it refused."""

    path: Path
    format: str
    rows: int
    refused: dict[str, int] = field(default_factory=dict)


def export_run(
    store: RunStore,
    fmt: Format,
    out_dir: str | Path,
    *,
    run_name: str = "run",
    meta: bool = False,
    conversational: bool = False,
) -> ExportReport:
    """Write the run's records in ``fmt`` under ``out_dir``.

    When no record survives (all refused, or none of this kind), nothing is written and the
    report says ``rows=0``: an empty ``train.jsonl`` only fails later, in ``load_dataset``.

    Raises:
        ConfigError: ``fmt`` is not a known format.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out_dir)
    refused: Counter[str] = Counter()
    kind: RecordKind = SOURCE[fmt]  # type: ignore[assignment]
    target = out / "data" / "train.jsonl"
    tmp = target.with_suffix(".jsonl.tmp")
    rows = 0
    source = rows_for(
        fmt,
        store.records(kind),
        conversational=conversational,
        meta=meta,
        refuse=lambda why: refused.update([why]),
    )
    first = next(source, None)
    earlier = Counter(
        {k.split("/", 1)[1]: v for k, v in store.counters().items() if k.startswith("refused/")}
    )
    if first is None:  # nothing to write: no empty file that `load_dataset` would choke on
        return ExportReport(path=out, format=fmt, rows=0, refused=dict(earlier + refused))
    (out / "data").mkdir(parents=True, exist_ok=True)
    with tmp.open("w", encoding="utf-8") as fh:
        for row in itertools.chain([first], source):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            rows += 1
    tmp.replace(target)
    config = store.load_config() or {}
    total = earlier + refused  # the run's refusals and those met while writing
    card = _CARD.format(
        name=f"{run_name} ({fmt})",
        run=run_name,
        graph=config.get("graph", "?"),
        fmt=fmt,
        rows=rows,
        refused=dict(total) or "none",
    )
    (out / "README.md").write_text(card, encoding="utf-8")
    return ExportReport(path=out, format=fmt, rows=rows, refused=dict(total))
