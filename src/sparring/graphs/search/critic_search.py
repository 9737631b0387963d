"""Critic-guided tree search over solution steps (SPC's test-time search; AlphaLLM, SRA-MCTS).

The actor writes a solution one step at a time and the step critic values each step, so the
search can spend its calls on the branches the critic believes in::

    expand -> (budget left and something to expand) -> expand ... -> finish

- **expand** (one search iteration): pick where to grow the tree, by **UCT** (descend from
  the root by ``V + c * sqrt(ln N / (1 + n))``, where V is the best path found under a node,
  to a node not yet expanded; a node with nothing viable left under it is expanded again,
  up to ``widen`` times) or by **beam** (grow the ``beam_width`` best partial solutions of
  the last layer: no step judged wrong first, then by mean step value; when a pass has
  finished every path it starts again from the root, up to ``widen`` times).
  The actor proposes ``branching`` next steps (``actor/next_step``); the critic values each
  (``Critic.judge_step``: 1 correct, 0 incorrect, averaged over ``critic_samples``). A step
  that ends with a final answer is a finished solution whose outcome is **verified**: by the
  critic's whole-solution critique (approved 1, else 0; its mark on every step is averaged
  into that step's value, so a wrong step the step critic let through loses its standing),
  or by the gold answer with ``outcome="gold"`` (for making training data, not for
  test-time answers). A path is as good as its worst step: that minimum is backed up to the
  root (visit counts for UCT; value sums, so Q is the mean under a node).
- **finish**: the answer is a vote over the finished solutions, each weighted by its
  verified outcome (all rejected: by mean step value). If the budget ran out before any
  solution finished, one rollout (``Actor.continue_from``) completes the best partial one.

The **budget** counts model calls as samples: a call for ``n`` proposals counts ``n``, each
critic verdict counts 1, the rollout 1. The search never starts an expansion it cannot pay
for, and its critic calls make no repair turn, so ``calls_used`` is what was spent.

Outputs: the selected solution and answer, ``samples`` (every finished solution with its
weight as ``score``), the ``tree``, ``calls_used`` and ``iterations``, and, with gold,
``correct``. Records: PRM step labels for every finished path (by the outcomes under each
step with gold, else by the critic); with gold, step pairs (siblings whose subtrees were
verified right and wrong) and one solution pair, RL records for the finished solutions and
an SFT record of a right selection.

Failures: an actor call that fails raises ``ModelCallError`` (the runner records a failed
item); critic failures are unscored verdicts, searched with a neutral value.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore

from sparring.agents import GSM8K_FORMAT
from sparring.graphs._nodes import add_route
from sparring.graphs._reasoning_common import (
    Sample,
    VoteBucket,
    add_node,
    check_choice,
    check_range,
    cluster,
    grade,
    model_names,
    plurality,
)
from sparring.graphs._reasoning_records import outcome_records
from sparring.graphs._state import ItemInput, RecordsState
from sparring.graphs.search._moves import Moves, solution_text
from sparring.graphs.search._records import tree_records
from sparring.graphs.search._tree import (
    SearchNode,
    backup,
    children_of,
    new_node,
    open_nodes,
    path_min,
    path_to,
    path_value,
    select_uct,
)
from sparring.graphs.search._verdicts import remark
from sparring.models import Roles
from sparring.verify import extract_answer

__all__ = [
    "SELECTIONS",
    "CriticSearchState",
    "Finished",
    "SearchSelection",
    "create_critic_search_graph",
]

TECHNIQUE = "critic-search"
EXPAND, FINISH = "expand", "finish"
SearchSelection = Literal["uct", "beam"]
SELECTIONS: tuple[SearchSelection, ...] = ("uct", "beam")


class Finished(Sample):
    """A finished solution of the search (a ``Sample`` whose ``index`` is its leaf's id).

    Attributes:
        score: Its weight in the final vote (the verified outcome, or the mean step value).
    """

    score: float


class CriticSearchState(ItemInput, RecordsState, total=False):
    """State of one item's search.

    Attributes:
        tree: Every node so far (``tree[i]["id"] == i``; ``tree[0]`` is the root).
        beam: The nodes the next beam iteration grows.
        calls_used: Model calls spent, a call for n samples counting n.
        iterations: Expansion rounds made.
        stop_reason: ``budget`` (spent), or ``exhausted`` (nothing left to expand: every
            path finished, rejected past ``widen`` or at ``max_depth``).
        samples: The finished solutions.
        votes: The weighted vote over their answers, most weight first.
        selected_index: The chosen leaf's id.
        selected_text: The chosen solution.
        selected_answer: Its final answer.
        correct: Whether it matches the gold (None without gold).
    """

    tree: list[SearchNode]
    beam: list[int]
    calls_used: int
    iterations: int
    stop_reason: str
    samples: list[Finished]
    votes: list[VoteBucket]
    selected_index: int | None
    selected_text: str | None
    selected_answer: str | None
    correct: bool | None


class _Search:
    """The graph's nodes and router, bound to the roles and options."""

    def __init__(
        self,
        roles: Roles,
        *,
        moves: Moves,
        selection: SearchSelection,
        budget: int,
        branching: int,
        beam_width: int,
        exploration: float,
        max_depth: int,
        widen: int,
    ) -> None:
        self.moves, self.selection, self.budget = moves, selection, budget
        self.widen = widen
        self.branching, self.beam_width = branching, beam_width
        self.exploration, self.max_depth = exploration, max_depth
        self.critic_samples = moves.critic_samples
        self.models = model_names(roles, "actor", "critic")

    def _cost(self) -> int:
        return self.branching * (1 + self.critic_samples)

    def _affordable(self, state: CriticSearchState) -> bool:
        tree = state.get("tree") or []
        reserve = 0 if any(n["terminal"] for n in tree) else 1  # for the closing rollout
        return state.get("calls_used", 0) + self._cost() + reserve <= self.budget

    async def _grow(
        self, tree: list[SearchNode], node: SearchNode, state: CriticSearchState
    ) -> tuple[int, dict[str, int]]:
        """Expand ``node`` in place: propose, value, back up; returns (calls, counters)."""
        question, gold = state["prompt"], state.get("answer")
        prefix = [n["step"] for n in path_to(tree, node)]
        first = node["expansions"] * self.branching  # fresh samples on a re-expansion
        proposals = await self.moves.propose(question, prefix, self.branching, first)
        node["expanded"] = True
        node["expansions"] += 1
        known = {" ".join(c["step"].split()) for c in children_of(tree, node)}
        proposals = [p for p in proposals if " ".join(p.text.split()) not in known]
        values = await asyncio.gather(
            *(self.moves.value(question, prefix, p, gold) for p in proposals)
        )
        for proposal, value in zip(proposals, values, strict=True):
            child = new_node(len(tree), node, proposal.text)
            child["terminal"] = proposal.answer is not None
            child["answer"] = proposal.answer
            child["value"], child["verified_by"] = value.value, value.verified_by
            child["votes"] = value.asked - value.unscored
            child["correct"] = grade(proposal.answer, gold) if child["terminal"] else None
            tree.append(child)
            for marks in value.marks:
                remark(tree, child, marks)
            # A path is as good as its worst step: what is backed up is the path's minimum,
            # so a wrong step's subtree cannot look good through later steps that are right
            # given it.
            backup(tree, child, path_min(tree, child))
        asked = sum(v.asked for v in values)
        unscored = sum(v.unscored for v in values)
        return self.branching + asked, {"asked": asked, "unscored": unscored}

    def _next_beam(self, tree: list[SearchNode], start: int) -> list[int]:
        """The best of the nodes added since ``start`` that can still grow."""
        kids = [n for n in tree[start:] if not n["terminal"] and n["depth"] < self.max_depth]
        kids.sort(key=lambda n: (-path_min(tree, n), -path_value(tree, n), n["id"]))
        return [n["id"] for n in kids[: self.beam_width]]

    def _to_grow(self, tree: list[SearchNode], state: CriticSearchState) -> list[SearchNode]:
        if self.selection == "uct":
            node = select_uct(tree, self.exploration, self.max_depth, self.widen)
            return [] if node is None else [node]
        beam = state.get("beam")
        if not beam:  # the first pass, or one that ended: start (again) from the root
            return [tree[0]] if tree[0]["expansions"] <= self.widen else []
        return [tree[i] for i in beam]

    async def expand(self, state: CriticSearchState) -> dict[str, Any]:
        tree = [SearchNode(**n) for n in state.get("tree") or [new_node(0, None)]]
        used, start = state.get("calls_used", 0), len(tree)
        grown: list[SearchNode] = []
        asked = unscored = 0
        for node in self._to_grow(tree, state):
            if grown and used + self._cost() > self.budget:
                break  # a beam wider than the budget left: grow the best nodes only
            spent, counts = await self._grow(tree, node, state)
            used += spent
            asked += counts["asked"]
            unscored += counts["unscored"]
            grown.append(node)
        update: dict[str, Any] = {
            "tree": tree,
            "calls_used": used,
            "iterations": state.get("iterations", 0) + int(bool(grown)),
            "judged": {"critic": asked},
            "unscored": {"critic": unscored},
        }
        if self.selection == "beam":
            update["beam"] = self._next_beam(tree, start)
        if not grown:
            update["stop_reason"] = "exhausted"
        return update

    def route(self, state: CriticSearchState) -> str:
        if state.get("stop_reason"):
            return FINISH
        tree = state.get("tree") or []
        if not open_nodes(tree, self.max_depth, self.widen):
            return FINISH
        return EXPAND if self._affordable(state) else FINISH

    async def _close(self, tree: list[SearchNode], state: CriticSearchState) -> int:
        """Finish the best partial solution with one rollout; returns the calls spent."""
        if any(n["terminal"] for n in tree) or state.get("calls_used", 0) + 1 > self.budget:
            return 0
        best = max(tree, key=lambda n: (n["depth"] > 0, path_value(tree, n), n["depth"]))
        prefix = [n["step"] for n in path_to(tree, best)]
        text = await self.moves.rollout(state["prompt"], prefix)
        leaf = new_node(len(tree), best, text.strip())
        leaf["terminal"], leaf["answer"] = True, extract_answer(text)
        leaf["correct"] = grade(leaf["answer"], state.get("answer"))
        tree.append(leaf)
        return 1

    def _stop_reason(self, tree: list[SearchNode]) -> str:
        return "budget" if open_nodes(tree, self.max_depth, self.widen) else "exhausted"

    async def finish(self, state: CriticSearchState) -> dict[str, Any]:
        tree = [SearchNode(**n) for n in state.get("tree") or [new_node(0, None)]]
        spent = await self._close(tree, state)
        finished = _finished(tree)
        gold = state.get("answer")
        weights = {f["index"]: f["score"] for f in finished}
        if not any(weights.values()):
            weights = {f["index"]: path_value(tree, tree[f["index"]]) for f in finished}
        buckets = sorted(
            cluster(finished, weights, gold), key=lambda b: (-b["weight"], b["indices"][0])
        )
        top = plurality(buckets)
        best = None
        if top is not None:
            pick = max(top["indices"], key=lambda i: (path_value(tree, tree[i]), -i))
            best = next(f for f in finished if f["index"] == pick)
        meta = {"technique": TECHNIQUE, "models": self.models, "item_id": state.get("item_id")}
        prm, pairs, refused = tree_records(tree, state["prompt"], gold, meta)
        records = outcome_records(
            state, list(finished), best, technique=TECHNIQUE, models=self.models
        )
        for key, value in records.pop("refused", {}).items():
            refused[key] = refused.get(key, 0) + value
        update: dict[str, Any] = {
            "tree": tree,
            "calls_used": state.get("calls_used", 0) + spent,
            "stop_reason": state.get("stop_reason") or self._stop_reason(tree),
            "samples": finished,
            "votes": buckets,
            "selected_index": None if best is None else best["index"],
            "selected_text": None if best is None else best["text"],
            "selected_answer": None if best is None else best["answer"],
            "correct": None if best is None or gold is None else bool(best["correct"]),
            "prm": prm,
            "pairs": pairs,
            **records,
        }
        if refused:
            update["refused"] = refused
        return update


def _finished(tree: list[SearchNode]) -> list[Finished]:
    out: list[Finished] = []
    for leaf in (n for n in tree if n["terminal"]):
        out.append(
            {
                "index": leaf["id"],
                "text": solution_text([n["step"] for n in path_to(tree, leaf)]),
                "answer": leaf["answer"],
                "correct": leaf["correct"],
                "score": path_min(tree, leaf),
            }
        )
    return out


def create_critic_search_graph(
    roles: Roles,
    *,
    budget: int = 48,
    selection: SearchSelection = "uct",
    branching: int = 3,
    beam_width: int = 2,
    exploration: float = 0.3,
    max_depth: int = 12,
    widen: int = 2,
    critic_samples: int = 1,
    outcome: Literal["critic", "gold"] = "critic",
    temperature: float = 0.8,
    answer_format: str = GSM8K_FORMAT,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the critic-guided tree search graph (input ``prompt``, optional gold ``answer``).

    Args:
        roles: Role bindings: ``actor`` (proposes steps) and ``critic`` (values them).
        budget: Model calls per item, a call for n samples counting n.
        selection: ``uct`` (Monte Carlo tree search) or ``beam``.
        branching: Next steps proposed per expansion.
        beam_width: Partial solutions kept per layer (``beam``).
        exploration: The UCT exploration constant c (values lie in [0, 1], so a small c).
        max_depth: Steps after which a partial solution is not grown further.
        widen: Times more a node may be expanded when the critic rejected every step
            proposed under it (UCT; 0: each node is expanded once).
        critic_samples: Verdicts per step (or critiques per finished solution), averaged.
        outcome: What verifies a finished solution: the ``critic`` (test time) or the
            ``gold`` answer (training data; the answer then uses the gold, so never report
            its accuracy as the technique's).
        temperature: The actor's sampling temperature for proposals (diversity of branches).
        answer_format: The final-answer instruction given to the actor.
        checkpointer: LangGraph checkpointer (per-item threads; resumes mid-search).
        store: LangGraph store.
        name: The compiled graph's name.

    Raises:
        ConfigError: An option is out of range, or the budget cannot pay for one expansion.
    """
    check_choice("selection", selection, SELECTIONS)
    check_choice("outcome", outcome, ("critic", "gold"))
    check_range("branching", branching, 1, 16, integer=True)
    check_range("beam_width", beam_width, 1, 16, integer=True)
    check_range("critic_samples", critic_samples, 1, 8, integer=True)
    check_range("max_depth", max_depth, 1, 64, integer=True)
    check_range("widen", widen, 0, 16, integer=True)
    check_range("exploration", exploration, 0.0, 100.0)
    check_range("temperature", temperature, 0.0, 5.0)
    check_range("budget", budget, branching * (1 + critic_samples) + 1, 1024, integer=True)
    moves = Moves(
        roles,
        answer_format=answer_format,
        temperature=temperature,
        critic_samples=critic_samples,
        outcome=outcome,
    )
    search = _Search(
        roles,
        moves=moves,
        selection=selection,
        budget=budget,
        branching=branching,
        beam_width=beam_width,
        exploration=exploration,
        max_depth=max_depth,
        widen=widen,
    )
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(CriticSearchState)
    add_node(builder, EXPAND, search.expand, roles)
    add_node(builder, FINISH, search.finish, roles)
    builder.add_edge(START, EXPAND)
    add_route(builder, EXPAND, search.route, [EXPAND, FINISH])
    builder.add_edge(FINISH, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)
