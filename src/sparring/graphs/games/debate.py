"""Multi-agent debate: N solvers answer, read each other's answers for R rounds, then decide.

After "Improving Factuality and Reasoning in Language Models through Multiagent Debate" (Du et
al., 2023) and its follow-ups. One item is one debate::

    open -> debate --(more rounds)--> debate ... -> decide

1. **open** (round 0): each debater answers the problem on its own.
2. **debate** (rounds 1..R): each debater sees its own previous solution and the others', and
   gives an updated one. The agreement (share of debaters giving the most common answer) and,
   with a gold answer, the flips right->wrong and wrong->right are recorded per round.
3. **decide**: ``vote`` (plurality of the last round's answers; ties go to the lowest
   debater) or ``judge`` (a pointwise judge scores each last-round solution; the best mean
   wins, ties to more votes then the lower debater; no scored verdict: the vote decides).

Debater ``i`` (1-based) is bound to role ``debater_i`` when the roles bind it (e.g. a
``[debater_2]`` table in ``roles.toml``), else to ``actor``: the same model for all, or a
consensus across models. Records: an RL record per debater reply (+1 right, -1 wrong; items
with a gold answer). ``rounds_correct`` (per debater, right after each round) feeds the run
summary's accuracy-by-round and flip counts.
"""

from __future__ import annotations

import asyncio
from statistics import fmean
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from typing_extensions import TypedDict

from sparring.agents import GSM8K_FORMAT, Actor, Judge, verdict_counts
from sparring.graphs._nodes import add_route, add_traced
from sparring.graphs._options import check_choice, check_range
from sparring.graphs._reasoning_common import Sample, cluster, grade, plurality
from sparring.graphs._state import ItemInput, RecordsState, merge_counts
from sparring.models import ChatMessage, Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.records import RecordRefused, RlRecord, make_rl_record
from sparring.verify import extract_answer

__all__ = [
    "DECISIONS",
    "DebateRound",
    "DebateState",
    "DebateTurn",
    "Decision",
    "FlipCount",
    "create_debate_graph",
    "debater_roles",
]

TECHNIQUE = "debate"
OPEN, DEBATE, DECIDE = "open", "debate", "decide"
Decision = Literal["vote", "judge"]
DECISIONS: tuple[Decision, ...] = ("vote", "judge")


class DebateTurn(TypedDict):
    """One debater's solution in one round.

    Attributes:
        debater: The debater (0-based).
        role: The role it is bound to (``debater_<i>`` or ``actor``).
        text: Its whole reply.
        answer: The final answer read from it.
        correct: Whether it matches the gold answer (None without gold).
    """

    debater: int
    role: str
    text: str
    answer: str | None
    correct: bool | None


class FlipCount(TypedDict):
    """Debaters whose answer went right->wrong or wrong->right in a round."""

    right_wrong: int
    wrong_right: int


class DebateRound(TypedDict):
    """One round of the debate.

    Attributes:
        round: 0 for the independent answers, then 1..R.
        turns: Every debater's solution, by debater.
        majority: The most common answer (ties to the lowest debater).
        majority_correct: Whether it matches the gold answer (None without gold).
        agreement: Share of debaters giving the majority answer.
        flips: Changes against the round before (None in round 0 or without gold).
    """

    round: int
    turns: list[DebateTurn]
    majority: str | None
    majority_correct: bool | None
    agreement: float
    flips: FlipCount | None


class DebateState(ItemInput, RecordsState, total=False):
    """State of one debate.

    Attributes:
        rounds: Every round so far.
        judgments: The judge's mean score per debater (``judge`` decision).
        decided_answer: The answer the debate settled on.
        decided_by: The rule that decided (a fallback says so).
        correct: Whether the decided answer matches the gold (None without gold).
        rounds_correct: Per debater, right or wrong after each round (with gold).
    """

    rounds: list[DebateRound]
    judgments: list[float | None]
    decided_answer: str | None
    decided_by: str
    correct: bool | None
    rounds_correct: list[list[bool]]


def debater_roles(roles: Roles, debaters: int) -> list[str]:
    """The role each debater calls: ``debater_<i>`` when bound, else ``actor``."""
    bound = set(roles.names)
    return [f"debater_{i}" if f"debater_{i}" in bound else "actor" for i in range(1, debaters + 1)]


