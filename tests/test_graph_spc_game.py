"""SPC game: topology, a simulated run, the reward rules on scripted games, the scoreboard."""

from __future__ import annotations

from typing import Any

import pytest

from sparring import Roles
from sparring.agents import Verdict
from sparring.errors import ConfigError
from sparring.graphs import REGISTRY
from sparring.graphs._spc_rules import call_of, control_reward, tampered_rewards
from sparring.graphs._spc_steps import split_solution_steps
from sparring.graphs.spc_game import GameOutcome, SpcScoreboard, create_spc_game_graph
from sparring.models import (
    BackendRequest,
    BackendResult,
    Completion,
    Gateway,
    Model,
    RetryPolicy,
)
from sparring.sim import SimWorld
from tests._snapshots import assert_topology

FAST = RetryPolicy(max_attempts=2, initial_delay_s=0.001, jitter=0.0)
QUESTION = "A box holds 2 red and 3 blue pens. How many pens are in the box?"
SOLUTION = "Step 1: 2 + 3 = 5 pens in the box.\n#### 5"
TAMPERED = "Step 1: 2 + 3 = 6 pens in the box."
VERDICT = {"correct": "<Answer>Correct</Answer>", "incorrect": "<Answer>Incorrect</Answer>"}


class Script:
    """One backend for every role of a scripted game, told by the prompt what is asked.

    Args:
        original: Rollouts (of 8) from the original step that reach the gold.
        tampered: Rollouts (of 8) from the tampered step that reach the gold.
        on_tampered: The critic's calls on the tampered step, by sample (cycled).
        on_control: The critic's calls on the original step, by sample (cycled).
        sneaky: The sneaky generator's output.
    """

    def __init__(
        self,
        *,
        original: int = 8,
        tampered: int = 0,
        on_tampered: tuple[str, ...] = ("incorrect",),
        on_control: tuple[str, ...] = ("correct",),
        sneaky: str = f"Error type: calculation\nPlan: add one.\nIncorrect step: {TAMPERED}",
    ) -> None:
        self.original, self.tampered = original, tampered
        self.on_tampered, self.on_control, self.sneaky = on_tampered, on_control, sneaky
        self.asked: list[str] = []

    def _critic(self, text: str, i: int) -> str:
        calls = self.on_tampered if "= 6" in text.split("[BEGIN STEP", 1)[1] else self.on_control
        call = calls[i % len(calls)]
        return f"Summary: adds the pens.\nCritique: see the step.\n{VERDICT.get(call, 'hmm')}"

    def _rollout(self, text: str, i: int) -> str:
        good = self.tampered if "= 6" in text else self.original
        return "#### 5" if i % 8 < good else "#### 7"

    def answer(self, text: str, i: int) -> str:
        if "Your reply could not be used" in text:
            self.asked.append("repair")
            return "still no verdict"
        if "[BEGIN STEP" in text and "<Answer>" in text:
            self.asked.append("critic")
            return self._critic(text, i)
        if "Incorrect step" in text:
            self.asked.append("sneaky")
            return self.sneaky
        if "PARTIAL SOLUTION" in text:
            self.asked.append("rollout")
            return self._rollout(text, i)
        self.asked.append("solve")
        return SOLUTION

    async def generate(self, request: BackendRequest) -> BackendResult:
        text = "\n".join(m["content"] for m in request.messages)
        indices = range(request.sample_index, request.sample_index + request.n)
        return BackendResult([Completion(text=self.answer(text, i), index=i) for i in indices])


def scripted_roles(script: Any) -> Roles:
    gateway = Gateway(retry=FAST, backend_factory=lambda _m: script, seed=0)
    return Roles({r: Model(f"test/{r}") for r in ("actor", "sneaky", "critic")}, gateway=gateway)


async def play(script: Any, **options: Any) -> dict[str, Any]:
    graph = create_spc_game_graph(scripted_roles(script), **options)
    state: dict[str, Any] = await graph.ainvoke(
        {"prompt": QUESTION, "answer": "5", "item_id": "g1"}
    )
    return state


