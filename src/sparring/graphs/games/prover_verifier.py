"""Prover-verifier game: a helpful and a sneaky prover write solutions, a verifier judges them.

After Kirchner et al., 2024 ("Prover-Verifier Games improve legibility of LLM outputs"). One
item is one game::

    prove (helpful + sneaky, in parallel) -> verify (both solutions) -> settle

- the **helpful prover** (role ``actor``) writes a solution meant to be right;
- the **sneaky prover** (role ``sneaky``) writes one meant to look right and be wrong; its plan
  line stays private, the verifier sees only the solution;
- the **verifier** (role ``critic``) critiques each solution step by step and accepts it when
  every step and the final answer pass.

Rewards (+1/-1, ours after the paper's roles): the verifier +1 for accepting a right helpful
solution or rejecting a wrong sneaky one, else -1; the sneaky prover +1 when its wrong
solution is accepted, -1 when it is rejected or turns out right; the helpful prover +1 when its
solution is right and accepted, else -1. An unscored critique earns nobody anything.

``play_prover_verifier`` plays rounds of games with the training alternating, as in the paper:
on the simulator, even rounds teach the verifier and odd rounds the sneaky prover, by the
simulated learning rule of ``sparring.sim._learning``; real players learn through a training
hook (``sparring.graphs.games.TrainingHook``) given each round's records.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from pydantic import BaseModel
from typing_extensions import TypedDict

from sparring.agents import GSM8K_FORMAT, Actor, Critic
from sparring.agents._workers import StepCritique
from sparring.graphs._nodes import add_traced
from sparring.graphs._state import ItemInput, RecordsState
from sparring.graphs.games._hooks import HookFailed, TrainingHook, TrainingRequest
from sparring.graphs.games._spc_iterations import SUBTLE_ERRORS
from sparring.models import Model, Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.records import RecordRefused, RlRecord, make_rl_record
from sparring.sim._learning import SpcTally, learn_skills
from sparring.sim._profile import resolve_profile
from sparring.verify import extract_answer, is_equiv

__all__ = [
    "ProverVerifierState",
    "PvOutcome",
    "PvRound",
    "PvScoreboard",
    "create_prover_verifier_graph",
    "play_prover_verifier",
]

TECHNIQUE = "prover-verifier"
PROVE, VERIFY, SETTLE = "prove", "verify", "settle"
_PLAN_RE = re.compile(r"^\s*Plan\s*:\s*(\w+)", re.IGNORECASE | re.MULTILINE)
Call = Literal["accepted", "rejected", "unscored"]
_PLAYERS = ("actor", "sneaky", "critic")


class PvOutcome(TypedDict):
    """What happened in one item's game.

    Attributes:
        item_id: The item.
        status: ``played``, or ``no_gold``.
        helpful_correct: Whether the helpful solution reaches the gold.
        sneaky_correct: Whether the sneaky solution reaches the gold (a failed deception).
        sneaky_error: The error type the sneaky prover planned.
        helpful_call: The verifier's call on the helpful solution.
        sneaky_call: Its call on the sneaky solution.
    """

    item_id: str | None
    status: Literal["played", "no_gold"]
    helpful_correct: bool
    sneaky_correct: bool
    sneaky_error: str | None
    helpful_call: Call
    sneaky_call: Call


class ProverVerifierState(ItemInput, RecordsState, total=False):
    """State of one prover-verifier game.

    Attributes:
        status: ``no_gold`` when the item has no gold answer.
        helpful: The helpful prover's solution.
        sneaky: The sneaky prover's solution (without its plan).
        sneaky_raw: The sneaky prover's whole output.
        helpful_critique: The verifier's critique of the helpful solution.
        sneaky_critique: Its critique of the sneaky solution.
        outcome: The item's outcome.
    """

    status: Literal["no_gold"]
    helpful: str
    sneaky: str
    sneaky_raw: str
    helpful_critique: dict[str, Any]
    sneaky_critique: dict[str, Any]
    outcome: PvOutcome


def _call(critique: StepCritique) -> Call:
    if critique.status != "scored":
        return "unscored"
    return "accepted" if critique.approves else "rejected"


def _solution_part(raw: str) -> str:
    return raw.split("Solution:", 1)[1].strip() if "Solution:" in raw else raw


class _Game:
    def __init__(self, roles: Roles, answer_format: str) -> None:
        self.roles, self.answer_format = roles, answer_format

    def _model(self, role: str, gold: str | None) -> Model:
        model = self.roles.resolve(role)
        if model.is_simulated and gold is not None:  # hidden metadata, never in a prompt
            return model.with_options(extra={**model.extra, "sim_gold": gold})
        return model

    async def prove(self, state: ProverVerifierState) -> dict[str, Any]:
        gold = state.get("answer")
        if gold is None:
            return {"status": "no_gold"}
        messages = load_prompt("sneaky/prove").render(
            question=Untrusted(state["prompt"], "QUESTION"), answer_format=self.answer_format
        )
        helpful, sneaky = await asyncio.gather(
            Actor(self.roles, model=self._model("actor", gold)).answer(
                state["prompt"], answer_format=self.answer_format
            ),
            self.roles.complete("sneaky", messages, model=self._model("sneaky", gold)),
        )
        raw = sneaky.texts[0]
        return {"helpful": helpful.texts[0], "sneaky": _solution_part(raw), "sneaky_raw": raw}

    async def verify(self, state: ProverVerifierState) -> dict[str, Any]:
        critic = Critic(self.roles, model=self._model("critic", state.get("answer")))
        on_helpful, on_sneaky = await asyncio.gather(
            critic.critique(state["prompt"], state["helpful"]),
            critic.critique(state["prompt"], state["sneaky"]),
        )
        return {
            "helpful_critique": on_helpful.model_dump(),
            "sneaky_critique": on_sneaky.model_dump(),
        }

    async def settle(self, state: ProverVerifierState) -> dict[str, Any]:
        gold = state.get("answer")
        if state.get("status") == "no_gold":
            empty: PvOutcome = {
                "item_id": state.get("item_id"), "status": "no_gold", "helpful_correct": False,
                "sneaky_correct": False, "sneaky_error": None, "helpful_call": "unscored",
                "sneaky_call": "unscored",
            }  # fmt: skip
            return {"outcome": empty}
        plan = _PLAN_RE.search(state["sneaky_raw"])
        outcome: PvOutcome = {
            "item_id": state.get("item_id"),
            "status": "played",
            "helpful_correct": is_equiv(extract_answer(state["helpful"]), gold),
            "sneaky_correct": is_equiv(extract_answer(state["sneaky"]), gold),
            "sneaky_error": plan.group(1).lower() if plan else None,
            "helpful_call": _call(StepCritique.model_validate(state["helpful_critique"])),
            "sneaky_call": _call(StepCritique.model_validate(state["sneaky_critique"])),
        }
        return {"outcome": outcome, "rl": _records(state, outcome)}


def _rewards(o: PvOutcome) -> list[tuple[str, str, int]]:
    """``(role, which solution, reward)`` for every role that earned one."""
    out: list[tuple[str, str, int]] = []
    if o["helpful_call"] != "unscored":
        accepted = o["helpful_call"] == "accepted"
        out.append(("actor", "helpful", 1 if o["helpful_correct"] and accepted else -1))
        if o["helpful_correct"]:
            out.append(("critic", "helpful", 1 if accepted else -1))
    if o["sneaky_call"] != "unscored":
        accepted = o["sneaky_call"] == "accepted"
        fooled = accepted and not o["sneaky_correct"]
        out.append(("sneaky", "sneaky", 1 if fooled else -1))
        if not o["sneaky_correct"]:
            out.append(("critic", "sneaky", -1 if accepted else 1))
    return out


def _records(state: ProverVerifierState, o: PvOutcome) -> list[RlRecord]:
    texts = {
        ("actor", "helpful"): (state["prompt"], state["helpful"]),
        ("sneaky", "sneaky"): (state["prompt"], state["sneaky_raw"]),
        ("critic", "helpful"): (state["helpful"], state["helpful_critique"]["raw"]),
        ("critic", "sneaky"): (state["sneaky"], state["sneaky_critique"]["raw"]),
    }
    out = []
    for role, which, reward in _rewards(o):
        prompt, answer = texts[(role, which)]
        if role == "critic":
            prompt = f"{state['prompt']}\n\n{prompt}"
        try:
            out.append(
                make_rl_record(
                    prompt,
                    answer,
                    reward,
                    technique=TECHNIQUE,
                    role=role,
                    solution=which,
                    item_id=state.get("item_id"),
                )
            )
        except RecordRefused:
            continue
    return out


def create_prover_verifier_graph(
    roles: Roles,
    *,
    answer_format: str = GSM8K_FORMAT,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the prover-verifier game graph (input ``prompt`` and gold ``answer``).

    Args:
        roles: Role bindings: ``actor`` (helpful prover), ``sneaky`` (sneaky prover),
            ``critic`` (verifier).
        answer_format: The final-answer instruction given to both provers.
        checkpointer: LangGraph checkpointer.
        store: LangGraph store.
        name: Graph name.
    """
    game = _Game(roles, answer_format)
    builder = StateGraph(ProverVerifierState)
    for node_name, fn in ((PROVE, game.prove), (VERIFY, game.verify), (SETTLE, game.settle)):
        add_traced(builder, node_name, fn, roles)
    builder.add_edge(START, PROVE)
    builder.add_conditional_edges(
        PROVE, lambda s: SETTLE if s.get("status") == "no_gold" else VERIFY, [VERIFY, SETTLE]
    )
    builder.add_edge(VERIFY, SETTLE)
    builder.add_edge(SETTLE, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


@dataclass(slots=True)
class PvScoreboard:
    """Totals over prover-verifier outcomes.

    Attributes:
        games: Games played.
        sneaky_wrong: Scored verifier calls on sneaky solutions that were indeed wrong.
        sneaky_rejected: Those the verifier rejected.
        helpful_right: Scored verifier calls on helpful solutions that were right.
        helpful_accepted: Those the verifier accepted.
        sneaky_failed: Sneaky solutions that turned out right (failed deceptions).
        unscored: Verifier calls that came back unscored.
    """

    games: int = 0
    sneaky_wrong: int = 0
    sneaky_rejected: int = 0
    helpful_right: int = 0
    helpful_accepted: int = 0
    sneaky_failed: int = 0
    unscored: int = 0

    @classmethod
    def of(cls, outcomes: list[PvOutcome]) -> PvScoreboard:
        """The scoreboard of ``outcomes``."""
        b = cls()
        for o in outcomes:
            if o["status"] != "played":
                continue
            b.games += 1
            b.unscored += [o["helpful_call"], o["sneaky_call"]].count("unscored")
            b.sneaky_failed += o["sneaky_correct"]
            if o["sneaky_call"] != "unscored" and not o["sneaky_correct"]:
                b.sneaky_wrong += 1
                b.sneaky_rejected += o["sneaky_call"] == "rejected"
            if o["helpful_call"] != "unscored" and o["helpful_correct"]:
                b.helpful_right += 1
                b.helpful_accepted += o["helpful_call"] == "accepted"
        return b

    @property
    def verifier_sneaky_accuracy(self) -> float | None:
        """Share of wrong sneaky solutions the verifier rejected."""
        return _rate(self.sneaky_rejected, self.sneaky_wrong)

    @property
    def sneaky_success(self) -> float | None:
        """Share of wrong sneaky solutions the verifier accepted."""
        return _rate(self.sneaky_wrong - self.sneaky_rejected, self.sneaky_wrong)

    @property
    def verifier_helpful_accuracy(self) -> float | None:
        """Share of right helpful solutions the verifier accepted."""
        return _rate(self.helpful_accepted, self.helpful_right)

    def as_dict(self) -> dict[str, Any]:
        """Counts and rates as JSON data."""
        return {
            "games": self.games,
            "sneaky_wrong": self.sneaky_wrong,
            "sneaky_rejected": self.sneaky_rejected,
            "helpful_right": self.helpful_right,
            "helpful_accepted": self.helpful_accepted,
            "sneaky_failed": self.sneaky_failed,
            "unscored": self.unscored,
            "verifier_sneaky_accuracy": self.verifier_sneaky_accuracy,
            "verifier_helpful_accuracy": self.verifier_helpful_accuracy,
            "sneaky_success": self.sneaky_success,
        }


class PvRound(BaseModel):
    """One round of the game.

    Attributes:
        round: Its number (0-based).
        learner: Who learns from this round's games: ``verifier`` or ``sneaky``.
        scoreboard: The round's scoreboard.
        verifier_sneaky_accuracy: Share of wrong sneaky solutions the verifier rejected.
        sneaky_success: Share of wrong sneaky solutions it accepted.
        skills: The simulated skills in force (``critic``, ``sneaky``), if simulated.
        records: The folder of the round's RL records, when they were written.
    """

    round: int
    learner: Literal["verifier", "sneaky"]
    scoreboard: dict[str, Any]
    verifier_sneaky_accuracy: float | None
    sneaky_success: float | None
    skills: dict[str, dict[str, float]] | None = None
    records: str | None = None


def _tally(outcomes: list[PvOutcome]) -> SpcTally:
    """The verifier's scored calls: wrong sneaky solutions by error kind; right helpful ones."""
    t = SpcTally()
    for o in outcomes:
        if o["status"] != "played":
            continue
        if o["sneaky_call"] != "unscored" and not o["sneaky_correct"]:
            caught = o["sneaky_call"] == "rejected"
            if o["sneaky_error"] in SUBTLE_ERRORS:
                t.subtle_caught += caught
                t.subtle_missed += not caught
            else:
                t.visible_caught += caught
                t.visible_missed += not caught
        if o["helpful_call"] != "unscored" and o["helpful_correct"]:
            t.control_flagged += o["helpful_call"] == "rejected"
            t.control_passed += o["helpful_call"] == "accepted"
    return t


def _profile_of(model: Model) -> dict[str, Any]:
    profile: dict[str, Any] = model.extra.get("sim_profile") or {}
    return profile


def _learn(roles: Roles, outcomes: list[PvOutcome], learner: str, rate: float) -> Roles:
    critic_m, sneaky_m = roles.resolve("critic"), roles.resolve("sneaky")
    critic, sneaky = learn_skills(
        resolve_profile(_profile_of(critic_m)).critic,
        resolve_profile(_profile_of(sneaky_m)).sneaky,
        _tally(outcomes),
        critic_rate=rate if learner == "verifier" else 0.0,
        sneaky_rate=rate if learner == "sneaky" else 0.0,
    )
    bound: dict[str, Model] = {}
    for role, model, skill in (("critic", critic_m, critic), ("sneaky", sneaky_m, sneaky)):
        if model.is_simulated:
            profile = {**_profile_of(model), role: skill.model_dump()}
            bound[role] = model.with_options(extra={**model.extra, "sim_profile": profile})
    return roles.bind(**bound)


def _skills(roles: Roles) -> dict[str, dict[str, float]] | None:
    out = {}
    for role in ("critic", "sneaky"):
        model = roles.resolve(role)
        if model.is_simulated:
            profile = resolve_profile(_profile_of(model))
            out[role] = getattr(profile, role).model_dump()
    return out or None


def _write_records(folder: Path, records: list[RlRecord]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {r: (folder / f"{r}.jsonl").open("w", encoding="utf-8") for r in _PLAYERS}
    try:
        for record in records:
            files[record["meta"]["role"]].write(json.dumps(record) + "\n")
    finally:
        for fh in files.values():
            fh.close()
    return folder


def _hooked(roles: Roles, hook: TrainingHook, r: int, folder: Path) -> Roles:
    request = TrainingRequest(
        iteration=r,
        records=folder.resolve(),
        models={role: roles.resolve(role).name for role in _PLAYERS},
        game_dir=folder.parent.resolve(),
    )
    try:
        answer = hook(request) or {}
    except HookFailed:
        raise
    except Exception as err:
        raise HookFailed(r, 1, f"{type(err).__name__}: {err}") from err
    bound: dict[str, Model] = {}
    for role, spec in answer.items():
        if role not in _PLAYERS:
            raise HookFailed(r, 1, f"the hook named an unknown role {role!r}; use {_PLAYERS}")
        old = roles.resolve(role)
        if isinstance(spec, str):
            bound[role] = old.with_options(name=spec, extra={})
        else:
            bound[role] = Model(**spec)
    return roles.bind(**bound)


async def _play_round(
    roles: Roles, items: list[dict[str, Any]], slots: asyncio.Semaphore
) -> tuple[list[PvOutcome], list[RlRecord]]:
    graph = create_prover_verifier_graph(roles)

    async def one(item: dict[str, Any]) -> dict[str, Any]:
        async with slots:
            state: dict[str, Any] = await graph.ainvoke(item)
            return state

    states = await asyncio.gather(*map(one, items))
    return [s["outcome"] for s in states], [r for s in states for r in s.get("rl") or []]


async def play_prover_verifier(
    roles: Roles,
    items: Callable[[int], list[dict[str, Any]]],
    *,
    rounds: int = 4,
    learning_rate: float = 1.5,
    concurrency: int = 8,
    on_round: Callable[[PvRound], None] | None = None,
    hook: TrainingHook | None = None,
    records_dir: str | Path | None = None,
) -> list[PvRound]:
    """Play ``rounds`` rounds; the players learn between them, the learner alternating.

    Args:
        roles: ``actor`` (helpful prover), ``sneaky`` (sneaky prover), ``critic`` (verifier).
        items: The problems of round ``r`` (``prompt``, gold ``answer``, ``item_id``).
        rounds: Rounds to play.
        learning_rate: The simulated learning rate of the round's learner.
        concurrency: Games in flight at once.
        on_round: Called with each round's result.
        hook: Trains real players between rounds (``round-R/{actor,sneaky,critic}.jsonl``
            under ``records_dir``; the request's ``iteration`` is the round); None: simulated
            players learn by the simulated learning rule and real ones stay as they are.
        records_dir: Where each round's RL records are written (needed with a hook).

    Returns:
        One ``PvRound`` per round.

    Raises:
        HookFailed: The hook failed (the rounds played so far are lost: not resumable).
        ValueError: A hook without a ``records_dir``.
    """
    if hook is not None and records_dir is None:
        raise ValueError("a training hook needs a records_dir")
    out: list[PvRound] = []
    slots = asyncio.Semaphore(concurrency)
    for r in range(rounds):
        outcomes, records = await _play_round(roles, items(r), slots)
        board = PvScoreboard.of(outcomes)
        learner: Literal["verifier", "sneaky"] = "verifier" if r % 2 == 0 else "sneaky"
        result = PvRound(
            round=r,
            learner=learner,
            scoreboard=board.as_dict(),
            verifier_sneaky_accuracy=board.verifier_sneaky_accuracy,
            sneaky_success=board.sneaky_success,
            skills=_skills(roles),
        )
        if records_dir is not None:
            result.records = str(_write_records(Path(records_dir) / f"round-{r}", records))
        out.append(result)
        if on_round is not None:
            on_round(result)
        if r == rounds - 1:
            break
        if hook is not None and result.records is not None:
            roles = _hooked(roles, hook, r, Path(result.records))
        else:
            roles = _learn(roles, outcomes, learner, learning_rate)
    return out
