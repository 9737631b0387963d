"""Streaming data input: JSONL, CSV and Parquet, with field mapping and errors that name the spot.

Items are read one at a time (memory stays flat however large the file). A malformed line, a
missing field or an invalid encoding becomes an ``InputError`` naming the file, the line and the
field; the other items go on (``strict=True`` stops at the first error instead).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparring.errors import ConfigError
from sparring.memory._store import InputError

__all__ = ["FieldMap", "InputItem", "InputProblem", "read_items"]

_MAX_FIELD = 1_000_000  # characters; a longer field is almost surely a broken file


@dataclass(frozen=True)
class FieldMap:
    """Which input fields feed the graph's input keys.

    Attributes:
        prompt: The field holding the prompt (required in every row).
        answer: The field holding the gold answer (optional unless the graph needs it).
        reference: The field holding a reference answer a judge may see.
        id: The field holding the item's id (else ``line-N``).
        extra: More graph input keys, as ``key -> field`` (e.g. ``response_a``).
        answer_required: Rows without an answer are errors.
    """

    prompt: str = "prompt"
    answer: str | None = "answer"
    reference: str | None = None
    id: str | None = "id"
    extra: dict[str, str] = field(default_factory=dict)
    answer_required: bool = False


@dataclass(frozen=True)
class InputItem:
    """One good row: its position, id and the graph input it maps to."""

    index: int
    item_id: str
    input: dict[str, Any]


class InputProblem(ValueError):
    """Raised in strict mode: the first bad row."""

    def __init__(self, error: InputError) -> None:
        self.error = error
        where = f"{error['file']}:{error['line']}"
        what = f" field {error['field']!r}:" if error["field"] else ""
        super().__init__(f"{where}:{what} {error['message']}")


def _text(value: Any, name: str) -> str:
    if isinstance(value, str):
        if any("\udc80" <= c <= "\udcff" for c in value):  # surrogateescape'd bad bytes
            raise ValueError(f"{name}: not valid UTF-8")
        if len(value) > _MAX_FIELD:
            raise ValueError(f"{name}: longer than {_MAX_FIELD:,} characters")
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{name}: expected text, got {type(value).__name__}")


def _map_row(row: dict[str, Any], fields: FieldMap) -> tuple[str | None, dict[str, Any]]:
    """The row's id and graph input; raises ``KeyError``/``ValueError`` naming the field."""
    if fields.prompt not in row or row[fields.prompt] in (None, ""):
        raise KeyError(fields.prompt)
    out: dict[str, Any] = {"prompt": _text(row[fields.prompt], fields.prompt)}
    optional = {"answer": fields.answer, "reference": fields.reference, **fields.extra}
    for key, name in optional.items():
        if name is not None and row.get(name) not in (None, ""):
            out[key] = _text(row[name], name)
        elif key in fields.extra:
            raise KeyError(name)
    if fields.answer_required and "answer" not in out:
        raise KeyError(fields.answer or "answer")
    item_id = None
    if fields.id is not None and row.get(fields.id) not in (None, ""):
        item_id = _text(row[fields.id], fields.id)
    return item_id, out


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                yield number, f"not valid UTF-8 (byte {err.start})"
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                yield number, f"not valid JSON: {err.msg} (column {err.colno})"
                continue
            yield number, row if isinstance(row, dict) else "not a JSON object"


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            if None in row:
                yield reader.line_num, "more values than header columns"
                continue
            yield reader.line_num, dict(row)


def _parquet_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow)") from None
    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            number += 1
            yield number, row


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return _jsonl_rows(path)
    if suffix in (".csv", ".tsv"):
        return _csv_rows(path)
    if suffix == ".parquet":
        return _parquet_rows(path)
    raise ConfigError(f"{path}: unknown data format {suffix!r} (use .jsonl, .csv or .parquet)")


def read_items(
    path: str | Path, fields: FieldMap, *, strict: bool = False
) -> Iterator[InputItem | InputError]:
    """Yield an ``InputItem`` per good row and an ``InputError`` per bad one, in file order.

    The item index is the row's position (0-based data row number), stable across re-reads.

    Raises:
        ConfigError: The file is missing or of an unknown format.
        InputProblem: In strict mode, at the first bad row.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"data file not found: {path}")
    for position, (line, row) in enumerate(_rows(path)):
        error: InputError | None = None
        if isinstance(row, str):
            error = {"file": str(path), "line": line, "field": None, "message": row}
        else:
            try:
                item_id, item_input = _map_row(row, fields)
            except KeyError as err:
                error = {
                    "file": str(path),
                    "line": line,
                    "field": str(err.args[0]),
                    "message": "missing or empty",
                }
            except ValueError as err:
                name, _, message = str(err).partition(": ")
                error = {"file": str(path), "line": line, "field": name, "message": message}
        if error is None:
            yield InputItem(position, item_id or f"line-{line}", item_input)
        elif strict:
            raise InputProblem(error)
        else:
            yield error