def rewards(state: dict[str, Any], role: str, game: str) -> list[float]:
    return [
        r["reward"] for r in state.get("rl", []) if r["meta"]["role"] == role
        and r["meta"]["game"] == game
    ]  # fmt: skip


def test_topology() -> None:
    assert_topology(create_spc_game_graph(Roles.sim(seed=0)), "spc-game")


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="rollouts"):
        create_spc_game_graph(Roles.sim(), rollouts=0)
    with pytest.raises(ConfigError, match="accept_tampered_max"):
        create_spc_game_graph(Roles.sim(), accept_original_min=0.2, accept_tampered_max=0.3)
    with pytest.raises(ConfigError, match="control_rate"):
        create_spc_game_graph(Roles.sim(), control_rate=1.5)


def test_the_rules_table() -> None:
    assert tampered_rewards("incorrect") == (1, -1)  # caught: critic +1, sneaky -1
    assert tampered_rewards("correct") == (-1, 1)  # fooled: critic -1, sneaky +1
    assert tampered_rewards("unscored") is None
    assert (control_reward("correct"), control_reward("incorrect")) == (1, -1)
    assert control_reward("unscored") is None
    assert call_of(Verdict.from_score(1.0)) == "correct"
    assert call_of(Verdict.from_score(0.0)) == "incorrect"
    assert call_of(Verdict.unscored("pointwise", "parse_failure")) == "unscored"


def test_steps_are_split_without_the_answer_line() -> None:
    text = "Intro line.\nStep 1: 2 + 2 = 4.\ncarry on\nStep 2: 4 * 3 = 12.\n#### 12"
    assert split_solution_steps(text) == ["Step 1: 2 + 2 = 4. carry on", "Step 2: 4 * 3 = 12."]
    assert split_solution_steps("a = 1\nb = 2\nThe answer is 2.") == ["a = 1", "b = 2"]


async def test_critic_catches_the_tampered_step_and_passes_the_control() -> None:
    state = await play(Script(), critic_samples=2)
    outcome = state["outcome"]
    assert outcome["status"] == "played" and outcome["validation"] == "accepted"
    assert (outcome["original_success"], outcome["tampered_success"]) == (1.0, 0.0)
    assert outcome["tampered_calls"] == ["incorrect", "incorrect"]
    assert outcome["control_calls"] == ["correct", "correct"]
    assert (outcome["critic_reward"], outcome["sneaky_reward"]) == (4, -2)
    assert rewards(state, "critic", "tampered") == [1.0, 1.0]
    assert rewards(state, "sneaky", "tampered") == [-1.0, -1.0]
    assert rewards(state, "critic", "control") == [1.0, 1.0]
    assert rewards(state, "sneaky", "control") == []
    assert state["pairs"] == []  # the samples agree: no critique pair
    labels = sorted((r["meta"]["game"], tuple(r["labels"])) for r in state["prm"])
    assert labels == [("original", (True,)), ("tampered", (False,))]
    sneaky_record = next(r for r in state["rl"] if r["meta"]["role"] == "sneaky")
    assert (
        sneaky_record["answer"].endswith(TAMPERED) and "Incorrect step" in sneaky_record["prompt"]
    )


async def test_a_fooled_critic_pays_the_sneaky_generator() -> None:
    state = await play(Script(on_tampered=("correct",)), critic_samples=1)
    assert (state["outcome"]["critic_reward"], state["outcome"]["sneaky_reward"]) == (0, 1)
    assert rewards(state, "critic", "tampered") == [-1.0]
    assert rewards(state, "sneaky", "tampered") == [1.0]
    assert rewards(state, "critic", "control") == [1.0]


async def test_controls_pay_only_for_correct() -> None:
    state = await play(Script(on_control=("incorrect",)), critic_samples=3)
    assert rewards(state, "critic", "control") == [-1.0, -1.0, -1.0]
    assert state["outcome"]["critic_reward"] == 3 - 3
    assert rewards(state, "sneaky", "control") == []


