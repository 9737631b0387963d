"""Critic-guided tree search: budget honoured, beats self-consistency on hard items, records."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sparring import Roles
from sparring.cli import cli
from sparring.errors import ConfigError, ModelCallError
from sparring.graphs.search._tree import NEUTRAL, path_min
from sparring.graphs.search.critic_search import create_critic_search_graph
from sparring.graphs.self_consistency import create_self_consistency_graph
from sparring.models import BackendRequest, BackendResult, Gateway, Model, RetryPolicy, backend_for
from sparring.sim import SimWorld
from sparring.verify import extract_answer, is_equiv
from tests._snapshots import assert_topology

# Hard items: one sampled solution is right 5% of the time. The critic is a trained one
# (SPC's): it catches most wrong steps, subtle ones included, and rarely flags a right one.
HARD = {
    "actor": {"accuracy": 0.05},
    "critic": {"recall": 0.95, "subtle_recall": 0.9, "false_positive_rate": 0.03},
}


def _items(n: int, seed: int = 0) -> list[dict[str, Any]]:
    world = SimWorld(seed)
    return [
        {"prompt": t.question, "answer": t.answer_text, "item_id": f"p{i}"}
        for i, t in enumerate(world.problem(i) for i in range(n))
    ]


async def _outs(graph: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(graph.ainvoke(it) for it in items)))


def test_topology() -> None:
    assert_topology(create_critic_search_graph(Roles.sim(seed=0)), "critic-search")


@pytest.mark.parametrize(
    ("option", "value"),
    [("selection", "dfs"), ("branching", 0), ("budget", 5), ("outcome", "judge"), ("widen", -1)],
)
def test_options_are_checked(option: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=option):
        create_critic_search_graph(Roles.sim(seed=0), **{option: value})


async def test_beats_self_consistency_at_the_same_call_budget() -> None:
    items, budget = _items(30), 48
    search_gw, sc_gw = Gateway(), Gateway()
    search = create_critic_search_graph(
        Roles.sim(seed=0, profile=HARD, gateway=search_gw), budget=budget
    )
    outs = await _outs(search, items)
    spent = search_gw.usage.total().samples  # what the gateway saw, a call for n counting n
    assert spent == sum(o["calls_used"] for o in outs)  # the search's own count is exact
    assert all(o["calls_used"] <= budget for o in outs)
    # Self-consistency gets the whole budget per item, at least what the search spent.
    sc = create_self_consistency_graph(
        Roles.sim(seed=0, profile=HARD, gateway=sc_gw), n_samples=budget
    )
    sc_outs = await _outs(sc, items)
    assert sc_gw.usage.total().samples == budget * len(items) >= spent
    search_right = sum(bool(o["correct"]) for o in outs)
    sc_right = sum(bool(o["correct"]) for o in sc_outs)
    assert search_right >= sc_right + 5, (search_right, sc_right)


async def test_tree_values_backup_and_selection() -> None:
    out = await create_critic_search_graph(Roles.sim(seed=1), budget=40).ainvoke(_items(1)[0])
    tree = out["tree"]
    assert [n["id"] for n in tree] == list(range(len(tree))) and tree[0]["parent"] is None
    for node in tree[1:]:
        assert node["depth"] == tree[node["parent"]]["depth"] + 1
    # Every value backed up reached the root, so the root counts them all.
    assert tree[0]["visits"] == len(tree) - 1
    leaves = [n for n in tree if n["terminal"]]
    assert leaves and all(n["answer"] is not None for n in leaves)
    chosen = tree[out["selected_index"]]
    assert chosen["terminal"] and out["selected_answer"] == chosen["answer"]
    assert out["selected_text"].endswith(chosen["step"])
    # The vote is weighted by verified outcomes: an approved answer beats rejected ones.
    if any(path_min(tree, n) > NEUTRAL for n in leaves):
        assert path_min(tree, chosen) > NEUTRAL


async def test_records_are_verified_by_gold() -> None:
    outs = await _outs(create_critic_search_graph(Roles.sim(seed=2), budget=48), _items(8))
    prm = [r for o in outs for r in o["prm"]]
    pairs = [p for o in outs for p in o["pairs"]]
    assert prm and pairs
    for record in prm:
        assert record["meta"]["labelled_by"] == "gold"
        assert len(record["steps"]) == len(record["labels"])
        if record["meta"]["correct"]:
            assert all(record["labels"])  # a path to a right answer: every step leads there
    for pair in pairs:
        assert pair["meta"]["technique"] == "critic-search"
        gold = next(it["answer"] for it in _items(8) if pair["prompt"].startswith(it["prompt"]))
        if pair["meta"]["kind"] == "response":
            assert is_equiv(extract_answer(pair["chosen"]), gold)
            assert not is_equiv(extract_answer(pair["rejected"]), gold)
    assert any(p["meta"]["kind"] == "step" for p in pairs)


async def test_without_gold_labels_come_from_the_critic_and_no_pair_is_written() -> None:
    item = {"prompt": _items(1)[0]["prompt"]}
    out = await create_critic_search_graph(Roles.sim(seed=3), budget=30).ainvoke(item)
    assert out["selected_answer"] is not None and out["correct"] is None
    assert out["pairs"] == [] and out["rl"] == [] and out["sft"] == []
    assert out["prm"] and all(r["meta"]["labelled_by"] == "critic" for r in out["prm"])


@pytest.mark.parametrize("budget", [13, 25, 40])
async def test_beam_search_keeps_to_its_budget(budget: int) -> None:
    gw = Gateway()
    graph = create_critic_search_graph(
        Roles.sim(seed=4, gateway=gw), selection="beam", budget=budget, beam_width=2
    )
    out = await graph.ainvoke(_items(1, seed=4)[0])
    assert out["calls_used"] == gw.usage.total().samples <= budget
    assert out["selected_answer"] is not None  # a rollout finishes a search cut short


async def test_an_unreadable_critic_is_searched_neutrally_and_counted() -> None:
    roles = Roles.sim(seed=5, profile={"critic": {"malformed_rate": 1.0}})
    out = await create_critic_search_graph(roles, budget=30).ainvoke(
        {"prompt": _items(1)[0]["prompt"]}
    )
    assert out["unscored"]["critic"] == out["judged"]["critic"] > 0
    assert all(n["value"] is None for n in out["tree"][1:] if not n["terminal"])
    assert out["prm"] == [] and out["refused"]["unlabelled step"] >= 1  # never guessed labels
    assert out["selected_answer"] is not None


class _Down:
    def __init__(self, model: Model) -> None:
        self.inner = backend_for(model)
        self.actor = model.name == "sim/actor"

    async def generate(self, request: BackendRequest) -> BackendResult:
        if self.actor:
            raise RuntimeError("backend is down")
        return await self.inner.generate(request)


async def test_a_failing_actor_fails_the_item() -> None:
    gateway = Gateway(retry=RetryPolicy(max_attempts=1), backend_factory=_Down)
    graph = create_critic_search_graph(Roles.sim(seed=0, gateway=gateway), budget=20)
    with pytest.raises(ModelCallError):
        await graph.ainvoke(_items(1)[0])


def test_sparring_run_view_and_export(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    args = ["run", "critic-search", "--sim-tasks", "3", "--out", str(run_dir), "-o", "budget=24"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shown = CliRunner().invoke(cli, ["view", str(run_dir), "--item", "sim-0-0"])
    assert shown.exit_code == 0 and "step correct" in shown.output  # step verdicts read
    for fmt in ("prm", "trl-dpo"):
        exported = CliRunner().invoke(cli, ["export", str(run_dir), "--format", fmt])
        assert exported.exit_code == 0 and "wrote" in exported.output
        assert "wrote 0 rows" not in exported.output
