"""Data input: JSONL, CSV and Parquet, field mapping, and errors that name file, line, field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.errors import ConfigError
from sparring.memory import InputError
from sparring.run import FieldMap, InputItem, InputProblem, read_items


def _split(entries: list[InputItem | InputError]) -> tuple[list[InputItem], list[InputError]]:
    items = [e for e in entries if isinstance(e, InputItem)]
    errors = [e for e in entries if not isinstance(e, InputItem)]
    return items, errors  # type: ignore[return-value]


def test_jsonl_mapping_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    lines = [
        json.dumps({"q": "first", "gold": "1", "uid": "x1"}),
        "",
        "[1, 2]",
        json.dumps({"q": "", "gold": "2"}),
        '{"q": "broken',
        json.dumps({"q": ["not", "text"]}),
        json.dumps({"q": "last", "gold": 3}),
    ]
    path.write_bytes("\n".join(lines).encode() + b"\n" + b'{"q": "bad \xff byte"}\n')
    items, errors = _split(list(read_items(path, FieldMap(prompt="q", answer="gold", id="uid"))))
    assert [(i.item_id, i.input) for i in items] == [
        ("x1", {"prompt": "first", "answer": "1"}),
        ("line-7", {"prompt": "last", "answer": "3"}),
    ]
    found = {(e["line"], e["field"], e["message"].split(" (")[0]) for e in errors}
    assert found == {
        (3, None, "not a JSON object"),
        (4, "q", "missing or empty"),
        (5, None, "not valid JSON: Invalid control character at"),
        (6, "q", "expected text, got list"),
        (8, None, "not valid UTF-8"),
    }
    assert all(e["file"] == str(path) for e in errors)


def test_strict_stops_at_the_first_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"prompt": "ok"}\n{"nope": 1}\n')
    with pytest.raises(InputProblem, match=r"d\.jsonl:2: field 'prompt': missing or empty"):
        list(read_items(path, FieldMap(), strict=True))


def test_csv_with_extra_fields_and_required_answer(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(
        b"id,prompt,answer,out_a\n1,What?,4,yes\n2,Why?,,no\n3,How?,5\n4,\xff\xfe,1,x\n"
    )
    fields = FieldMap(extra={"response_a": "out_a"}, answer_required=True)
    items, errors = _split(list(read_items(path, fields)))
    assert [i.input for i in items] == [{"prompt": "What?", "answer": "4", "response_a": "yes"}]
    assert {(e["line"], e["field"]) for e in errors} == {(3, "answer"), (4, "out_a"), (5, "prompt")}


def test_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed")
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"prompt": ["a", "b", None], "answer": ["1", "2", "3"]}), path)
    items, errors = _split(list(read_items(path, FieldMap())))
    assert [i.input["prompt"] for i in items] == ["a", "b"]
    assert errors[0]["line"] == 3 and errors[0]["field"] == "prompt"


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "d.xml").write_text("<x/>")
    with pytest.raises(ConfigError, match=r"unknown data format '\.xml'"):
        list(read_items(tmp_path / "d.xml", FieldMap()))
    with pytest.raises(ConfigError, match="data file not found"):
        list(read_items(tmp_path / "nope.jsonl", FieldMap()))