def _turn(debater: int, role: str, text: str, gold: str | None) -> DebateTurn:
    answer = extract_answer(text)
    return {
        "debater": debater,
        "role": role,
        "text": text,
        "answer": answer,
        "correct": grade(answer, gold),
    }


def _flips(before: list[DebateTurn], after: list[DebateTurn]) -> FlipCount | None:
    if any(t["correct"] is None for t in (*before, *after)):
        return None
    pairs = list(zip(before, after, strict=True))
    return {
        "right_wrong": sum(bool(b["correct"]) and not a["correct"] for b, a in pairs),
        "wrong_right": sum(bool(a["correct"]) and not b["correct"] for b, a in pairs),
    }


def _as_samples(turns: list[DebateTurn]) -> list[Sample]:
    return [
        {"index": t["debater"], "text": t["text"], "answer": t["answer"], "correct": t["correct"]}
        for t in turns
    ]


def _round(number: int, turns: list[DebateTurn], state: DebateState) -> DebateRound:
    gold = state.get("answer")
    top = plurality(cluster(_as_samples(turns), gold=gold))
    before = state.get("rounds") or []
    return {
        "round": number,
        "turns": turns,
        "majority": None if top is None else top["answer"],
        "majority_correct": None if top is None else top["correct"],
        "agreement": 0.0 if top is None else top["count"] / len(turns),
        "flips": _flips(before[-1]["turns"], turns) if before else None,
    }


def _user_text(messages: list[ChatMessage]) -> str:
    return "\n\n".join(m["content"] for m in messages if m["role"] != "system")


class _Debate:
    """The debate's nodes, bound to the roles and options."""

    def __init__(
        self, roles: Roles, *, debaters: int, rounds: int, decide: Decision, sampling: Any
    ) -> None:
        self.roles, self.rounds, self.decision = roles, rounds, decide
        self.debaters = debater_roles(roles, debaters)
        self.answer_format: str = sampling.pop("answer_format")
        self.sampling: dict[str, Any] = sampling

    def _record(
        self, state: DebateState, turn: DebateTurn, prompt: str, number: int
    ) -> list[RlRecord]:
        if turn["correct"] is None:
            return []
        try:
            record = make_rl_record(
                prompt,
                turn["text"],
                1 if turn["correct"] else -1,
                technique=TECHNIQUE,
                role=turn["role"],
                model=self.roles.resolve(turn["role"]).name,
                item_id=state.get("item_id"),
                debater=turn["debater"],
                round=number,
            )
        except RecordRefused:
            return []
        return [record]

    async def _opening(self, i: int, role: str, state: DebateState) -> tuple[DebateTurn, str]:
        actor = Actor(self.roles, role=role)
        result = await actor.answer(
            state["prompt"], answer_format=self.answer_format, sample_index=i, **self.sampling
        )
        prompt = _user_text(
            load_prompt("actor/solve").render(
                question=state["prompt"], answer_format=self.answer_format
            )
        )
        return _turn(i, role, result.texts[0], state.get("answer")), prompt

    async def open(self, state: DebateState) -> dict[str, Any]:
        done = await asyncio.gather(
            *(self._opening(i, role, state) for i, role in enumerate(self.debaters))
        )
        turns = [t for t, _ in done]
        records = [r for t, p in done for r in self._record(state, t, p, 0)]
        return {"rounds": [_round(0, turns, state)], "rl": records}

    def _messages(self, i: int, last: list[DebateTurn], state: DebateState) -> list[ChatMessage]:
        others = "\n\n".join(
            f"Solver {t['debater'] + 1}:\n{t['text']}" for t in last if t["debater"] != i
        )
        return load_prompt("actor/debate").render(
            question=Untrusted(state["prompt"], "QUESTION"),
            answer=Untrusted(last[i]["text"], "YOUR ANSWER"),
            others=Untrusted(others, "OTHER ANSWERS"),
            answer_format=self.answer_format,
            round=str(len(state["rounds"])),
        )

    async def _argue(self, i: int, role: str, state: DebateState) -> tuple[DebateTurn, str]:
        messages = self._messages(i, state["rounds"][-1]["turns"], state)
        result = await self.roles.complete(role, messages, sample_index=i, **self.sampling)
        return _turn(i, role, result.texts[0], state.get("answer")), _user_text(messages)

    async def debate(self, state: DebateState) -> dict[str, Any]:
        number = len(state["rounds"])
        done = await asyncio.gather(
            *(self._argue(i, role, state) for i, role in enumerate(self.debaters))
        )
        turns = [t for t, _ in done]
        records = [r for t, p in done for r in self._record(state, t, p, number)]
        return {"rounds": [*state["rounds"], _round(number, turns, state)], "rl": records}

    def after_round(self, state: DebateState) -> str:
        return DEBATE if len(state["rounds"]) <= self.rounds else DECIDE

    async def _judged(self, state: DebateState) -> tuple[list[float | None], dict[str, Any]]:
        judge = Judge(self.roles)
        turns = state["rounds"][-1]["turns"]
        verdicts = await asyncio.gather(
            *(judge.score(state["prompt"], t["text"], reference=state.get("reference"))
              for t in turns)
        )  # fmt: skip
        means: list[float | None] = []
        counts: dict[str, Any] = {}
        for found in verdicts:
            scored = [v.require_score() for v in found if v.is_scored]
            means.append(fmean(scored) if scored else None)
            for key, value in verdict_counts("judge", found).items():
                counts[key] = merge_counts(counts.get(key), value)
        return means, counts

    async def decide(self, state: DebateState) -> dict[str, Any]:
        last = state["rounds"][-1]
        update: dict[str, Any] = {"decided_answer": last["majority"], "decided_by": "vote"}
        if self.decision == "judge":
            means, counts = await self._judged(state)
            update.update(judgments=means, **counts)
            update["decided_by"] = "vote (no judge score)"
            votes = {t["debater"]: 0 for t in last["turns"]}
            for bucket in cluster(_as_samples(last["turns"])):
                for i in bucket["indices"]:
                    votes[i] = bucket["count"]
            scored = [(m, votes[i], -i) for i, m in enumerate(means) if m is not None]
            if scored:
                best = -max(scored)[2]
                update.update(decided_answer=last["turns"][best]["answer"], decided_by="judge")
        gold = state.get("answer")
        update["correct"] = grade(update["decided_answer"], gold)
        if gold is not None:
            update["rounds_correct"] = [
                [bool(r["turns"][i]["correct"]) for r in state["rounds"]]
                for i in range(len(self.debaters))
            ]
        return update