async def test_disagreeing_samples_make_a_critique_pair() -> None:
    state = await play(Script(on_tampered=("incorrect", "correct")), critic_samples=2)
    assert rewards(state, "critic", "tampered") == [1.0, -1.0]
    assert rewards(state, "sneaky", "tampered") == [-1.0, 1.0]
    (pair,) = state["pairs"]
    assert pair["chosen"].endswith(VERDICT["incorrect"])
    assert pair["rejected"].endswith(VERDICT["correct"])
    assert pair["meta"]["kind"] == "critique" and pair["meta"]["extra"]["game"] == "tampered"


async def test_unscored_verdicts_earn_nothing_and_are_counted() -> None:
    script = Script(on_tampered=("garbage",), on_control=("garbage",))
    state = await play(script, critic_samples=2)
    outcome = state["outcome"]
    assert outcome["tampered_calls"] == ["unscored", "unscored"]
    assert outcome["control_calls"] == ["unscored", "unscored"]
    assert (outcome["critic_reward"], outcome["sneaky_reward"]) == (0, 0)
    assert state["rl"] == [] and state["pairs"] == []
    assert state["judged"] == {"critic": 4} and state["unscored"] == {"critic": 4}
    assert script.asked.count("repair") == 4  # each unreadable verdict was re-asked once
    board = SpcScoreboard.of([outcome])
    assert board.unscored == 4 and board.tampered_games == 0 and board.unscored_rate == 1.0


@pytest.mark.parametrize(("original", "tampered"), [(8, 4), (3, 0)])
async def test_validation_rejects_and_nobody_is_paid(original: int, tampered: int) -> None:
    script = Script(original=original, tampered=tampered)
    state = await play(script, critic_samples=1)
    outcome = state["outcome"]
    assert outcome["validation"] == "rejected" and outcome["tampered_calls"] == []
    assert rewards(state, "sneaky", "tampered") == [] and rewards(state, "critic", "tampered") == []
    assert outcome["sneaky_reward"] == 0
    if original >= 4:  # the original step is still valid: it is played as a control
        assert outcome["status"] == "played" and outcome["control_calls"] == ["correct"]
    else:  # nothing can be trusted: no critic call at all
        assert outcome["status"] == "rejected" and "critic" not in script.asked
        assert state["prm"] == []


async def test_thresholds_are_configurable() -> None:
    script = Script(original=6, tampered=2)
    state = await play(script, accept_original_min=0.75, accept_tampered_max=0.25)
    assert state["outcome"]["validation"] == "accepted"


async def test_no_control_when_the_rate_is_zero() -> None:
    state = await play(Script(), control_rate=0.0, critic_samples=1)
    assert state["outcome"]["control"] is False and state["outcome"]["control_calls"] == []
    assert state["outcome"]["critic_reward"] == 1


@pytest.mark.parametrize(
    ("sneaky", "problem"),
    [("Error type: calculation\nPlan: none", "unreadable"),
     (f"Error type: misread\nIncorrect step: {SOLUTION.splitlines()[0]}", "unchanged")],
)  # fmt: skip
async def test_unusable_rewrites_are_not_validated(sneaky: str, problem: str) -> None:
    script = Script(sneaky=sneaky)
    state = await play(script, critic_samples=1)
    outcome = state["outcome"]
    assert outcome["tamper_problem"] == problem and outcome["validation"] is None
    assert outcome["sneaky_reward"] == 0 and outcome["control_calls"] == ["correct"]
    assert script.asked.count("rollout") == 8  # only the original branch is rolled out


async def test_no_gold_and_no_solution_end_the_game_early() -> None:
    graph = create_spc_game_graph(scripted_roles(Script()))
    state = await graph.ainvoke({"prompt": QUESTION})
    assert state["outcome"]["status"] == "no_gold" and not state.get("rl")
    state = await graph.ainvoke({"prompt": QUESTION, "answer": "9"})
    assert state["outcome"]["status"] == "no_solution"


