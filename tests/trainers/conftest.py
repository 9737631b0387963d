"""Runs on the simulator for the trainer tests, made once per session (a few items each)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sparring.models import Roles
from sparring.run import Run

_GRAPHS = {"meta-rewarding": 4, "self-consistency": 4, "irpo": 3, "spc-game": 3}


def _make(folder: Path, graph: str, tasks: int) -> Path:
    run = Run.create(folder, graph=graph, roles=Roles.sim(seed=0), seed=0)
    run.add_sim_tasks(tasks)
    asyncio.run(run.execute())
    failed = [(i["item_id"], i["error"]) for i in run.store.items() if i["status"] != "done"]
    run.close()
    assert not failed, f"{graph} on the simulator: items not done: {failed}"
    return folder


@pytest.fixture(scope="session")
def sim_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run directories by graph name, each over a few simulated tasks."""
    base = tmp_path_factory.mktemp("runs")
    return {graph: _make(base / graph, graph, n) for graph, n in _GRAPHS.items()}


@pytest.fixture(scope="session")
def export(sim_runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """``export(graph, fmt, **options)``: the export folder of that run in that format."""
    base = tmp_path_factory.mktemp("exports")

    def make(graph: str, fmt: str, **options: object) -> Path:
        name = "-".join([graph, fmt, *(f"{k}={v}" for k, v in sorted(options.items()))])
        out = base / name
        if not out.exists():
            run = Run.open(sim_runs[graph])
            report = run.export(fmt, out, **options)  # type: ignore[arg-type]
            run.close()
            assert report.rows > 0, f"{graph} gave no {fmt} rows: {report}"
        return out

    return make
