"""Meta-Rewarding graph: topology, both pair kinds, the meta-judge's statistical claim, failures."""

from __future__ import annotations

import asyncio
import json
import math
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from sparring import Roles
from sparring.agents import Verdict
from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.graphs._reward_meta import MetaComparison, battles_from
from sparring.graphs.meta_rewarding import create_meta_rewarding_graph, length_controlled_pair
from sparring.memory.ratings import Battle
from sparring.models import Gateway
from sparring.sim import SimWorld, quality
from sparring.trace import MemorySink, ModelCallEvent, NodeEvent
from tests._snapshots import assert_topology
from tests.test_graph_self_rewarding import Constant, Failing, check_scores, questions, roles_with

Z_ONE_SIDED_1PCT = 2.326
"""One-sided 1% critical value of the standard normal."""


def test_topology() -> None:
    graph = create_meta_rewarding_graph(Roles.sim(seed=0))
    assert_topology(graph, "meta-rewarding")
    assert REGISTRY["meta-rewarding"].load() is create_meta_rewarding_graph
    assert create_meta_rewarding_graph(Roles.sim(seed=0), name="mine").name == "mine"


@pytest.mark.parametrize(
    "options",
    [
        {"n_judgments": 1},
        {"n_responses": 1},
        {"rho": -0.01},
        {"top_p": 1.5},
        {"judge_pairs": "yes"},
        {"max_judgment_chars": 0},
    ],
)
def test_options_are_validated(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=next(iter(options))):
        create_meta_rewarding_graph(Roles.sim(seed=0), **options)


def judgment_texts(out: dict[str, Any], index: int) -> dict[int, str]:
    verdicts = next(j["verdicts"] for j in out["judgments"] if j["index"] == index)
    return {k: v["raw"] for k, v in enumerate(verdicts) if v["status"] == "scored"}


def check_actor_pair(out: dict[str, Any], pair: dict[str, Any]) -> None:
    eligible = [s for s in out["scores"] if s["mean"] is not None]
    pick = length_controlled_pair(
        [s["mean"] for s in eligible], [s["length"] for s in eligible], 0.4
    )
    assert pick is not None
    extra = pair["meta"]["extra"]
    assert (extra["chosen_index"], extra["rejected_index"]) == (
        eligible[pick[0]]["index"],
        eligible[pick[1]]["index"],
    )
    assert pair["chosen"] == out["responses"][extra["chosen_index"]]
    assert pair["meta"]["models"] == {"actor": "sim/actor", "judge": "sim/judge"}


def check_judgment_pair(out: dict[str, Any], pair: dict[str, Any]) -> None:
    meta, target = out["meta"], out["meta_target"]
    texts = judgment_texts(out, target)
    assert meta["response_index"] == target and meta["judgments"] == sorted(texts)
    assert pair["chosen"] == texts[meta["chosen"]] and pair["rejected"] == texts[meta["rejected"]]
    assert meta["ranking"][0] == meta["chosen"] and meta["ranking"][-1] == meta["rejected"]
    # the prompt is the judge prompt the judge saw: rubric, fenced question and response
    assert "additive 5-point rubric" in pair["prompt"]
    assert out["responses"][target] in pair["prompt"] and out["prompt"] in pair["prompt"]
    assert "[BEGIN RESPONSE #" in pair["prompt"]
    assert pair["meta"]["kind"] == "judgment" and pair["meta"]["technique"] == "meta-rewarding"
    assert pair["meta"]["models"] == {"judge": "sim/judge", "meta_judge": "sim/meta_judge"}
    assert pair["meta"]["chosen_score"] == meta["ratings"][str(meta["chosen"])]


def check_comparisons(out: dict[str, Any]) -> None:
    texts = judgment_texts(out, out["meta_target"])
    pairs = sorted((c["a"], c["b"]) for c in out["comparisons"])
    assert pairs == list(combinations(sorted(texts), 2))
    assert all(c["swapped"] is not None for c in out["comparisons"])
    assert out["judged"]["meta_judge"] == 2 * len(pairs)
    scored = sum(c["outcome"]["status"] == "scored" for c in out["comparisons"])
    assert out["swaps"] == scored and 0 <= out["swap_agreed"] <= scored


