"""A run against ``serve-sim`` with faults injected: it completes and nothing is lost."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sparring import Model, Roles
from sparring.graphs import REGISTRY, GraphSpec
from sparring.run import FieldMap, Run
from sparring.sim import FaultConfig, SimServer
from tests._toy_graph import SPEC_ARGS
from tests.test_runner import _data

KEY = "sk-test-not-a-real-key-123456"


@pytest.fixture(autouse=True)
def _toy_graph() -> Iterator[None]:
    REGISTRY.register(GraphSpec(*SPEC_ARGS), replace=True)
    yield
    REGISTRY.unregister("toy-loop")


def _roles(srv: SimServer) -> Roles:
    def model(name: str) -> Model:
        return Model(f"openai/{name}", api_base=srv.base_url, api_key=KEY, seed=3,
                     timeout_s=1.0)

    return Roles(actor=model("actor"), judge=model("judge"))


def test_run_survives_429_500_hangs_and_malformed_bodies(tmp_path: Path) -> None:
    faults = FaultConfig(rate_429=0.2, retry_after_s=0.05, rate_500=0.1, rate_hang=0.02,
                         hang_s=5.0, rate_malformed=0.05, seed=11)
    with SimServer(faults=faults) as srv:
        roles = _roles(srv)
        run = Run.create(tmp_path / "run", graph="toy-loop", roles=roles, concurrency=8,
                         options={"rounds": 2})
        run.ingest(_data(tmp_path / "d.jsonl", 40), FieldMap())
        assert asyncio.run(run.execute(roles=roles)) == "finished"
        stats = srv.stats
    counts = run.store.counts()
    assert counts["done"] + counts["failed"] == 40 and counts["pending"] == counts["running"] == 0
    for row in run.store.items(("failed",)):
        assert row["error"] and "openai/" in row["error"]  # names the model and the cause
    summary = run.summary()
    retries = sum(m.retries for m in summary.models.values())
    assert stats.rate_limited + stats.server_errors + stats.hangs + stats.malformed > 0
    assert retries >= stats.rate_limited + stats.server_errors + stats.malformed
    per_item: dict[str, int] = {}
    for pair in run.store.records("pairs"):
        per_item[pair["meta"]["item_id"]] = per_item.get(pair["meta"]["item_id"], 0) + 1
    assert max(per_item.values()) <= 2  # at most one pair per round: nothing duplicated
    assert summary.roles["actor"].calls >= counts["done"] * 2
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_permanently_failing_items_are_recorded_with_their_cause(tmp_path: Path) -> None:
    with SimServer(faults=FaultConfig(rate_500=1.0)) as srv:
        roles = _roles(srv)
        run = Run.create(tmp_path / "run", graph="toy-loop", roles=roles, concurrency=4)
        run.ingest(_data(tmp_path / "d.jsonl", 3), FieldMap())
        assert asyncio.run(run.execute(roles=roles)) == "finished"
    failed = run.store.items(("failed",))
    assert len(failed) == 3
    assert all("actor model 'openai/actor' failed after 6 attempts" in (r["error"] or "")
               for r in failed)
    view = json.loads(run.summary().model_dump_json())
    assert view["items"]["failed"] == 3
