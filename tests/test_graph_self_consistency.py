"""Self-consistency / best-of-N: topology, outputs, the majority-vote claim, failures."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from sparring import Roles
from sparring.agents import GSM8K_FORMAT
from sparring.errors import ConfigError, ModelCallError
from sparring.graphs._reasoning_certainty import certainty_scores, topk_self_certainty
from sparring.graphs._reasoning_common import (
    LogprobsUnavailableError,
    MissingGoldError,
    pass_at_k,
)
from sparring.graphs.self_consistency import create_self_consistency_graph
from sparring.models import (
    BackendRequest,
    BackendResult,
    Completion,
    CompletionSet,
    Gateway,
    Model,
    RetryPolicy,
    TokenLogprob,
    TopLogprob,
    backend_for,
)
from sparring.prompts import load_prompt
from sparring.sim import SimEngine, SimRequest, SimWorld
from sparring.sim._reading import final_answer
from tests._scripted import ScriptedBackend
from tests._snapshots import assert_topology

FAST = RetryPolicy(max_attempts=1)


class Failing:
    async def generate(self, request: BackendRequest) -> BackendResult:
        raise RuntimeError("backend is down")


def roles_failing(seed: int, role: str) -> Roles:
    """Simulated roles whose ``role`` model always fails."""

    def factory(model: Model) -> Any:
        return Failing() if model.name == f"sim/{role}" else backend_for(model)

    return Roles.sim(seed=seed, gateway=Gateway(retry=FAST, backend_factory=factory))


def item(world: SimWorld, i: int) -> dict[str, Any]:
    task = world.problem(i)
    return {"prompt": task.question, "answer": task.answer_text, "item_id": f"p{i}"}


def test_topology() -> None:
    assert_topology(create_self_consistency_graph(Roles.sim(seed=0)), "self-consistency")


@pytest.mark.parametrize(
    ("option", "value"),
    [("n_samples", 0), ("selection", "best"), ("borda_power", -1.0), ("top_logprobs", 50)],
)
def test_options_are_checked(option: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=option):
        create_self_consistency_graph(Roles.sim(seed=0), **{option: value})


async def test_majority_outputs_and_records() -> None:
    world, graph = SimWorld(3), create_self_consistency_graph(Roles.sim(seed=3), n_samples=6)
    for i in range(4):
        out = await graph.ainvoke(item(world, i))
        samples = out["samples"]
        assert len(samples) == 6 and [s["index"] for s in samples] == list(range(6))
        answered = sum(s["answer"] is not None for s in samples)
        assert sum(b["count"] for b in out["votes"]) == answered
        counts = [b["count"] for b in out["votes"]]
        assert counts == sorted(counts, reverse=True)
        assert out["selected_answer"] == out["votes"][0]["answer"]
        assert out["selection_used"] == "majority"
        assert out["correct"] == out["votes"][0]["correct"]
        n_correct = sum(bool(s["correct"]) for s in samples)
        assert out["n_correct"] == n_correct
        assert set(out["pass_at_k"]) == {"1", "2", "4", "6"}
        assert out["pass_at_k"]["1"] == pytest.approx(n_correct / 6)
        assert [r["reward"] for r in out["rl"]] == [1.0 if s["correct"] else -1.0 for s in samples]
        assert len(out["sft"]) == int(bool(out["correct"]))
        if out["sft"]:
            assert out["sft"][0]["messages"][-1]["content"] == out["selected_text"]
            assert out["sft"][0]["meta"]["item_id"] == f"p{i}"


async def test_without_gold_no_correctness_and_no_records() -> None:
    graph = create_self_consistency_graph(Roles.sim(seed=1), n_samples=4)
    out = await graph.ainvoke({"prompt": SimWorld(1).problem(0).question})
    assert out["correct"] is None and out["n_correct"] is None and out["pass_at_k"] == {}
    assert out.get("rl", []) == [] and out.get("sft", []) == []
    assert out["selected_answer"] is not None


def _plurality_correct(texts: list[str], gold: float) -> bool:
    """Plurality vote on final answers (ties: first occurrence), computed independently."""
    answers = [a for a in (final_answer(t) for t in texts) if a is not None]
    if not answers:
        return False
    counts = Counter(answers)
    best = max(counts.values())
    winner = next(a for a in answers if counts[a] == best)
    return abs(winner - gold) < 1e-6


def expected_majority(accuracy: float, n: int, problems: int) -> tuple[float, float]:
    """Single-sample and plurality-of-``n`` accuracy by sampling the engine directly.

    The engine answers the same rendered ``actor/solve`` prompt the graph sends, on problems
    of another world seed, so the estimate shares no draws with the graph run.
    """
    engine = SimEngine(seed=99, profile={"actor": {"accuracy": accuracy}})
    world, single, majority = SimWorld(99), 0, 0
    for i in range(problems):
        task = world.problem(i)
        messages = load_prompt("actor/solve").render(
            question=task.question, answer_format=GSM8K_FORMAT
        )
        request = SimRequest(
            model="actor", messages=[dict(m) for m in messages], n=n, temperature=0.7, seed=99
        )
        texts = [c.text for c in engine.respond(request).choices]
        first = final_answer(texts[0])
        single += first is not None and abs(first - task.answer) < 1e-6
        majority += _plurality_correct(texts, task.answer)
    return single / problems, majority / problems


@pytest.mark.parametrize("accuracy", [0.6, 0.4])
async def test_majority_vote_beats_one_sample_and_matches_expectation(accuracy: float) -> None:
    """The paper's claim on the simulator, against the sim's own plurality expectation.

    Expectation: the plurality accuracy of 8 samples, estimated from 400 problems sampled
    directly from the engine (independent draws). The graph's accuracy over 80 items must be
    within 3 standard errors of the difference of two proportions (plus 0.02) of it, and at
    least 0.15 above one sample. The binomial bounds hold too: plurality is at least the
    strict-majority chance P(Bin(8, p) >= 5) and at most pass@8.
    """
    n, items = 8, 80
    profile = {"actor": {"accuracy": accuracy}}
    graph = create_self_consistency_graph(Roles.sim(seed=7, profile=profile), n_samples=n)
    world = SimWorld(7)
    outs = [await graph.ainvoke(item(world, i)) for i in range(items)]
    got = sum(bool(o["correct"]) for o in outs) / items
    one = sum(bool(o["samples"][0]["correct"]) for o in outs) / items
    p_single, p_major = expected_majority(accuracy, n, 400)
    se = math.sqrt(p_major * (1 - p_major) / items + p_major * (1 - p_major) / 400)
    assert abs(got - p_major) <= 3 * se + 0.02, (got, p_major)
    assert abs(one - p_single) <= 3 * math.sqrt(p_single * (1 - p_single) / items) + 0.02
    assert got - one >= 0.15, (got, one)
    strict = sum(math.comb(n, k) * p_single**k * (1 - p_single) ** (n - k) for k in range(5, n + 1))
    assert strict - 0.05 <= p_major <= 1 - (1 - p_single) ** n + 0.05


async def test_verifier_selection_is_oracle_best_of_n_and_needs_gold() -> None:
    world = SimWorld(5)
    graph = create_self_consistency_graph(Roles.sim(seed=5), n_samples=4, selection="verifier")
    for i in range(6):
        out = await graph.ainvoke(item(world, i))
        assert out["correct"] == (out["n_correct"] > 0)
        assert out["pass_at_k"]["4"] == pytest.approx(pass_at_k(4, out["n_correct"], 4))
    with pytest.raises(MissingGoldError, match="gold"):
        await graph.ainvoke({"prompt": world.problem(0).question, "item_id": "x"})


async def test_judge_selection_scores_every_sample() -> None:
    world = SimWorld(6)
    graph = create_self_consistency_graph(Roles.sim(seed=6), n_samples=4, selection="judge")
    outs = [await graph.ainvoke(item(world, i)) for i in range(6)]
    for out in outs:
        assert out["judged"] == {"judge": 4}
        assert sorted(j["index"] for j in out["judgments"]) == [0, 1, 2, 3]
        scored = [j for j in out["judgments"] if j["score"] is not None]
        if out["selection_used"] == "judge":
            best = max(j["score"] for j in scored)
            chosen = next(j for j in scored if j["index"] == out["selected_index"])
            assert chosen["score"] == best
    assert sum(bool(o["correct"]) for o in outs) >= 4


async def test_judge_failure_leaves_unscored_counts_and_majority_decides() -> None:
    graph = create_self_consistency_graph(roles_failing(2, "judge"), n_samples=3, selection="judge")
    out = await graph.ainvoke(item(SimWorld(2), 0))
    assert out["judged"] == {"judge": 3} and out["unscored"] == {"judge": 3}
    assert all(j["score"] is None for j in out["judgments"])
    assert out["selection_used"] == "majority (no judge score)"
    assert out["selected_answer"] == out["votes"][0]["answer"]


async def test_actor_failure_raises_model_call_error() -> None:
    graph = create_self_consistency_graph(roles_failing(2, "actor"), n_samples=3)
    with pytest.raises(ModelCallError):
        await graph.ainvoke(item(SimWorld(2), 0))


async def test_self_certainty_on_the_simulator() -> None:
    world = SimWorld(8)
    roles = Roles.sim(seed=8, profile={"actor": {"accuracy": 0.4}})
    graph = create_self_consistency_graph(roles, n_samples=6, selection="self_certainty")
    argmax = create_self_consistency_graph(
        roles, n_samples=6, selection="self_certainty", certainty_rule="argmax"
    )
    borda_right = argmax_right = one_right = 0
    for i in range(20):
        out = await graph.ainvoke(item(world, i))
        assert [c["source"] for c in out["certainty"]] == ["mean_logprob"] * 6
        assert out["selection_used"] == "self_certainty (borda)"
        borda_right += bool(out["correct"])
        one_right += bool(out["samples"][0]["correct"])
        top = await argmax.ainvoke(item(world, i))
        best = max(
            (c for c in top["certainty"] if top["samples"][c["index"]]["answer"] is not None),
            key=lambda c: c["score"],
        )
        assert top["selected_index"] == best["index"]
        argmax_right += bool(top["correct"])
    # The simulator ties confidence to true quality, so certainty picks right answers.
    assert borda_right > one_right and argmax_right > one_right


async def test_self_certainty_raises_clearly_without_logprobs() -> None:
    chat = FakeListChatModel(responses=["#### 1"])
    with pytest.raises(LogprobsUnavailableError, match="log probabilities"):
        create_self_consistency_graph(Roles(actor=chat), selection="self_certainty")
    scripted = ScriptedBackend(text="Step 1: 2 + 2 = 4.\n#### 4")
    roles = Roles(actor="scripted/model", gateway=Gateway(retry=FAST, backend_factory=scripted))
    graph = create_self_consistency_graph(roles, n_samples=2, selection="self_certainty")
    with pytest.raises(LogprobsUnavailableError, match="returned none"):
        await graph.ainvoke({"prompt": "What is 2 + 2?"})
    plain = create_self_consistency_graph(roles, n_samples=2)
    out = await plain.ainvoke({"prompt": "What is 2 + 2?"})
    assert out["selected_text"] is not None and out["selection_used"] == "majority"


def test_pass_at_k_estimator() -> None:
    assert pass_at_k(8, 0, 8) == 0.0 and pass_at_k(8, 8, 1) == 1.0
    assert pass_at_k(8, 2, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)


def _completion(index: int, tops: list[list[float]]) -> Completion:
    tokens = [
        TokenLogprob(
            token=f"t{k}",
            logprob=alts[0],
            top_logprobs=[TopLogprob(token=f"t{k}.{j}", logprob=lp) for j, lp in enumerate(alts)],
        )
        for k, alts in enumerate(tops)
    ]
    return Completion(text="#### 1", index=index, logprobs=tokens)


def test_topk_self_certainty_prefers_peaked_distributions() -> None:
    peaked = [[math.log(0.97), math.log(0.01), math.log(0.01)]] * 3
    flat = [[math.log(0.4), math.log(0.3), math.log(0.2)]] * 3
    result = CompletionSet(model="m", completions=[_completion(0, peaked), _completion(1, flat)])
    scores, method = certainty_scores(result, vocab_size=1000)
    assert method == "topk_kl" and scores[0] > scores[1] > 0
    assert topk_self_certainty([], 1000) == -math.inf
    bare = CompletionSet(
        model="m",
        completions=[Completion(text="x", logprobs=[TokenLogprob(token="x", logprob=-0.5)])],
    )
    assert certainty_scores(bare, vocab_size=1000) == ({0: -0.5}, "mean_logprob")