async def test_both_pair_kinds_on_the_simulator() -> None:
    graph = create_meta_rewarding_graph(Roles.sim(seed=21))
    world = SimWorld(21)
    kinds: dict[str, int] = {"response": 0, "judgment": 0}
    for i in range(8):
        out = await graph.ainvoke({"prompt": world.task(i).question, "item_id": f"item-{i}"})
        check_scores(out, 3)
        # one actor outcome and one judge outcome per item: a pair or a counted refusal each
        judgment_refusals = sum(v for k, v in out["refused"].items() if k.startswith("judgment:"))
        assert len(out["pairs"]) + sum(out["refused"].values()) == 2
        assert sum(p["meta"]["kind"] == "judgment" for p in out["pairs"]) + judgment_refusals == 1
        for pair in out["pairs"]:
            kinds[pair["meta"]["kind"]] += 1
            assert pair["meta"]["item_id"] == f"item-{i}" and pair["meta"]["seed"] == 21
            if pair["meta"]["kind"] == "response":
                check_actor_pair(out, pair)
            else:
                check_judgment_pair(out, pair)
        if out.get("meta_target") is not None:
            check_comparisons(out)
    assert kinds["response"] >= 5 and kinds["judgment"] >= 4


async def test_judge_pair_prompt_is_what_the_judge_saw() -> None:
    sink = MemorySink()
    graph = create_meta_rewarding_graph(Roles.sim(seed=21, gateway=Gateway(sink=sink)))
    outs = [await graph.ainvoke({"prompt": q}) for q in questions(21, 3)]
    calls = sink.of_kind(ModelCallEvent)
    pairs = [p for out in outs for p in out["pairs"] if p["meta"]["kind"] == "judgment"]
    assert pairs
    for pair in pairs:
        seen = [
            c
            for c in calls
            if c.role == "judge"
            and [m["content"] for m in c.messages]
            == [pair["meta"]["extra"]["judge_system"], pair["prompt"]]
        ]
        assert len(seen) == 1 and seen[0].node == "judge"
        assert {pair["chosen"], pair["rejected"]} <= set(seen[0].outputs)
    nodes = {e.node for e in sink.of_kind(NodeEvent)}
    assert nodes == {"sample", "judge", "select_pair", "meta_judge", "judge_pair"}
    assert {c.node for c in calls if c.role == "meta_judge"} == {"meta_judge"}


def test_battles_follow_the_order_shown() -> None:
    def verdict(choice: str | None) -> dict[str, Any]:
        if choice is None:
            return Verdict.unscored("meta", "parse_failure").model_dump()
        return Verdict.from_choice("meta", choice).model_dump()  # type: ignore[arg-type]

    outcome: dict[str, Any] = {}
    comparisons = [
        MetaComparison(a=0, b=1, first=verdict("A"), swapped=verdict("A"), outcome=outcome),
        MetaComparison(a=0, b=2, first=verdict("B"), swapped=verdict(None), outcome=outcome),
        MetaComparison(a=1, b=2, first=verdict("tie"), swapped=None, outcome=outcome),
    ]
    assert battles_from(comparisons) == [
        Battle("0", "1", "first"),
        Battle("1", "0", "first"),
        Battle("0", "2", "second"),
        Battle("1", "2", "tie"),
    ]


def nearest_judgments(out: dict[str, Any], task: Any) -> tuple[set[int], int]:
    """The target's judgments whose score is nearest the response's true score, and how many."""
    meta = out["meta"]
    truth = 1.0 + 4.0 * quality(task, out["responses"][meta["response_index"]])
    verdicts = next(j["verdicts"] for j in out["judgments"] if j["index"] == meta["response_index"])
    errors = {k: abs(verdicts[k]["score"] - truth) for k in meta["judgments"]}
    best = min(errors.values())
    return {k for k, e in errors.items() if e <= best + 1e-9}, len(errors)


