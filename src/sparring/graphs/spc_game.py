"""Self-Play Critic (SPC) game: a sneaky generator tampers with a step, a critic judges it.

Chen et al., 2025 (arXiv 2504.19162). One item is one game::

    solve -> tamper -> validate -> judge -> settle
      |         |          |
      +---------+----------+--> settle   (no solution / nothing to judge)

1. **solve**: the actor writes ``solve_samples`` solutions; the first whose final answer
   matches the gold is split into steps.
2. **tamper**: a step is picked (seeded by ``seed`` and the item) and the sneaky generator
   rewrites it, choosing an error type from its taxonomy. Whether the untouched step is also
   played as a control is drawn here (probability ``control_rate``).
3. **validate**: the actor rolls out ``rollouts`` continuations from prefix + original step
   and from prefix + tampered step. The tampered step is accepted when the original branch
   reaches the gold at least ``accept_original_min`` of the time and the tampered branch at
   most ``accept_tampered_max``. The control needs only the original branch to pass.
4. **judge**: the critic judges the accepted tampered step and the control step
   (``critic_samples`` verdicts each, three-outcome ``Verdict``).
5. **settle**: rewards by the game's rules (``sparring.graphs._spc_rules``), the item's
   ``GameOutcome``, and records: RL records for both roles, critique pairs where critic
   samples disagree, step labels (PRM) for validated positions.

Aggregate outcomes over items with ``SpcScoreboard``.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore

from sparring.agents import GSM8K_FORMAT, Actor, Critic, SneakyGenerator, Verdict, verdict_counts
from sparring.errors import ConfigError
from sparring.graphs._nodes import add_route, add_traced
from sparring.graphs._options import check_range
from sparring.graphs._spc_records import Position, game_records
from sparring.graphs._spc_rules import GameOutcome, GameStatus, SpcScoreboard, outcome_of
from sparring.graphs._spc_steps import game_rng, split_solution_steps
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import Roles
from sparring.verify import extract_answer, is_equiv

__all__ = [
    "GameOutcome",
    "SpcGameState",
    "SpcScoreboard",
    "create_spc_game_graph",
]

SOLVE, TAMPER, VALIDATE, JUDGE, SETTLE = "solve", "tamper", "validate", "judge", "settle"


class SpcGameState(ItemInput, RecordsState, total=False):
    """State of one SPC game.

    Attributes:
        status: Why the game stopped early (``no_gold``, ``no_solution``, ``no_steps``).
        solution: The solver's solution that matched the gold.
        steps: Its steps.
        step_index: The step picked for tampering.
        tampered_step: The sneaky generator's rewrite (None when unusable).
        error_type: The error type it chose.
        corruption_raw: Its whole output.
        tamper_problem: ``unreadable`` or ``unchanged`` when the rewrite was unusable.
        control_drawn: Whether the untouched step is to be played as a control.
        original_success: Rollout success rate from prefix + original step.
        tampered_success: Rollout success rate from prefix + tampered step.
        accepted: Whether validation accepted the tampered step.
        tampered_verdicts: The critic's verdicts on the tampered step (``Verdict`` dumps).
        control_verdicts: The critic's verdicts on the control step.
        outcome: The item's game outcome.
    """

    status: GameStatus
    solution: str
    steps: list[str]
    step_index: int
    tampered_step: str | None
    error_type: str | None
    corruption_raw: str
    tamper_problem: Literal["unreadable", "unchanged"] | None
    control_drawn: bool
    original_success: float | None
    tampered_success: float | None
    accepted: bool | None
    tampered_verdicts: list[dict[str, Any]]
    control_verdicts: list[dict[str, Any]]
    outcome: GameOutcome


@dataclass(frozen=True, slots=True)
class _Options:
    rollouts: int
    accept_original_min: float
    accept_tampered_max: float
    control_rate: float
    critic_samples: int
    solve_samples: int
    answer_format: str
    seed: int


def _validate(opts: _Options) -> None:
    check_range("rollouts", opts.rollouts, 1, 256, integer=True)
    check_range("accept_original_min", opts.accept_original_min, 0.0, 1.0)
    check_range("accept_tampered_max", opts.accept_tampered_max, 0.0, 1.0)
    check_range("control_rate", opts.control_rate, 0.0, 1.0)
    check_range("critic_samples", opts.critic_samples, 1, 64, integer=True)
    check_range("solve_samples", opts.solve_samples, 1, 64, integer=True)
    if opts.accept_tampered_max >= opts.accept_original_min:
        raise ConfigError(
            "accept_tampered_max must be below accept_original_min (a tampered step must "
            f"lower the success rate), got {opts.accept_tampered_max} >= "
            f"{opts.accept_original_min}"
        )


def _item_key(state: SpcGameState) -> str:
    return state.get("item_id") or hashlib.sha256(state["prompt"].encode()).hexdigest()[:16]


def _position(state: SpcGameState, step: str) -> Position:
    k = state["step_index"]
    return Position(state["prompt"], state["steps"][:k], step)


def _verdicts(dumps: list[dict[str, Any]] | None) -> list[Verdict]:
    return [Verdict.model_validate(d) for d in dumps or []]


class _Game:
    """The game's nodes, bound to the roles and options."""

    def __init__(self, roles: Roles, opts: _Options) -> None:
        self.roles, self.opts = roles, opts
        self.actor, self.critic = Actor(roles), Critic(roles)
        self.sneaky = SneakyGenerator(roles)

    async def solve(self, state: SpcGameState) -> dict[str, Any]:
        gold = state.get("answer")
        if gold is None:
            return {"status": "no_gold"}
        result = await self.actor.answer(
            state["prompt"], n=self.opts.solve_samples, answer_format=self.opts.answer_format
        )
        right = [t for t in result.texts if is_equiv(extract_answer(t), gold)]
        if not right:
            return {"status": "no_solution"}
        steps = split_solution_steps(right[0])
        if not steps:
            return {"status": "no_steps", "solution": right[0]}
        return {"solution": right[0], "steps": steps}

    async def tamper(self, state: SpcGameState) -> dict[str, Any]:
        key, steps = _item_key(state), state["steps"]
        k = game_rng(self.opts.seed, key, "step").randrange(len(steps))
        control = game_rng(self.opts.seed, key, "control").random() < self.opts.control_rate
        (corruption,) = await self.sneaky.corrupt(state["prompt"], steps[:k], steps[k])
        problem: Literal["unreadable", "unchanged"] | None = None
        if corruption.step is None:
            problem = "unreadable"
        elif corruption.step.strip() == steps[k].strip():
            problem = "unchanged"
        return {
            "step_index": k,
            "control_drawn": control,
            "tampered_step": None if problem else corruption.step,
            "error_type": corruption.error_type,
            "corruption_raw": corruption.raw,
            "tamper_problem": problem,
        }

    async def _success(self, state: SpcGameState, step: str) -> float:
        k = state["step_index"]
        result = await self.actor.continue_from(
            state["prompt"],
            [*state["steps"][:k], step],
            n=self.opts.rollouts,
            answer_format=self.opts.answer_format,
        )
        gold = state.get("answer")
        return sum(is_equiv(extract_answer(t), gold) for t in result.texts) / len(result.texts)

    async def validate(self, state: SpcGameState) -> dict[str, Any]:
        tampered = state.get("tampered_step")
        original = state["steps"][state["step_index"]]
        jobs = [self._success(state, original)]
        if tampered is not None:
            jobs.append(self._success(state, tampered))
        rates = await asyncio.gather(*jobs)
        accepted = None
        if tampered is not None:
            accepted = (
                rates[0] >= self.opts.accept_original_min
                and rates[1] <= self.opts.accept_tampered_max
            )
        return {
            "original_success": rates[0],
            "tampered_success": rates[1] if tampered is not None else None,
            "accepted": accepted,
        }

    def after_validate(self, state: SpcGameState) -> str:
        return JUDGE if state.get("accepted") or _control_valid(state, self.opts) else SETTLE

    async def _judge(self, state: SpcGameState, step: str | None) -> list[Verdict]:
        if step is None:
            return []
        k = state["step_index"]
        return await self.critic.judge_step(
            state["prompt"], state["steps"][:k], step, n=self.opts.critic_samples
        )

    async def judge(self, state: SpcGameState) -> dict[str, Any]:
        tampered = state.get("tampered_step") if state.get("accepted") else None
        control = state["steps"][state["step_index"]] if _control_valid(state, self.opts) else None
        on_tampered, on_control = await asyncio.gather(
            self._judge(state, tampered), self._judge(state, control)
        )
        return {
            "tampered_verdicts": [v.model_dump() for v in on_tampered],
            "control_verdicts": [v.model_dump() for v in on_control],
            **verdict_counts("critic", [*on_tampered, *on_control]),
        }

    async def settle(self, state: SpcGameState) -> dict[str, Any]:
        outcome = outcome_of(state)
        update: dict[str, Any] = {"outcome": outcome}
        if "step_index" not in state:
            return update
        original_valid = (state.get("original_success") or 0.0) >= self.opts.accept_original_min
        records = game_records(
            original=_position(state, state["steps"][state["step_index"]]),
            tampered=_position(state, state["tampered_step"] or "")
            if state.get("accepted")
            else None,
            corruption_raw=state.get("corruption_raw"),
            tampered_verdicts=_verdicts(state.get("tampered_verdicts")),
            control_verdicts=_verdicts(state.get("control_verdicts")),
            original_valid=original_valid and state.get("original_success") is not None,
            meta=_record_meta(state, self.roles, self.opts),
        )
        update.update(rl=records.rl, pairs=records.pairs, prm=records.prm)
        if records.refused:
            update["refused"] = records.refused
        return update


