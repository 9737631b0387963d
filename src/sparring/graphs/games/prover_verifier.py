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

Rounds of games with the training alternating between them, as in the paper, are played above
the graphs: ``sparring.iterate.play_prover_verifier`` (in memory) and
``sparring.iterate.play_prover_verifier_runs`` (each round a resumable run).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from typing_extensions import TypedDict

from sparring.agents import GSM8K_FORMAT, Actor, Critic
from sparring.agents._workers import StepCritique
from sparring.graphs._nodes import add_route, add_traced
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import Model, Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.records import RecordRefused, RlRecord, make_rl_record
from sparring.verify import extract_answer, is_equiv

__all__ = [
    "ProverVerifierState",
    "PvOutcome",
    "PvScoreboard",
    "create_prover_verifier_graph",
]

TECHNIQUE = "prover-verifier"
PROVE, VERIFY, SETTLE = "prove", "verify", "settle"
_PLAN_RE = re.compile(r"^\s*Plan\s*:\s*(\w+)", re.IGNORECASE | re.MULTILINE)
Call = Literal["accepted", "rejected", "unscored"]


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
    add_route(
        builder,
        PROVE,
        lambda s: SETTLE if s.get("status") == "no_gold" else VERIFY,
        [VERIFY, SETTLE],
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
