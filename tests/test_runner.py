"""Dataset runs: ingest with bad lines, run, budgets, resume, summary, export."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sparring import Roles
from sparring.graphs import REGISTRY, GraphSpec
from sparring.run import Budget, FieldMap, Run
from sparring.sim import SimWorld
from tests._toy_graph import SPEC_ARGS


@pytest.fixture(autouse=True)
def _toy_graph() -> Iterator[None]:
    REGISTRY.register(GraphSpec(*SPEC_ARGS), replace=True)
    yield
    REGISTRY.unregister("toy-loop")


def _data(path: Path, n: int, *, bad: bool = False) -> Path:
    world = SimWorld(seed=5)
    lines = [
        json.dumps(
            {
                "id": f"q{i}",
                "prompt": world.problem(i).question,
                "answer": world.problem(i).answer_text,
            }
        )
        for i in range(n)
    ]
    if bad:
        lines.insert(2, "{not json")
        lines.insert(4, json.dumps({"id": "x", "question": "no prompt field"}))
        lines.insert(6, json.dumps({"id": "y", "prompt": 12.5}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(tmp: Path, n: int = 6, **kw: object) -> Run:
    run = Run.create(tmp / "run", graph="toy-loop", roles=Roles.sim(seed=1), **kw)  # type: ignore[arg-type]
    run.ingest(_data(tmp / "data.jsonl", n), FieldMap())
    return run


def test_bad_lines_are_reported_and_the_rest_complete(tmp_path: Path) -> None:
    run = Run.create(tmp_path / "run", graph="toy-loop", roles=Roles.sim(seed=1))
    report = run.ingest(_data(tmp_path / "d.jsonl", 5, bad=True), FieldMap())
    assert report.read == 6  # 5 problems + the numeric prompt, read as text
    errors = {(e["line"], e["field"]) for e in report.errors}
    assert errors == {(3, None), (5, "prompt")}
    assert "not valid JSON" in report.errors[0]["message"]
    assert asyncio.run(run.execute()) == "finished"
    assert run.store.counts()["done"] == 6
    assert run.summary().input_errors == 2


def test_run_completes_every_item_once_with_records(tmp_path: Path) -> None:
    run = _run(tmp_path)
    assert asyncio.run(run.execute()) == "finished"
    summary = run.summary()
    assert summary.items["done"] == 6 and summary.items["failed"] == 0
    pairs = list(run.store.records("pairs"))
    assert pairs and all(p["meta"]["technique"] == "toy-loop" for p in pairs)
    assert summary.roles["judge"].judged == 6 * 3 * 2
    assert summary.roles["actor"].calls == 6 * 3
    assert asyncio.run(run.execute()) == "finished"  # nothing left: nothing redone
    assert len(list(run.store.records("pairs"))) == len(pairs)


def test_budget_stops_cleanly_and_resume_finishes(tmp_path: Path) -> None:
    run = _run(tmp_path, n=8, budget=Budget(max_calls=20), concurrency=2)
    assert asyncio.run(run.execute()) == "stopped"
    status, detail = run.store.status()
    assert status == "stopped" and detail is not None and "budget" in detail
    done_before = run.store.counts()["done"]
    assert done_before < 8
    run.close()
    again = Run.open(tmp_path / "run")
    again.config = again.config.model_copy(update={"budget": Budget()})
    assert asyncio.run(again.execute()) == "finished"
    assert again.store.counts()["done"] == 8
    per_item: dict[str, int] = {}
    for pair in again.store.records("pairs"):
        per_item[pair["meta"]["item_id"]] = per_item.get(pair["meta"]["item_id"], 0) + 1
    assert all(v <= 3 for v in per_item.values())


def test_export_formats_and_refusals(tmp_path: Path) -> None:
    run = _run(tmp_path)
    asyncio.run(run.execute())
    report = run.export("trl-dpo", tmp_path / "out", meta=True)
    rows = [json.loads(x) for x in (tmp_path / "out/data/train.jsonl").read_text().splitlines()]
    assert report.rows == len(rows) > 0
    assert set(rows[0]) == {"prompt", "chosen", "rejected", "meta"}
    assert "configs:" in (tmp_path / "out/README.md").read_text()
    conv = run.export("trl-dpo", tmp_path / "conv", conversational=True)
    row = json.loads((tmp_path / "conv/data/train.jsonl").read_text().splitlines()[0])
    assert conv.rows == report.rows and row["chosen"][0]["role"] == "assistant"
    kto = run.export("trl-kto", tmp_path / "kto")
    row = json.loads((tmp_path / "kto/data/train.jsonl").read_text().splitlines()[0])
    assert set(row) == {"prompt", "completion", "label"} and kto.rows >= report.rows


def test_keys_never_reach_the_run_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-proj-RUNDIRSECRET0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    roles = Roles.sim(seed=2).bind(
        judge=Roles.sim(seed=2).resolve("judge").with_options(api_key=secret)
    )
    run = Run.create(tmp_path / "run", graph="toy-loop", roles=roles)
    run.ingest(_data(tmp_path / "d.jsonl", 3), FieldMap())
    asyncio.run(run.execute())
    run.export("trl-dpo", tmp_path / "run/export", meta=True)
    run.close()
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