def _control_valid(state: SpcGameState, opts: _Options) -> bool:
    rate = state.get("original_success")
    return (
        bool(state.get("control_drawn")) and rate is not None and rate >= opts.accept_original_min
    )


def _record_meta(state: SpcGameState, roles: Roles, opts: _Options) -> dict[str, Any]:
    return {
        "item_id": state.get("item_id"),
        "step_index": state["step_index"],
        "error_type": state.get("error_type"),
        "original_success": state.get("original_success"),
        "tampered_success": state.get("tampered_success"),
        "rollouts": opts.rollouts,
        "seed": opts.seed,
        "models": {r: roles.resolve(r).name for r in ("actor", "sneaky", "critic")},
    }


def _after_solve(state: SpcGameState) -> str:
    return TAMPER if state.get("steps") and "status" not in state else SETTLE


def _after_tamper(state: SpcGameState) -> str:
    return VALIDATE if state.get("tampered_step") or state.get("control_drawn") else SETTLE


def create_spc_game_graph(
    roles: Roles,
    *,
    rollouts: int = 8,
    accept_original_min: float = 0.5,
    accept_tampered_max: float = 0.1,
    control_rate: float = 1.0,
    critic_samples: int = 2,
    solve_samples: int = 4,
    answer_format: str = GSM8K_FORMAT,
    seed: int = 0,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the SPC game graph (one item = one game; input ``prompt`` and gold ``answer``).

    The paper's rollout count and thresholds were not published with its code; the defaults
    are ours (techniques.md §7.1): 8 rollouts per branch, accept when the original branch
    succeeds >= 0.5 and the tampered branch <= 0.1.

    Args:
        roles: Role bindings: ``actor`` (solver and rollouts), ``sneaky``, ``critic``.
        rollouts: Rollouts per branch in validation.
        accept_original_min: Least success rate of the original branch.
        accept_tampered_max: Greatest success rate of the tampered branch.
        control_rate: Probability that the untouched step is also judged as a control
            (ours; 1.0 balances the critic's games, so always answering Incorrect does not pay).
        critic_samples: Critic verdicts per judged step; each scored one is one game, and
            disagreeing samples form critique pairs (the paper samples one, greedily).
        solve_samples: Solver samples to find a solution that matches the gold.
        answer_format: The final-answer instruction given to the solver.
        seed: Seed of the step pick and the control draw (per item).
        checkpointer: LangGraph checkpointer.
        store: LangGraph store.
        name: Graph name.

    Raises:
        ConfigError: An option is out of range.
    """
    opts = _Options(
        rollouts,
        accept_original_min,
        accept_tampered_max,
        control_rate,
        critic_samples,
        solve_samples,
        answer_format,
        seed,
    )
    _validate(opts)
    game = _Game(roles, opts)
    builder = StateGraph(SpcGameState)
    for node_name, fn in (
        (SOLVE, game.solve),
        (TAMPER, game.tamper),
        (VALIDATE, game.validate),
        (JUDGE, game.judge),
        (SETTLE, game.settle),
    ):
        add_traced(builder, node_name, fn, roles)
    builder.add_edge(START, SOLVE)
    add_route(builder, SOLVE, _after_solve, [TAMPER, SETTLE])
    add_route(builder, TAMPER, _after_tamper, [VALIDATE, SETTLE])
    add_route(builder, VALIDATE, game.after_validate, [JUDGE, SETTLE])
    builder.add_edge(JUDGE, SETTLE)
    builder.add_edge(SETTLE, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or "spc-game")
