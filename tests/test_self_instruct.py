"""Self-Rewarding self-instruction: new prompts from seeds, the judge filter, next run data."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from sparring import Roles
from sparring.cli import cli
from sparring.graphs.self_rewarding import create_self_rewarding_graph
from sparring.sim import SimWorld
from sparring.sim.behaviours._self_instruct import is_well_posed

SEEDS = [SimWorld(4).problem(i).question for i in range(12)]


def test_the_filter_raises_the_share_of_well_posed_prompts() -> None:
    graph = create_self_rewarding_graph(
        Roles.sim(4), self_instruct=4, instruct_pool=SEEDS, instruct_shots=4
    )

    async def run() -> list[dict[str, object]]:
        return [
            await graph.ainvoke({"prompt": p, "item_id": f"s{i}"}) for i, p in enumerate(SEEDS[:8])
        ]

    raw = raw_good = kept = kept_good = 0
    for out in asyncio.run(run()):
        assert out["pairs"] or out["refused"]  # the pair step still runs beside it
        for cand in out["instruction_candidates"]:  # type: ignore[attr-defined]
            if cand["text"] is not None:
                raw += 1
                raw_good += is_well_posed(cand["text"], SEEDS)
        for record in out["instructions"]:  # type: ignore[attr-defined]
            kept += 1
            kept_good += is_well_posed(record["prompt"], SEEDS)
            assert record["meta"]["kind"] == "instruction"
    print(f"\nwell-posed: {raw_good}/{raw} written, {kept_good}/{kept} accepted by the judge")
    assert raw >= 20 and kept >= 8
    assert kept_good / kept > raw_good / raw + 0.2


def test_off_by_default() -> None:
    out = asyncio.run(create_self_rewarding_graph(Roles.sim(4)).ainvoke({"prompt": SEEDS[0]}))
    assert out.get("instructions", []) == [] and "instruction_candidates" not in out


def test_accepted_prompts_export_as_the_next_runs_data(tmp_path: Path) -> None:
    data = tmp_path / "seeds.jsonl"
    data.write_text(
        "".join(json.dumps({"id": f"q{i}", "prompt": p}) + "\n" for i, p in enumerate(SEEDS[:4]))
    )
    first = tmp_path / "run1"
    pool = json.dumps(SEEDS)
    args = ["run", "self-rewarding", "--data", str(data), "--out", str(first),
            "-o", "self_instruct=3", "-o", f"instruct_pool={pool}"]  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = tmp_path / "next"
    exported = CliRunner().invoke(
        cli, ["export", str(first), "--format", "instructions", "--out", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    rows = [json.loads(ln) for ln in (out / "data" / "train.jsonl").read_text().splitlines()]
    assert rows and all(set(r) == {"id", "prompt"} for r in rows)
    assert len({r["prompt"] for r in rows}) == len(rows)
    second = tmp_path / "run2"
    data2 = out / "data" / "train.jsonl"
    again = CliRunner().invoke(
        cli, ["run", "self-rewarding", "--data", str(data2), "--out", str(second)]
    )
    assert again.exit_code == 0, again.output
    view = CliRunner().invoke(cli, ["view", str(second), "--json"], catch_exceptions=False)
    assert json.loads(view.output)["items"]["done"] == len(rows)
