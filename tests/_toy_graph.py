"""A small multi-round graph for runner tests (registered as ``toy-loop`` by the tests).

Each round the actor answers twice and the judge scores both answers; the better one against
the worse is a preference pair. Rounds are counted in state, so a killed run resumes mid-loop.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

from langgraph.graph import END, START, StateGraph

from sparring.agents import Actor, Judge, verdict_counts
from sparring.graphs import ItemInput, RecordsState
from sparring.graphs._nodes import traced
from sparring.models import Roles
from sparring.records import RecordRefused, make_pair

SPEC_ARGS = (
    "toy-loop",
    "tests._toy_graph",
    "create_toy_loop_graph",
    "test graph",
    "judging",
    ("actor", "judge"),
)


class ToyState(ItemInput, RecordsState, total=False):
    round: int
    scores: Annotated[list[float], operator.add]


def create_toy_loop_graph(
    roles: Roles,
    *,
    rounds: int = 3,
    checkpointer: Any = None,
    store: Any = None,
    name: str | None = None,
) -> Any:
    actor, judge = Actor(roles), Judge(roles)

    async def step(state: ToyState) -> dict[str, Any]:
        k = state.get("round", 0)
        answers = await actor.answer(state["prompt"], n=2, temperature=0.9, sample_index=2 * k)
        verdicts = [(await judge.score(state["prompt"], text))[0] for text in answers.texts]
        update: dict[str, Any] = {"round": k + 1, **verdict_counts("judge", verdicts)}
        scored = [
            (v.score, t)
            for v, t in zip(verdicts, answers.texts, strict=True)
            if v.score is not None
        ]
        update["scores"] = [s for s, _ in scored]
        if len(scored) == 2:
            (s1, t1), (s2, t2) = sorted(scored, reverse=True)
            try:
                update["pairs"] = [
                    make_pair(
                        state["prompt"],
                        t1,
                        t2,
                        technique="toy-loop",
                        chosen_score=s1,
                        rejected_score=s2,
                        round=k,
                        item_id=state.get("item_id"),
                    )
                ]
            except RecordRefused as err:
                update["refused"] = {err.reason: 1}
        return update

    def again(state: ToyState) -> str:
        return "step" if state.get("round", 0) < rounds else END

    builder = StateGraph(ToyState)
    builder.add_node("step", traced("step", step, roles))
    builder.add_edge(START, "step")
    builder.add_conditional_edges("step", again, ["step", END])
    return builder.compile(checkpointer=checkpointer, store=store, name=name or "toy-loop")
