"""Self-Refine for open-ended items: criterion feedback with scores, refinement, the best kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sparring import Roles
from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.graphs._refine_open import parse_criteria_feedback
from sparring.graphs.refine import create_refine_graph
from sparring.models import BackendRequest, BackendResult, Completion, Gateway, Model, RetryPolicy
from sparring.sim import SimWorld
from sparring.sim._external import aspect_quality, aspects_for
from sparring.sim._grade import quality
from tests._snapshots import assert_topology

FAST = RetryPolicy(max_attempts=2, initial_delay_s=0.001, jitter=0.0)
CONFIG = {"recursion_limit": REGISTRY["refine"].recursion_limit}
MT_BENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "mt_bench" / "question.jsonl"
PROMPT = "Write a short welcome note for new members of a rowing club."


def feedback(total: int) -> str:
    return f"Relevance: 4/5 - fine.\nCompleteness: 3/5 - missing: safety.\nTotal score: {total}/25"


class Script:
    """Draft k is ``draft k``; its feedback gives ``totals[k]`` (``None``: unreadable)."""

    def __init__(self, totals: list[int | None]) -> None:
        self.totals = totals
        self.refine_prompts: list[str] = []

    def answer(self, text: str) -> str:
        if "best draft so far" in text:
            self.refine_prompts.append(text)
            return f"draft {len(self.refine_prompts)}"
        if "Total score:" in text and "Completeness:" in text:
            k = int(text.split("[BEGIN RESPONSE", 1)[1].split("draft ", 1)[1][0])
            total = self.totals[k]
            return "Looks fine overall." if total is None else feedback(total)
        return "draft 0"

    async def generate(self, request: BackendRequest) -> BackendResult:
        text = "\n".join(m["content"] for m in request.messages)
        return BackendResult([Completion(text=self.answer(text), index=request.sample_index)])


def scripted(backend: Script) -> Roles:
    gateway = Gateway(retry=FAST, backend_factory=lambda _m: backend, seed=0)
    return Roles({r: Model(f"test/{r}") for r in ("actor", "critic")}, gateway=gateway)


def criteria_graph(roles: Roles, **options: Any) -> Any:
    return create_refine_graph(roles, feedback="criteria", **options)


def test_topology_and_options() -> None:
    assert_topology(criteria_graph(Roles.sim(seed=0)), "refine-criteria")
    with pytest.raises(ConfigError, match="n_solutions=1"):
        criteria_graph(Roles.sim(), n_solutions=3)
    with pytest.raises(ConfigError, match="feedback"):
        create_refine_graph(Roles.sim(), feedback="vibes")  # type: ignore[arg-type]


def test_feedback_parser_reads_criteria_and_the_total() -> None:
    read = parse_criteria_feedback("**Accuracy**: 3.5/5 - a date is off\nTotal score: 17.5/25")
    assert read.status == "scored" and read.criteria == {"Accuracy": 3.5}
    assert (read.total, read.top, read.share) == (17.5, 25.0, 0.7)
    assert parse_criteria_feedback("Total score: 31 out of 25").total == 25.0  # clipped
    missing = parse_criteria_feedback("Accuracy: 3/5 - fine.")
    assert missing.status == "unscored" and "Total score" in (missing.reason or "")


async def test_stops_when_the_score_stops_improving_and_keeps_the_best() -> None:
    backend = Script([12, 18, 15, 24])
    state = await criteria_graph(scripted(backend), max_rounds=5).ainvoke(
        {"prompt": PROMPT}, CONFIG
    )
    assert [a["total"] for a in state["attempts"]] == [12, 18, 15]
    assert state["stop_reason"] == "no_improvement" and state["rounds"] == 2
    assert (state["solution"], state["best_round"], state["best_score"]) == ("draft 1", 1, 18)
    assert state["pairs"] == []
    (record,) = state["sft"]  # the best attempt, as it beat the first by the critic's score
    assert record["messages"][-1]["content"] == "draft 1"
    assert record["meta"]["verified_by"] == "critic_score"
    # the second refinement improves on the best draft, with the others lowest score first
    last = backend.refine_prompts[-1]
    assert "draft 1" in last.split("[BEGIN RESPONSE", 1)[1]
    assert "Draft 1 (total 12/25)" in last.split("[BEGIN RESPONSE", 1)[0]


async def test_stops_at_the_target_score() -> None:
    state = await criteria_graph(scripted(Script([12, 25, 30]))).ainvoke({"prompt": PROMPT}, CONFIG)
    assert state["stop_reason"] == "target" and state["solution"] == "draft 1"
    graph = criteria_graph(scripted(Script([12, 16, 20])), target_score=15)
    state = await graph.ainvoke({"prompt": PROMPT}, CONFIG)
    assert state["stop_reason"] == "target" and state["rounds"] == 1


async def test_a_first_answer_that_is_never_beaten_is_kept_without_records() -> None:
    state = await criteria_graph(scripted(Script([20, 20]))).ainvoke({"prompt": PROMPT}, CONFIG)
    assert state["stop_reason"] == "no_improvement" and state["solution"] == "draft 0"
    assert state["sft"] == [] and state["first_score"] == state["best_score"] == 20


async def test_unreadable_feedback_is_asked_again_then_stops_the_loop() -> None:
    state = await criteria_graph(scripted(Script([None]))).ainvoke({"prompt": PROMPT}, CONFIG)
    assert state["stop_reason"] == "critic_unscored" and state["unscored"] == {"critic": 1}
    assert state["solution"] == "draft 0" and state["best_score"] is None


async def _open_quality(seed: int, count: int, **critic: float) -> tuple[float, float]:
    roles = Roles.sim(seed=seed, profile={"critic": {"malformed_rate": 0.0, **critic}})
    graph = criteria_graph(roles)
    world, first, final = SimWorld(seed), 0.0, 0.0
    for i in range(count):
        task = world.instruction(i)
        state = await graph.ainvoke({"prompt": task.question, "item_id": f"o{i}"}, CONFIG)
        for attempt in state["attempts"]:
            assert attempt["feedback_status"] == "scored" and attempt["top"] == 25
        first += quality(task, state["attempts"][0]["solution"])
        final += quality(task, state["solution"])
    return first / count, final / count


async def test_refining_with_good_feedback_raises_true_quality() -> None:
    first, good = await _open_quality(3, 10)
    _, weak = await _open_quality(3, 10, recall=0.4)
    blind_first, blind = await _open_quality(3, 10, recall=0.0, false_positive_rate=0.0)
    # Measured with seed 3 (10 items): 0.61 -> 0.89 (critic recall 0.85), -> 0.78 (recall
    # 0.4), and
    # unchanged with a critic that notices nothing: the gain comes from the feedback.
    assert good >= first + 0.15
    assert good > weak > first
    assert blind == blind_first


async def test_an_mt_bench_writing_prompt_is_refined() -> None:
    if not MT_BENCH.exists():
        pytest.skip(f"public data not found at {MT_BENCH}")
    rows = [json.loads(line) for line in MT_BENCH.read_text().splitlines() if line.strip()]
    prompts = [r["turns"][0] for r in rows if r["category"] == "writing"][:6]
    graph = criteria_graph(Roles.sim(seed=2, profile={"critic": {"malformed_rate": 0.0}}))
    gains = 0.0
    for prompt in prompts:
        state = await graph.ainvoke({"prompt": prompt}, CONFIG)
        assert state["best_score"] is not None and state["stop_reason"] != "critic_unscored"
        aspects = aspects_for(prompt)
        before = aspect_quality(aspects, state["attempts"][0]["solution"])
        after = aspect_quality(aspects, state["solution"])
        assert after >= before - 0.35  # the critic's best may be a little worse, rarely
        gains += after - before
    assert gains > 0


def test_a_criteria_run_from_the_shell_is_viewed_with_its_scores(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sparring.cli import cli

    out = tmp_path / "run"
    runner = CliRunner()
    args = ["run", "refine", "--prompt", PROMPT, "-o", "feedback=criteria", "--out", str(out)]
    result = runner.invoke(cli, [*args, "--no-preflight"])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli, ["view", str(out), "--item", "#1"])
    assert shown.exit_code == 0 and "/25" in shown.output and "total " in shown.output
    assert "no step marks" not in shown.output  # read as criteria, not as a step critique
