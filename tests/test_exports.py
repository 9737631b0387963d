"""Exports: exact trainer fields, refusals, and loading with the ``datasets`` library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.export import export_run
from sparring.memory import SqliteRunStore
from sparring.records import make_pair, make_prm_record, make_rl_record, make_sft_record

FIELDS = {
    "trl-dpo": {"prompt", "chosen", "rejected"},
    "trl-kto": {"prompt", "completion", "label"},
    "sft": {"messages"},
    "openrlhf": {"prompt", "chosen", "rejected", "margin"},
    "rl": {"prompt", "answer", "reward"},
    "prm": {"prompt", "completions", "labels"},
}


def _store(tmp_path: Path) -> SqliteRunStore:
    store = SqliteRunStore(tmp_path / "run.sqlite")
    store.save_config({"graph": "test"})
    store.add_items([(0, "a", {"prompt": "p"}), (1, "b", {"prompt": "q"})])
    pair = make_pair("p", "good", "bad", technique="t", chosen_score=4.0, rejected_score=2.0)
    forged = {**pair, "rejected": "good"}  # identical sides slipped in: refused at export
    sft = make_sft_record(
        [{"role": "user", "content": "p"}, {"role": "assistant", "content": "answer"}],
        technique="t",
    )
    rl = make_rl_record("p", "critique", -1.0, role="critic")
    prm = make_prm_record("p", ["s1", "s2"], [True, False], technique="t")
    for index in (0, 1):
        store.mark_running(index)
        store.complete_item(
            index,
            {
                "records": {"pairs": [pair, forged], "sft": [sft], "rl": [rl], "prm": [prm]},
                "counters": {"refused/tie": 1},
                "output": {},
                "unscored": False,
            },
        )
    return store


@pytest.mark.parametrize("fmt", list(FIELDS))
def test_each_format_has_exactly_the_trainer_fields(tmp_path: Path, fmt: str) -> None:
    store = _store(tmp_path)
    report = export_run(store, fmt, tmp_path / fmt)  # type: ignore[arg-type]
    rows = [json.loads(x) for x in (tmp_path / fmt / "data/train.jsonl").read_text().splitlines()]
    assert rows and all(set(r) == FIELDS[fmt] for r in rows)
    assert report.rows == len(rows)
    assert report.refused.get("tie") == 2  # refused while the graph ran, reported again
    if fmt in ("trl-dpo", "openrlhf"):
        assert report.refused["identical sides"] == 2 and len(rows) == 2
    with_meta = export_run(store, fmt, tmp_path / f"{fmt}-m", meta=True)  # type: ignore[arg-type]
    row = json.loads((tmp_path / f"{fmt}-m/data/train.jsonl").read_text().splitlines()[0])
    assert set(row) == FIELDS[fmt] | {"meta"} and with_meta.rows == report.rows


def test_openrlhf_margin_is_the_score_gap(tmp_path: Path) -> None:
    export_run(_store(tmp_path), "openrlhf", tmp_path / "o")
    row = json.loads((tmp_path / "o/data/train.jsonl").read_text().splitlines()[0])
    assert row["margin"] == 2.0


@pytest.mark.parametrize("fmt", ["trl-dpo", "sft", "prm", "rl"])
def test_exports_load_with_datasets(tmp_path: Path, fmt: str) -> None:
    datasets = pytest.importorskip("datasets", reason="the datasets library is not installed")
    export_run(_store(tmp_path), fmt, tmp_path / fmt)  # type: ignore[arg-type]
    loaded = datasets.load_dataset(str(tmp_path / fmt), split="train")
    assert set(loaded.column_names) == FIELDS[fmt]
    assert loaded.num_rows > 0


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    from sparring.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown export format 'csv'"):
        export_run(_store(tmp_path), "csv", tmp_path / "x")  # type: ignore[arg-type]