@pytest.mark.slow
async def test_bradley_terry_pick_beats_a_random_judgment() -> None:
    """Over 200 prompts the fitted best judgment is the one nearest the truth more often.

    H0: the graph's pick is no better than a judgment drawn at random, i.e. on prompt ``i`` it
    is a nearest judgment with probability ``q_i`` = (nearest judgments) / (judgments). Under H0
    the number of hits has mean ``sum q_i`` and variance ``sum q_i (1 - q_i)``; we reject H0 at
    one-sided z >= 2.326 (1%) and also ask for a margin of at least 10 points.
    """
    seed, n_prompts = 17, 200
    graph = create_meta_rewarding_graph(Roles.sim(seed=seed))
    world = SimWorld(seed)
    limit = asyncio.Semaphore(25)

    async def run(i: int) -> dict[str, Any]:
        async with limit:
            out: dict[str, Any] = await graph.ainvoke({"prompt": world.task(i).question})
            return out

    outs = await asyncio.gather(*(run(i) for i in range(n_prompts)))
    hits, expected, variance, fitted = 0, 0.0, 0.0, 0
    for i, out in enumerate(outs):
        meta = out.get("meta")
        if not meta or meta["chosen"] is None:
            continue
        nearest, size = nearest_judgments(out, world.task(i))
        fitted += 1
        hits += meta["chosen"] in nearest
        q = len(nearest) / size
        expected += q
        variance += q * (1.0 - q)
    assert fitted >= 120, f"only {fitted} prompts had a fitted judge pair"
    z = (hits - expected) / math.sqrt(variance)
    rate, baseline = hits / fitted, expected / fitted
    print(f"BT pick agrees {rate:.3f}, random {baseline:.3f}, n={fitted}, z={z:.2f}")
    assert z >= Z_ONE_SIDED_1PCT, (rate, baseline, z)
    assert rate >= baseline + 0.10, (rate, baseline)


async def test_failing_judge_backend_finishes_without_pairs() -> None:
    graph = create_meta_rewarding_graph(roles_with(3, judge=Failing()), n_judgments=2)
    out = await graph.ainvoke({"prompt": questions(3, 2)[1]})
    assert out["pairs"] == []
    assert out["unscored"] == out["judged"] == {"judge": 2 * len(out["responses"])}
    assert out["refused"] == {
        "too few scored responses": 1,
        "judgment: no varied judgments": 1,
    }
    assert out["meta_target"] is None and not out.get("comparisons")


async def test_failing_meta_judge_keeps_the_actor_pair() -> None:
    graph = create_meta_rewarding_graph(roles_with(9, meta_judge=Failing()), n_judgments=4)
    outs = [await graph.ainvoke({"prompt": q}) for q in questions(9, 4)]
    assert any(out.get("meta_target") is not None for out in outs)
    for out in outs:
        assert all(p["meta"]["kind"] == "response" for p in out["pairs"])
        if out.get("meta_target") is not None:
            assert out["unscored"]["meta_judge"] == out["judged"]["meta_judge"] > 0
            assert out["refused"].get("judgment: meta-judge unscored") == 1
            assert out["swaps"] == 0
            assert "meta" not in out or out["meta"] is None


async def test_position_weights_silence_a_judge_that_always_says_a() -> None:
    roles = roles_with(12, meta_judge=Constant("Judgment A is better.\nWinner: Judgment A"))
    graph = create_meta_rewarding_graph(roles, n_judgments=4)
    outs = [await graph.ainvoke({"prompt": q}) for q in questions(12, 4)]
    judged = [out for out in outs if out.get("meta")]
    assert judged
    for out in judged:
        assert out["meta"]["position_weights"] == [0.0, 1.0]
        assert out["meta"]["chosen"] is None
        assert out["refused"].get("judgment: tie") == 1
        assert out["swaps"] > 0 and out["swap_agreed"] == 0  # every pair flips on swap
        assert all(p["meta"]["kind"] == "response" for p in out["pairs"])


async def test_a_reference_is_shown_to_the_judge() -> None:
    graph = create_meta_rewarding_graph(Roles.sim(seed=21))
    reference = "A model answer that covers every key point."
    outs = [await graph.ainvoke({"prompt": q, "reference": reference}) for q in questions(21, 4)]
    prompts = [p["prompt"] for out in outs for p in out["pairs"] if p["meta"]["kind"] == "judgment"]
    assert prompts
    assert all("[BEGIN REFERENCE #" in p and reference in p for p in prompts)


async def test_one_distinct_response_still_yields_a_judgment_pair() -> None:
    text = "Here is an overview. It covers the main points in order, with care."
    graph = create_meta_rewarding_graph(roles_with(2, actor=Constant(text)), n_judgments=5)
    out = await graph.ainvoke({"prompt": "Explain."})
    assert out["responses"] == [text] and out["duplicates"] == 3
    assert out["judged"]["judge"] == 5
    assert out["refused"] == {"too few distinct responses": 1}
    assert [p["meta"]["kind"] for p in out["pairs"]] == ["judgment"]


