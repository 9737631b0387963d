"""B-STaR over iterations: exploration, exploitation and the balance score, kept by adjustment."""

from __future__ import annotations

import json
import random
from pathlib import Path

import datasets
import pytest
from click.testing import CliRunner

from sparring.cli import cli
from sparring.errors import ConfigError
from sparring.graphs._reasoning_common import Sample
from sparring.iterate import (
    BStarIteration,
    BStarPlan,
    HookFailed,
    ModelSpec,
    TrainingRequest,
    item_balance,
    load_bstar,
    run_bstar,
    vote_rewards,
)
from sparring.run import Run
from sparring.sim._profile import ActorSkill
from sparring.sim._self_training import SelfTrainingTally, self_train


def _problems(path: Path, count: int) -> Path:
    """Three-step word problems written here, with GSM8K-style calculator annotations."""
    rng = random.Random(11)
    rows = []
    for i in range(count):
        a, b, c, d = rng.randint(3, 9), rng.randint(4, 12), rng.randint(2, 20), rng.randint(2, 5)
        p, q = a * b, a * b - c
        r = q * d
        question = (
            f"A stall has {a} crates with {b} melons each. It sells {c} melons, then packs "
            f"the rest into bags of {d} portions each. How many portions are there? (#{i})"
        )
        answer = (
            f"{a} * {b} = <<{a}*{b}={p}>>{p} melons.\n{p} - {c} = <<{p}-{c}={q}>>{q} left.\n"
            f"{q} * {d} = <<{q}*{d}={r}>>{r} portions.\n#### {r}"
        )
        rows.append({"prompt": question, "answer": answer})
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _plan(data: Path, adjust: bool) -> BStarPlan:
    return BStarPlan(
        iterations=3, items=8, n_samples=8, n_star=6, probe=3, adjust=adjust, seed=1,
        temperatures=(0.7, 1.3, 1.9), thresholds=(0.25, 0.5), data=str(data), collapse_rate=0.5,
    )  # fmt: skip


def _sample(i: int, text: str, answer: str, correct: bool) -> Sample:
    return {"index": i, "text": text, "answer": answer, "correct": correct}


def test_balance_score_follows_the_paper_formula() -> None:
    samples = [
        _sample(0, "a #### 4", "4", True),
        _sample(1, "b #### 4", "4", True),
        _sample(2, "a #### 4", "4", True),
        _sample(3, "c #### 5", "5", False),
    ]
    rewards = vote_rewards(samples)
    assert rewards == [0.75, 0.75, 0.75, 0.25]
    row = item_balance(samples, rewards, threshold=0.5, n_star=4)
    # 3 selected, all right, 2 distinct right: min(2/4, 1) * 3/3
    assert (row.selected, row.selected_correct, row.unique_correct_selected) == (3, 3, 2)
    assert row.balance == 0.5 and row.distinct_correct == 2 and row.selected_distinct == 1
    loose = item_balance(samples, rewards, threshold=0.0, n_star=2)
    assert loose.balance == 0.75  # min(2/2, 1) * 3/4: the wrong one was let through
    assert item_balance(samples, rewards, threshold=0.9, n_star=2).balance == 0.0


def test_self_training_sharpens_the_actor_and_learns_from_its_selection() -> None:
    actor = ActorSkill(accuracy=0.6)
    clean = self_train(actor, SelfTrainingTally(10, 10, 10, novelty=1.0))
    noisy = self_train(actor, SelfTrainingTally(10, 4, 10, novelty=1.0))
    copies = self_train(actor, SelfTrainingTally(10, 10, 0, novelty=0.2))
    assert clean.accuracy > copies.accuracy > actor.accuracy > noisy.accuracy
    assert copies.diversity < clean.diversity < actor.diversity
    assert self_train(actor, SelfTrainingTally(0, 0, 0, 0.0)) == actor


