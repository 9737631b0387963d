"""The rules of the Self-Play Critic game, and a scoreboard that aggregates game outcomes.

A critic call on a step is ``correct``, ``incorrect`` or ``unscored``. The rules (SPC, Chen et
al. 2025, with untouched steps as controls; ours):

- a tampered step that passed validation: the critic says Incorrect -> critic +1, sneaky -1;
  the critic says Correct (fooled) -> critic -1, sneaky +1;
- a control step (the untouched original, validated by rollouts): Correct -> critic +1,
  Incorrect -> critic -1; the sneaky generator is not involved;
- an unscored call earns nobody anything and is counted;
- a tampered step that failed validation is discarded: no game, no reward.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from typing_extensions import TypedDict

from sparring.agents import Verdict

__all__ = [
    "SUBTLE_ERRORS",
    "Call",
    "GameOutcome",
    "GameStatus",
    "SpcScoreboard",
    "call_of",
    "control_reward",
    "outcome_of",
    "tampered_rewards",
]

Call = Literal["correct", "incorrect", "unscored"]
"""What the critic said about a step."""

GameStatus = Literal["played", "no_gold", "no_solution", "no_steps", "no_tamper", "rejected"]
"""How an item's game ended: played, or why no critic game took place."""

SUBTLE_ERRORS = frozenset({"misread", "wrong_operation"})
"""Error types that keep a step's arithmetic self-consistent (the rest are visible slips)."""


def call_of(verdict: Verdict) -> Call:
    """The critic's call in a step verdict (score 1.0 Correct, 0.0 Incorrect)."""
    if not verdict.is_scored:
        return "unscored"
    return "correct" if verdict.require_score() >= 0.5 else "incorrect"


def tampered_rewards(call: Call) -> tuple[int, int] | None:
    """``(critic, sneaky)`` rewards for one call on a validated tampered step; None unscored."""
    if call == "incorrect":
        return 1, -1
    if call == "correct":
        return -1, 1
    return None


def control_reward(call: Call) -> int | None:
    """The critic's reward for one call on an untouched (control) step; None unscored."""
    if call == "correct":
        return 1
    if call == "incorrect":
        return -1
    return None


class GameOutcome(TypedDict):
    """What happened in one item's game.

    Attributes:
        item_id: The item.
        status: ``played`` when the critic judged at least one step, else why not.
        step_index: The step picked (0-based), when one was.
        n_steps: Steps in the solver's solution.
        error_type: The error type the sneaky generator chose.
        tamper_problem: ``unreadable`` or ``unchanged`` when the rewrite was unusable.
        original_success: Share of rollouts from prefix + original step reaching the gold.
        tampered_success: Share of rollouts from prefix + tampered step reaching the gold.
        validation: ``accepted`` or ``rejected`` when a tampered step was validated.
        control: Whether the original step was judged as a control.
        tampered_calls: The critic's calls on the tampered step (one per sample).
        control_calls: The critic's calls on the control step.
        critic_reward: The critic's total reward in this item.
        sneaky_reward: The sneaky generator's total reward in this item.
    """

    item_id: str | None
    status: GameStatus
    step_index: int | None
    n_steps: int | None
    error_type: str | None
    tamper_problem: Literal["unreadable", "unchanged"] | None
    original_success: float | None
    tampered_success: float | None
    validation: Literal["accepted", "rejected"] | None
    control: bool
    tampered_calls: list[Call]
    control_calls: list[Call]
    critic_reward: int
    sneaky_reward: int


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


