"""Principle-driven critique: principles from files, reading a critique, the simulator's effect
(critique against a relevant principle fixes the violated aspect, an irrelevant one changes
nothing), what decides the pair, and the run workflow (CLI run, export)."""

from __future__ import annotations

import asyncio
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sparring import Roles
from sparring.cli import cli
from sparring.errors import ConfigError
from sparring.graphs import create_principle_critique_graph
from sparring.graphs._principles import Principle, load_principles
from sparring.graphs.principle_critique import parse_principle_critique
from sparring.sim import SimWorld
from sparring.sim._grade import quality
from sparring.sim.behaviours._principles import faults

PACKAGED = Path(__file__).parents[1] / "src/sparring/prompts/principles"
N = 30


def test_the_packaged_principles_load() -> None:
    names = [p.name for p in load_principles()]
    assert names == ["Accuracy", "Completeness", "Concision", "Harmlessness"]


def test_principles_from_a_file_or_folder(tmp_path: Path) -> None:
    (tmp_path / "two.md").write_text("# Brevity\nBe short.\n\n# Warmth\nBe kind.\n")
    (tmp_path / "plain.txt").write_text("Cite a source for every claim.\n")
    assert [p.name for p in load_principles(tmp_path / "two.md")] == ["Brevity", "Warmth"]
    assert [p.name for p in load_principles(tmp_path)] == ["plain", "Brevity", "Warmth"]
    with pytest.raises(ConfigError, match="no file or folder at"):
        load_principles(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no principle"):
        load_principles(tmp_path / "empty")
    (tmp_path / "dup.md").write_text("# Warmth\nAgain.\n")
    with pytest.raises(ConfigError, match="more than once: warmth"):
        load_principles(tmp_path)
    with pytest.raises(ConfigError, match="principles"):
        create_principle_critique_graph(Roles.sim(), principles=str(tmp_path / "missing"))


def test_a_critique_is_read_principle_by_principle() -> None:
    principles = [Principle("Accuracy", "a"), Principle("Concision", "c"), Principle("Tone", "t")]
    text = (
        "Principle: Concision\nCritique: padded\nViolated: yes\n\n"
        "Principle: **Accuracy**\nCritique: nothing\nViolated: no\n\nPrinciple: Tone\nno call"
    )
    assert parse_principle_critique(text, principles) == [
        {"principle": "Accuracy", "violated": False},
        {"principle": "Concision", "violated": True},
        {"principle": "Tone", "violated": None},
    ]


def _tasks() -> list[Any]:
    world = SimWorld(0)
    return [world.instruction(i) for i in range(N)]


@cache
def _outputs(principle: str | None, decide: str = "judge") -> tuple[dict[str, Any], ...]:
    source = None if principle is None else str(PACKAGED / f"{principle}.txt")
    graph = create_principle_critique_graph(
        Roles.sim(seed=0),
        principles=source,
        decide=decide,  # type: ignore[arg-type]
    )

    async def main() -> list[dict[str, Any]]:
        items = [{"prompt": t.question, "item_id": f"p{i}"} for i, t in enumerate(_tasks())]
        return list(await asyncio.gather(*(graph.ainvoke(i) for i in items)))

    return tuple(asyncio.run(main()))


def _faults(principle: str | None, key: str) -> dict[str, int]:
    totals = {"accuracy": 0, "completeness": 0, "concision": 0}
    for task, out in zip(_tasks(), _outputs(principle), strict=True):
        for aspect, n in faults(task, out[key]).items():
            totals[aspect] += n
    return totals


@pytest.mark.parametrize(
    ("principle", "aspect"),
    [("completeness", "completeness"), ("concision", "concision"), ("accuracy", "accuracy")],
)
def test_critique_against_a_principle_fixes_its_aspect_only(principle: str, aspect: str) -> None:
    before, after = _faults(principle, "original"), _faults(principle, "response")
    assert after[aspect] < before[aspect] * 0.75, (before, after)
    for other in set(before) - {aspect}:  # nothing else gets better (a dropped wrong fact
        assert after[other] >= before[other]  # can leave a gap: a miss)
    assert after["concision"] == before["concision"] or aspect == "concision"


def test_an_irrelevant_principle_changes_nothing() -> None:
    out = _outputs("harmlessness")
    assert all(o["original"] == o["response"] for o in out)
    assert not any(o["pairs"] for o in out)
    assert sum(o["refused"].get("unchanged", 0) for o in out) == N


def test_the_packaged_principles_raise_true_quality_and_the_judge_picks_revisions() -> None:
    tasks, out = _tasks(), _outputs(None)
    before = sum(quality(t, o["original"]) for t, o in zip(tasks, out, strict=True))
    after = sum(quality(t, o["response"]) for t, o in zip(tasks, out, strict=True))
    assert after > before + 0.1 * N
    chosen = [o["chosen"] for o in out]
    assert chosen.count("revision") > chosen.count("original")
    for o in out:
        if o["chosen"] == "revision":
            assert o["pairs"][0]["chosen"] == o["response"] and o["sft"]
        if o["chosen"] == "original":
            assert o["pairs"][0]["chosen"] == o["original"] and not o["sft"]
    assert sum(o.get("swaps", 0) for o in out) > 0  # both orders judged, agreement counted


def _drawn_run(rounds: int) -> list[dict[str, Any]]:
    graph = create_principle_critique_graph(
        Roles.sim(seed=0), per_round=1, rounds=rounds, decide="revision"
    )

    async def main() -> list[dict[str, Any]]:
        items = [{"prompt": t.question, "item_id": f"p{i}"} for i, t in enumerate(_tasks())]
        return list(await asyncio.gather(*(graph.ainvoke(i) for i in items)))

    return asyncio.run(main())


def test_one_principle_drawn_per_round_is_seeded_and_fixes_less_per_round() -> None:
    one = _drawn_run(1)
    for out in one:
        (entry,) = out["revisions"]
        assert len(entry["principles"]) == 1
        assert [c["principle"] for c in entry["checks"]] == entry["principles"]
    assert {o["revisions"][0]["principles"][0] for o in one} >= {"Accuracy", "Concision"}
    again = _drawn_run(1)  # the same item and round draw the same principle
    assert [o["revisions"][0]["principles"] for o in again] == [
        o["revisions"][0]["principles"] for o in one
    ]
    tasks = _tasks()
    gain_one = sum(quality(t, o["response"]) - quality(t, o["original"])
                   for t, o in zip(tasks, one, strict=True))  # fmt: skip
    gain_all = sum(quality(t, o["response"]) - quality(t, o["original"])
                   for t, o in zip(tasks, _outputs(None, "revision"), strict=True))  # fmt: skip
    assert 0 < gain_one < gain_all  # one principle a round mends less than all of them


def test_drawing_goes_on_past_a_kept_principle_while_rounds_last() -> None:
    out = _drawn_run(4)
    kept_then_drawn = [
        o for o in out
        if len(o["revisions"]) > 1 and not o["revisions"][0]["revised"]
    ]  # fmt: skip
    assert kept_then_drawn  # a round that found nothing did not end the item
    assert all(len(o["revisions"]) <= 4 for o in out)
    assert any(len({r["principles"][0] for r in o["revisions"]}) > 1 for o in out)


def test_decide_revision_always_prefers_the_revision() -> None:
    out = _outputs("completeness", "revision")
    revised = [o for o in out if o["original"] != o["response"]]
    assert revised and all(o["chosen"] == "revision" for o in revised)
    assert all(o["pairs"][0]["chosen"] == o["response"] for o in revised)
    assert not any(o.get("judged") for o in out)  # no judge was asked


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_cli_run_and_export(tmp_path: Path) -> None:
    data = tmp_path / "open.jsonl"
    data.write_text("".join(json.dumps({"prompt": t.question}) + "\n" for t in _tasks()[:8]))
    run = tmp_path / "r"
    code, out = _cli("run", "principle-critique", "--data", str(data), "--out", str(run))
    assert code == 0, out
    code, out = _cli("view", str(run), "--item", "#1")
    assert code == 0 and "critique" in out
    code, out = _cli("export", str(run), "--format", "trl-dpo")
    assert code == 0, out
    assert (run / "export/trl-dpo/data/train.jsonl").read_text().strip()
    code, out = _cli("run", "principle-critique", "--prompt", "x", "-o", "principles=/no/such/dir")
    assert code != 0 and "principles: no file or folder at" in out
