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
    "rl": {"prompt", "answer", "reward", "system"},
    "prm": {"prompt", "completions", "labels"},
    "prompts": {"prompt", "answer"},
}


def _store(tmp_path: Path) -> SqliteRunStore:
    store = SqliteRunStore(tmp_path / "run.sqlite")
    store.save_config({"graph": "test"})
    store.add_items([(0, "a", {"prompt": "p", "answer": "4"}), (1, "b", {"prompt": "q"})])
    pair = make_pair("p", "good", "bad", technique="t", chosen_score=4.0, rejected_score=2.0)
    forged = {**pair, "rejected": "good"}  # identical sides slipped in: refused at export
    sft = make_sft_record(
        [{"role": "user", "content": "p"}, {"role": "assistant", "content": "answer"}],
        technique="t",
    )
    rl = make_rl_record("p", "critique", -1.0, role="critic", system="Judge steps.")
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
    loaded = datasets.load_dataset(
        str(tmp_path / fmt), split="train", cache_dir=str(tmp_path / "hf")
    )
    assert set(loaded.column_names) == FIELDS[fmt]
    assert loaded.num_rows > 0


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    from sparring.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown export format 'csv'"):
        export_run(_store(tmp_path), "csv", tmp_path / "x")  # type: ignore[arg-type]


def _mixed(tmp_path: Path) -> SqliteRunStore:
    """A store like a Meta-Rewarding run (response and judgment pairs) plus two game roles."""
    store = SqliteRunStore(tmp_path / "mixed.sqlite")
    store.save_config({"graph": "test"})
    store.add_items([(0, "a", {"prompt": "p", "answer": "4"})])
    resp = make_pair("p", "good", "bad", technique="t", kind="response")
    judg = make_pair("judge p", "fair", "unfair", technique="t", kind="judgment")
    critic = make_rl_record("p", "flawed", 1.0, role="critic", system="Check steps.")
    sneaky = make_rl_record("p", "tampered", -1.0, role="sneaky", system="Corrupt a step.")
    store.mark_running(0)
    records = {"pairs": [resp, judg], "sft": [], "rl": [critic, sneaky], "prm": []}
    store.complete_item(0, {"records": records, "counters": {}, "output": {}, "unscored": False})
    return store


def _rows(folder: Path, name: str = "data/train.jsonl") -> list[dict[str, object]]:
    return [json.loads(x) for x in (folder / name).read_text().splitlines()]


def test_kind_and_role_filters_keep_one_kind_and_count_the_rest(tmp_path: Path) -> None:
    store = _mixed(tmp_path)
    report = export_run(store, "trl-dpo", tmp_path / "j", kind="judgment")
    assert [r["chosen"] for r in _rows(tmp_path / "j")] == ["fair"]
    assert report.left_out == {"kind response": 1}
    by_role = export_run(store, "trl-dpo", tmp_path / "a", role="actor")
    assert [r["chosen"] for r in _rows(tmp_path / "a")] == ["good"]
    assert by_role.left_out == {"role judge": 1}
    assert "Left out by the filters" in (tmp_path / "a/README.md").read_text()


def test_rl_of_several_roles_is_split_by_role_with_the_system_turn(tmp_path: Path) -> None:
    store = _mixed(tmp_path)
    report = export_run(store, "rl", tmp_path / "rl")
    assert report.configs == {"critic": 1, "sneaky": 1} and report.rows == 2
    assert not (tmp_path / "rl/data/train.jsonl").exists()
    sneaky = _rows(tmp_path / "rl", "data/sneaky/train.jsonl")
    assert sneaky == [
        {"prompt": "p", "answer": "tampered", "reward": -1.0, "system": "Corrupt a step."}
    ]
    export_run(store, "rl", tmp_path / "c", role="critic", conversational=True)
    (row,) = _rows(tmp_path / "c")
    assert row["prompt"] == [
        {"role": "system", "content": "Check steps."},
        {"role": "user", "content": "p"},
    ]


def test_rl_split_loads_one_role_per_config(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets", reason="the datasets library is not installed")
    export_run(_mixed(tmp_path), "rl", tmp_path / "rl")
    assert datasets.load_dataset(
        str(tmp_path / "rl"), "sneaky", split="train", cache_dir=str(tmp_path / "hf")
    )["answer"] == ["tampered"]
    with pytest.raises(ValueError, match=r"(?i)config"):
        datasets.load_dataset(str(tmp_path / "rl"), split="train", cache_dir=str(tmp_path / "hf"))


def test_prompts_export_has_the_system_turn_and_gold_and_refuses_items_without_one(
    tmp_path: Path,
) -> None:
    report = export_run(_store(tmp_path), "prompts", tmp_path / "p")
    (row,) = _rows(tmp_path / "p")
    assert row["answer"] == "4" and report.refused["no gold answer"] == 1
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    assert row["prompt"][1]["content"].startswith("p\n")
    card = (tmp_path / "p/README.md").read_text()
    assert "GRPOConfig(" in card and "--data.label_key answer" in card


def test_every_card_names_its_recipe_and_the_lossy_openrlhf_default(tmp_path: Path) -> None:
    from sparring.export import RECIPES

    store = _store(tmp_path)
    for fmt in FIELDS:
        export_run(store, fmt, tmp_path / fmt)  # type: ignore[arg-type]
        card = (tmp_path / fmt / "README.md").read_text()
        assert RECIPES[fmt].config in card, fmt
    assert "`--data.prompt_key` defaults to None" in (tmp_path / "openrlhf/README.md").read_text()


def test_nothing_to_export_writes_nothing_and_reports_what_was_left_out(tmp_path: Path) -> None:
    report = export_run(_mixed(tmp_path), "trl-kto", tmp_path / "x", kind="critique")
    assert report.rows == 0 and not (tmp_path / "x").exists()
    assert report.left_out == {"kind response": 1, "kind judgment": 1}


def test_filters_that_do_not_apply_are_clear_errors(tmp_path: Path) -> None:
    from sparring.errors import ConfigError

    with pytest.raises(ConfigError, match="--kind filters pair records; the sft format"):
        export_run(_store(tmp_path), "sft", tmp_path / "x", kind="response")
    with pytest.raises(ConfigError, match="unknown pair kind 'answer'"):
        export_run(_store(tmp_path), "trl-dpo", tmp_path / "x", kind="answer")


def test_cli_nothing_to_export_exits_6_with_the_counts(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sparring.cli import cli
    from sparring.models import Roles
    from sparring.run import Run

    Run.create(tmp_path / "run", graph="meta-rewarding", roles=Roles()).close()
    _mixed(tmp_path / "run").close()  # the run's own store gets the mixed records
    (tmp_path / "run" / "mixed.sqlite").replace(tmp_path / "run" / "run.sqlite")
    args = ["export", str(tmp_path / "run"), "--format", "trl-dpo", "--kind", "critique"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 6, result.output
    text = " ".join(result.output.split())
    assert "nothing to export as trl-dpo" in text
    assert "left out by the filters: 1 kind judgment, 1 kind response" in text
    assert not (tmp_path / "run" / "export").exists()