@dataclass(slots=True)
class SpcScoreboard:
    """Running totals over SPC game outcomes (add outcomes with ``add``; merge with ``+``).

    Attributes:
        items: Items played (whatever their status).
        played: Items where the critic judged at least one step.
        no_solution: Items with no usable solution (no gold, no sample matching it, no steps).
        no_tamper: Items whose sneaky rewrite was unreadable or unchanged.
        validated: Tampered steps that went through rollout validation.
        rejected: Tampered steps validation rejected.
        tampered_games: Scored critic calls on accepted tampered steps.
        tampered_caught: Those calls that said Incorrect.
        control_games: Scored critic calls on control steps.
        control_correct: Those calls that said Correct.
        unscored: Critic calls that came back unscored.
        critic_reward: The critic's total reward.
        sneaky_reward: The sneaky generator's total reward.
    """

    items: int = 0
    played: int = 0
    no_solution: int = 0
    no_tamper: int = 0
    validated: int = 0
    rejected: int = 0
    tampered_games: int = 0
    tampered_caught: int = 0
    control_games: int = 0
    control_correct: int = 0
    unscored: int = 0
    critic_reward: int = 0
    sneaky_reward: int = 0

    def add(self, outcome: GameOutcome) -> SpcScoreboard:
        """Count one item's outcome in (returns self, for chaining)."""
        self.items += 1
        self.played += outcome["status"] == "played"
        self.no_solution += outcome["status"] in ("no_solution", "no_gold", "no_steps")
        self.no_tamper += outcome["tamper_problem"] is not None
        self.validated += outcome["validation"] is not None
        self.rejected += outcome["validation"] == "rejected"
        tampered = [c for c in outcome["tampered_calls"] if c != "unscored"]
        control = [c for c in outcome["control_calls"] if c != "unscored"]
        self.tampered_games += len(tampered)
        self.tampered_caught += tampered.count("incorrect")
        self.control_games += len(control)
        self.control_correct += control.count("correct")
        self.unscored += (outcome["tampered_calls"] + outcome["control_calls"]).count("unscored")
        self.critic_reward += outcome["critic_reward"]
        self.sneaky_reward += outcome["sneaky_reward"]
        return self

    @classmethod
    def of(cls, outcomes: list[GameOutcome]) -> SpcScoreboard:
        """A scoreboard over ``outcomes``."""
        board = cls()
        for outcome in outcomes:
            board.add(outcome)
        return board

    def __add__(self, other: SpcScoreboard) -> SpcScoreboard:
        return SpcScoreboard(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def critic_tampered_accuracy(self) -> float | None:
        """Share of scored calls on tampered steps that said Incorrect."""
        return _rate(self.tampered_caught, self.tampered_games)

    @property
    def critic_control_accuracy(self) -> float | None:
        """Share of scored calls on control steps that said Correct."""
        return _rate(self.control_correct, self.control_games)

    @property
    def sneaky_success_rate(self) -> float | None:
        """Share of scored calls on tampered steps that the sneaky step fooled."""
        return _rate(self.tampered_games - self.tampered_caught, self.tampered_games)

    @property
    def validation_rejection_rate(self) -> float | None:
        """Share of validated tampered steps that validation rejected."""
        return _rate(self.rejected, self.validated)

    @property
    def unscored_rate(self) -> float | None:
        """Share of critic calls that came back unscored."""
        calls = self.tampered_games + self.control_games + self.unscored
        return _rate(self.unscored, calls)

    def as_dict(self) -> dict[str, Any]:
        """Counts and rates as JSON data."""
        counts: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        return {
            **counts,
            "critic_tampered_accuracy": self.critic_tampered_accuracy,
            "critic_control_accuracy": self.critic_control_accuracy,
            "sneaky_success_rate": self.sneaky_success_rate,
            "validation_rejection_rate": self.validation_rejection_rate,
            "unscored_rate": self.unscored_rate,
        }


def _status(state: Mapping[str, Any], calls: list[Call]) -> GameStatus:
    if calls:
        return "played"
    if "status" in state:
        status: GameStatus = state["status"]
        return status
    if state.get("tamper_problem"):
        return "no_tamper"
    return "rejected"


def outcome_of(state: Mapping[str, Any]) -> GameOutcome:
    """An item's ``GameOutcome`` from the SPC graph's state, rewards counted by the rules."""
    tampered = [call_of(Verdict.model_validate(v)) for v in state.get("tampered_verdicts") or []]
    control = [call_of(Verdict.model_validate(v)) for v in state.get("control_verdicts") or []]
    pays = [r for r in map(tampered_rewards, tampered) if r is not None]
    control_pays = [r for r in map(control_reward, control) if r is not None]
    accepted = state.get("accepted")
    steps = state.get("steps")
    return {
        "item_id": state.get("item_id"),
        "status": _status(state, tampered + control),
        "step_index": state.get("step_index"),
        "n_steps": len(steps) if steps else None,
        "error_type": state.get("error_type"),
        "tamper_problem": state.get("tamper_problem"),
        "original_success": state.get("original_success"),
        "tampered_success": state.get("tampered_success"),
        "validation": None if accepted is None else ("accepted" if accepted else "rejected"),
        "control": bool(control),
        "tampered_calls": tampered,
        "control_calls": control,
        "critic_reward": sum(c for c, _ in pays) + sum(control_pays),
        "sneaky_reward": sum(s for _, s in pays),
    }