async def test_judge_pairs_can_be_turned_off() -> None:
    graph = create_meta_rewarding_graph(Roles.sim(seed=4), judge_pairs=False)
    out = await graph.ainvoke({"prompt": questions(4, 2)[1]})
    assert "meta_judge" not in out["judged"]
    assert all(p["meta"]["kind"] == "response" for p in out["pairs"])
    assert not any(k.startswith("judgment:") for k in out["refused"])


async def test_judgment_length_cap() -> None:
    graph = create_meta_rewarding_graph(Roles.sim(seed=21), max_judgment_chars=10)
    outs = [await graph.ainvoke({"prompt": q}) for q in questions(21, 4)]
    assert all(p["meta"]["kind"] == "response" for out in outs for p in out["pairs"])
    assert sum(out["refused"].get("judgment: chosen too long", 0) for out in outs) >= 1


async def test_sqlite_checkpointer_round_trip(tmp_path: Path) -> None:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "ckpt.sqlite")) as saver:
        graph = create_meta_rewarding_graph(Roles.sim(seed=21), checkpointer=saver)
        config: Any = {"configurable": {"thread_id": "item-1"}}
        out = await graph.ainvoke({"prompt": questions(21, 2)[1]}, config)
        snapshot = await graph.aget_state(config)
        history = [s async for s in graph.aget_state_history(config)]
    assert snapshot.next == () and len(history) > 3
    assert json.loads(json.dumps(snapshot.values)) == snapshot.values
    assert snapshot.values["pairs"] == out["pairs"]
    assert snapshot.values.get("meta") == out.get("meta")


def _keeper_rate(meta_prompt: str, prompts: list[str]) -> tuple[float, int, list[Any]]:
    """How often a per-order meta verdict picks the judgment that keeps the rubric."""
    sink = MemorySink()
    profile = {"judge": {"decimal_rate": 0.5}}
    roles = Roles.sim(seed=3, profile=profile, gateway=Gateway(sink=sink))
    graph = create_meta_rewarding_graph(
        roles, n_responses=2, n_judgments=4, meta_prompt=meta_prompt
    )
    right = total = 0
    for i, prompt in enumerate(prompts):
        out = asyncio.run(graph.ainvoke({"prompt": prompt, "item_id": f"r-{i}"}))
        target = out.get("meta_target")
        if target is None:
            continue
        by_index = {e["index"]: e["verdicts"] for e in out["judgments"]}
        raw = [Verdict.model_validate(v) for v in by_index[target]]
        halves = {j: v.score is not None and v.score != int(v.score) for j, v in enumerate(raw)}
        for c in out["comparisons"]:
            if halves[c["a"]] == halves[c["b"]]:
                continue
            keeper = "A" if halves[c["b"]] else "B"  # in the labels of ``first``
            for key, flip in (("first", False), ("swapped", True)):
                if c[key] is None or not Verdict.model_validate(c[key]).is_scored:
                    continue
                said = Verdict.model_validate(c[key]).choice
                said = {"A": "B", "B": "A"}.get(said or "", said) if flip else said
                total += 1
                right += said == keeper
    calls = sink.of_kind(ModelCallEvent)
    return right / max(total, 1), total, calls


def test_meta_judge_sees_the_judges_rubric_and_enforces_it() -> None:
    from sparring.agents import rubric_text

    prompts = questions(5, 12)
    with_rubric, n_with, calls = _keeper_rate("meta_judge/rubric", prompts)
    without, n_without, _ = _keeper_rate("meta_judge/compare", prompts)
    print(
        f"\nmeta verdicts picking the judgment that keeps the rubric: {with_rubric:.2f} of "
        f"{n_with} with the rubric shown, {without:.2f} of {n_without} without"
    )
    rubric = rubric_text()
    meta_calls = [c for c in calls if c.role == "meta_judge"]
    judge_calls = [c for c in calls if c.role == "judge"]
    assert meta_calls and judge_calls
    for call in meta_calls:
        text = "\n".join(m["content"] for m in call.messages)
        assert "[BEGIN RUBRIC" in text and rubric in text
    assert all(rubric in "\n".join(m["content"] for m in c.messages) for c in judge_calls)
    assert n_with >= 15 and n_without >= 15
    assert with_rubric > without + 0.1