async def test_adjusting_temperature_keeps_exploration_that_fixed_sampling_loses(
    tmp_path: Path,
) -> None:
    data = _problems(tmp_path / "problems.jsonl", 8)
    fixed = await run_bstar(tmp_path / "fixed", _plan(data, adjust=False))
    adjusted = await run_bstar(tmp_path / "adjusted", _plan(data, adjust=True))
    assert [r.iteration for r in fixed] == [0, 1, 2] and fixed[0] == adjusted[0].model_copy(
        update={"run_dir": fixed[0].run_dir}
    )
    # Self-training collapses the actor's diversity; at a fixed temperature the distinct
    # right samples per problem fall, and the balance score with them.
    first, end = fixed[0].actor_diversity, fixed[-1].actor_diversity
    assert first is not None and end is not None and end < 0.6 * first
    # (It first rises with accuracy, then falls: measured 4.25, 4.75, 3.5 with seed 1.)
    peak = max(fixed, key=lambda r: r.distinct_correct)
    assert fixed[-1].distinct_correct < peak.distinct_correct - 1.0
    assert fixed[-1].balance_score < max(r.balance_score for r in fixed)
    # B-STaR's adjustment heats sampling up as the actor sharpens and keeps exploring
    # (measured: 4.25, 4.88, 5.38 distinct right; balance 0.82 against 0.58 at the end).
    assert adjusted[-1].temperature > adjusted[0].temperature
    assert adjusted[-1].distinct_correct > fixed[-1].distinct_correct + 1.0
    assert adjusted[-1].balance_score > fixed[-1].balance_score
    for row in (*fixed, *adjusted):
        assert 0.0 <= row.balance_score <= 1.0 and row.pass_at_k >= row.vote_accuracy - 1e-9


async def test_iterations_are_runs_saved_in_a_manifest_and_shown_by_view(tmp_path: Path) -> None:
    data = _problems(tmp_path / "problems.jsonl", 4)
    plan = BStarPlan(iterations=2, items=4, n_samples=4, seed=2, data=str(data))
    folder = tmp_path / "bstar"
    rows = await run_bstar(folder, plan)
    saved_plan, saved = load_bstar(folder)
    assert saved_plan == plan and saved == rows
    run = Run.open(folder / "iter-1")
    assert run.config.graph == "self-consistency" and run.summary().items.get("done") == 4
    run.close()
    assert await run_bstar(folder, plan) == rows  # finished iterations are not redone
    with pytest.raises(ConfigError, match="other settings"):
        await run_bstar(folder, plan.model_copy(update={"n_samples": 6}))
    shown = CliRunner().invoke(cli, ["view", str(folder)])
    assert shown.exit_code == 0, shown.output
    assert "B-STaR iterations" in shown.output and "balance" in shown.output
    assert f"{rows[1].balance_score:.3f}" in shown.output


# --- a training hook between iterations -----------------------------------------------------


def _hooked_plan(data: Path) -> BStarPlan:
    return BStarPlan(iterations=2, items=3, n_samples=4, seed=3, threshold=0.5, data=str(data))


async def test_a_hook_trains_on_the_selection_and_its_model_is_the_next_actor(
    tmp_path: Path,
) -> None:
    data = _problems(tmp_path / "problems.jsonl", 3)
    seen: list[TrainingRequest] = []
    rows_seen: list[list[dict[str, object]]] = []

    def hook(request: TrainingRequest) -> dict[str, ModelSpec]:
        seen.append(request)
        train = datasets.load_dataset(str(request.records), cache_dir=str(tmp_path / "cache"))
        rows_seen.append([dict(r) for r in train["train"]])
        return {"actor": {"name": "sim/actor", "seed": 7, "extra": {"sim_profile": {
            "actor": {"accuracy": 0.95}}}}}  # fmt: skip

    folder = tmp_path / "b"
    rows = await run_bstar(folder, _hooked_plan(data), hook=hook)
    assert len(seen) == 1 and seen[0].iteration == 0  # between iterations, not after the last
    assert seen[0].models == {"actor": "sim/actor"}
    assert seen[0].records == (folder / "iter-0" / "records").resolve()
    # The rows are the samples the vote reward selected: as many as the monitors counted,
    # each with its problem's prompt and the selected solution.
    got = rows_seen[0]
    assert len(got) == round(rows[0].selected_per_item * 3) > 0
    prompts = {json.loads(line)["prompt"] for line in data.read_text().splitlines()}
    run = Run.open(folder / "iter-0")
    samples = {o["selected_text"] for _, o in run.outputs()}
    run.close()
    for row in got:
        assert row["prompt"] in prompts and float(str(row["reward"])) >= 0.5
        assert str(row["completion"]).strip() and "####" in str(row["completion"])
    assert samples & {str(r["completion"]) for r in got}  # the majority answers are among them
    # The hook's model played the next iteration (a different simulator seed and skill).
    assert rows[0].learning == "hook" and rows[0].status == "trained"
    assert rows[1].actor_model == rows[0].next_actor_model
    nxt = Run.open(folder / "iter-1")
    assert nxt.config.roles["actor"]["seed"] == 7
    nxt.close()
    assert rows[1].actor_accuracy == 0.95 and rows[0].actor_accuracy == 0.6
    assert rows[1].vote_accuracy >= rows[0].vote_accuracy