def create_debate_graph(
    roles: Roles,
    *,
    debaters: int = 3,
    rounds: int = 2,
    decide: Decision = "vote",
    temperature: float | None = 0.7,
    answer_format: str = GSM8K_FORMAT,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the multi-agent debate graph (input ``prompt``, optional gold ``answer``).

    Args:
        roles: Role bindings: ``actor`` (or ``debater_1``..``debater_N`` each), ``judge``
            for ``decide="judge"``.
        debaters: Solvers in the debate (Du et al. used 3).
        rounds: Debate rounds after the independent answers (0: a plain vote).
        decide: ``vote`` (plurality of the last round) or ``judge`` (pointwise scores).
        temperature: Sampling temperature of every debater call; None keeps the model's.
        answer_format: The final-answer instruction given to the debaters.
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: Graph name.

    Raises:
        ConfigError: An option is out of range or not one of its choices.
    """
    check_range("debaters", debaters, 2, 16, integer=True)
    check_range("rounds", rounds, 0, 10, integer=True)
    check_choice("decide", decide, DECISIONS)
    if temperature is not None:
        check_range("temperature", temperature, 0.0, 5.0)
    nodes = _Debate(
        roles,
        debaters=debaters,
        rounds=rounds,
        decide=decide,
        sampling={"temperature": temperature, "answer_format": answer_format},
    )
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(DebateState)
    add_traced(builder, OPEN, nodes.open, roles)
    add_traced(builder, DEBATE, nodes.debate, roles)
    add_traced(builder, DECIDE, nodes.decide, roles)
    builder.add_edge(START, OPEN)
    add_route(builder, OPEN, nodes.after_round, [DEBATE, DECIDE])
    add_route(builder, DEBATE, nodes.after_round, [DEBATE, DECIDE])
    builder.add_edge(DECIDE, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)
