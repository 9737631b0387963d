"""A sparring graph inside your own LangGraph app: a subgraph node, called sync and async.

Your app has its own state and nodes. A compiled sparring graph is a node like any other:
added directly, it reads and writes the state keys it shares with your app (``prompt``,
``answer``, ``selected_answer``, ``correct``); the app's own nodes do the rest. The same
compiled app runs with ``invoke``/``stream`` and with ``ainvoke``/``astream``.

    python examples/app_subgraph.py
    python examples/app_subgraph.py --actor openai/gpt-4o-mini
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from typing_extensions import TypedDict

from sparring import Roles
from sparring.graphs import create_self_consistency_graph
from sparring.models import Model
from sparring.sim import SimWorld


class AppState(TypedDict, total=False):
    """The app's state: the keys shared with the sparring graph, plus its own."""

    ticket: str  # the app's own input
    prompt: str  # shared with the sparring graph
    answer: str  # gold answer, known for this demo; drop it for live traffic
    selected_answer: str | None  # written by the sparring graph
    correct: bool | None  # written by the sparring graph (None without gold)
    reply: str  # the app's own output


def intake(state: AppState) -> dict[str, Any]:
    """The app's own node: turn a support ticket into the question to solve."""
    return {"prompt": state["ticket"].removeprefix("Customer asks: ")}


def respond(state: AppState) -> dict[str, Any]:
    """The app's own node: answer the customer with the majority-vote answer."""
    verdict = {True: "checked", False: "WRONG", None: "unchecked"}[state.get("correct")]
    return {"reply": f"Our answer is {state.get('selected_answer')} ({verdict})."}


def build_app(roles: Roles) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The app: intake, then self-consistency (a sparring subgraph node), then respond."""
    solver = create_self_consistency_graph(roles, n_samples=5)
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(AppState)
    builder.add_node("intake", intake)
    builder.add_node("solve", solver)  # the compiled sparring graph is the node
    builder.add_node("respond", respond)
    builder.add_edge(START, "intake")
    builder.add_edge("intake", "solve")
    builder.add_edge("solve", "respond")
    builder.add_edge("respond", END)
    return builder.compile()


def main() -> None:
    """Run the app three ways: invoke, stream (with the subgraph's nodes), ainvoke."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actor", help="LiteLLM model for the actor (default: simulator)")
    parser.add_argument("--judge", help="LiteLLM model for the judge (default: simulator)")
    parser.add_argument("--api-base", help="API base of an OpenAI-compatible server")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(__doc__.splitlines()[0])
    roles = Roles.sim(seed=args.seed)  # the simulator: a seeded world, not a language model
    for role in ("actor", "judge"):
        if getattr(args, role):
            roles = roles.bind(**{role: Model(getattr(args, role), api_base=args.api_base)})
    app = build_app(roles)
    world = SimWorld(seed=args.seed)
    tickets = [world.problem(i) for i in range(3)]

    first = tickets[0]
    out = app.invoke({"ticket": f"Customer asks: {first.question}", "answer": first.answer_text})
    print("sync invoke  :", out["reply"])

    print("sync stream  : nodes", end="")
    item = {"ticket": f"Customer asks: {tickets[1].question}", "answer": tickets[1].answer_text}
    for namespace, update in app.stream(item, stream_mode="updates", subgraphs=True):
        where = "solve/" if namespace else ""
        print(f" {where}{next(iter(update))}", end="")
    print()

    async def run_async() -> list[dict[str, Any]]:
        inputs = [
            {"ticket": f"Customer asks: {t.question}", "answer": t.answer_text} for t in tickets
        ]
        return list(await asyncio.gather(*(app.ainvoke(i) for i in inputs)))

    for i, result in enumerate(asyncio.run(run_async())):
        print(f"async ainvoke: ticket {i}: {result['reply']}")


if __name__ == "__main__":
    main()