async def test_simulated_games_give_typed_outcomes_and_records() -> None:
    graph = create_spc_game_graph(Roles.sim(seed=5), rollouts=6)
    world = SimWorld(5)
    config = {"recursion_limit": REGISTRY["spc-game"].recursion_limit}
    board = SpcScoreboard()
    records: dict[str, int] = {"rl": 0, "prm": 0}
    for i in range(8):
        task = world.problem(i)
        item = {"prompt": task.question, "answer": task.answer_text, "item_id": f"w{i}"}
        state = await graph.ainvoke(item, config)
        outcome: GameOutcome = state["outcome"]
        board.add(outcome)
        for kind in records:
            records[kind] += len(state.get(kind, []))
        for record in state.get("rl", []):
            assert record["reward"] in (1.0, -1.0) and record["meta"]["role"] in (
                "critic",
                "sneaky",
            )
        for record in state.get("prm", []):
            assert len(record["steps"]) == len(record["labels"])
    assert board.items == 8 and board.played >= 5
    assert records["rl"] > 0 and records["prm"] > 0
    assert board.control_games > 0 and board.tampered_games > 0
    assert board.as_dict()["critic_reward"] == board.critic_reward


async def test_always_incorrect_does_not_pay_but_a_good_critic_does() -> None:
    world = SimWorld(9)
    items = [
        {"prompt": t.question, "answer": t.answer_text, "item_id": f"w{i}"}
        for i, t in enumerate(world.problem(i) for i in range(16))
    ]
    totals = {}
    for label, critic in {
        "always": {"recall": 1.0, "subtle_recall": 1.0, "false_positive_rate": 1.0},
        "good": {"recall": 1.0, "subtle_recall": 1.0, "false_positive_rate": 0.0},
    }.items():
        roles = Roles.sim(seed=9, profile={"critic": {**critic, "malformed_rate": 0.0}})
        graph = create_spc_game_graph(roles, critic_samples=1, rollouts=4)
        board = SpcScoreboard.of([(await graph.ainvoke(item))["outcome"] for item in items])
        totals[label] = board
    assert totals["always"].critic_reward <= 0
    assert totals["always"].critic_control_accuracy == 0.0
    assert totals["good"].critic_reward > 0 and totals["good"].critic_control_accuracy == 1.0


def test_scoreboard_rates_and_sum() -> None:
    base: GameOutcome = {
        "item_id": "a", "status": "played", "step_index": 0, "n_steps": 2, "error_type": "x",
        "tamper_problem": None, "original_success": 1.0, "tampered_success": 0.0,
        "validation": "accepted", "control": True, "tampered_calls": ["incorrect", "correct"],
        "control_calls": ["correct", "unscored"], "critic_reward": 1, "sneaky_reward": 0,
    }  # fmt: skip
    rejected: GameOutcome = {**base, "validation": "rejected", "tampered_calls": [],
                             "control_calls": ["incorrect"], "critic_reward": -1}  # fmt: skip
    board = SpcScoreboard.of([base]) + SpcScoreboard.of([rejected])
    assert board.items == 2 and board.validated == 2 and board.validation_rejection_rate == 0.5
    assert board.critic_tampered_accuracy == 0.5 and board.sneaky_success_rate == 0.5
    assert board.control_games == 2 and board.critic_control_accuracy == 0.5
    assert board.unscored == 1 and board.critic_reward == 0
    assert SpcScoreboard().critic_tampered_accuracy is None


class Failing:
    """A backend that always raises."""

    async def generate(self, request: BackendRequest) -> BackendResult:
        raise RuntimeError("critic backend is down")


async def test_a_failing_critic_leaves_unscored_counts_and_no_critic_records() -> None:
    script = Script()
    backends = {"test/critic": Failing()}
    gateway = Gateway(retry=FAST, backend_factory=lambda m: backends.get(m.name, script), seed=0)
    roles = Roles({r: Model(f"test/{r}") for r in ("actor", "sneaky", "critic")}, gateway=gateway)
    graph = create_spc_game_graph(roles, critic_samples=2)
    state = await graph.ainvoke({"prompt": QUESTION, "answer": "5", "item_id": "g1"})
    assert state["unscored"] == {"critic": 4} and state["judged"] == {"critic": 4}
    assert state["rl"] == [] and state["pairs"] == []
    assert state["outcome"]["critic_reward"] == 0 and state["outcome"]["sneaky_reward"] == 0