async def test_a_run_killed_after_its_hook_resumes_without_training_again(tmp_path: Path) -> None:
    data = _problems(tmp_path / "problems.jsonl", 3)
    calls: list[int] = []

    def hook(request: TrainingRequest) -> dict[str, ModelSpec]:
        calls.append(request.iteration)
        return {"actor": "sim/actor-v2"}  # a model string keeps the other settings

    class Killed(Exception):
        pass

    def kill(row: BStarIteration) -> None:
        raise Killed  # the process dies once iteration 0 is trained, before iteration 1

    folder = tmp_path / "b"
    with pytest.raises(Killed):
        await run_bstar(folder, _hooked_plan(data), hook=hook, on_iteration=kill)
    assert calls == [0] and not (folder / "iter-1").exists()
    with pytest.raises(ConfigError, match="trained by a hook"):  # extending needs the hook
        await run_bstar(folder, _hooked_plan(data).model_copy(update={"iterations": 3}))
    rows = await run_bstar(folder, _hooked_plan(data), hook=hook)
    assert calls == [0]  # the finished training was not redone
    assert rows[1].actor_model is not None and rows[1].actor_model["name"] == "sim/actor-v2"
    assert rows[1].actor_model["seed"] == 3  # kept from the first actor's settings
    run = Run.open(folder / "iter-1")
    assert run.config.roles["actor"]["name"] == "sim/actor-v2"
    run.close()


async def test_a_failing_python_hook_keeps_the_iteration_and_is_retried(tmp_path: Path) -> None:
    data = _problems(tmp_path / "problems.jsonl", 3)

    def broken(request: TrainingRequest) -> None:
        raise RuntimeError("CUDA out of memory")

    folder = tmp_path / "b"
    with pytest.raises(HookFailed, match=r"after iteration 0 .*CUDA out of memory"):
        await run_bstar(folder, _hooked_plan(data), hook=broken)
    _, saved = load_bstar(folder)
    assert [(r.status, r.learning) for r in saved] == [("played", "hook")]
    with pytest.raises(ConfigError, match="trained by a hook"):  # not on, untrained
        await run_bstar(folder, _hooked_plan(data))
    with pytest.raises(HookFailed, match="unknown role 'judge'"):
        await run_bstar(folder, _hooked_plan(data), hook=lambda r: {"judge": "x/y"})
    rows = await run_bstar(folder, _hooked_plan(data), hook=lambda r: None)  # None: the same
    assert rows[0].learning == "hook" and rows[1].actor_model == rows[0].actor_model


async def test_without_a_hook_the_simulated_actor_learns_and_records_are_written(
    tmp_path: Path,
) -> None:
    data = _problems(tmp_path / "problems.jsonl", 3)
    folder = tmp_path / "b"
    rows = await run_bstar(folder, _hooked_plan(data))
    assert rows[0].learning == "simulated" and rows[0].actor_model is None
    assert rows[1].actor_accuracy != rows[0].actor_accuracy  # the rule moved its skills
    lines = (folder / "iter-1" / "records" / "data" / "train.jsonl").read_text().splitlines()
    assert len(lines) == round(rows[1].selected_per_item * 3)
