"""The search tree: nodes as plain JSON data, values, UCT selection and backup.

A node is one step of a solution; the root is the empty solution. A node's ``value`` is the
mean of the critic's verdicts on its step (1 correct, 0 wrong): its own step verdict, and the
marks that critiques of finished solutions through it gave that step later. At a finished
leaf the value is the verified outcome. A path is as good as its worst step (``path_min``),
and a node is worth what the best path found under it is worth, or its own path while it may
still be expanded (``estimate``: a max backup). ``visits`` counts the values backed up
through a node (for UCT's exploration term) and ``value_sum`` their sum (its mean Q).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from typing_extensions import TypedDict

__all__ = [
    "NEUTRAL",
    "SearchNode",
    "add_verdict",
    "backup",
    "children_of",
    "estimate",
    "new_node",
    "open_nodes",
    "path_min",
    "path_to",
    "path_value",
    "q_value",
    "select_uct",
    "subtree_leaves",
]

NEUTRAL = 0.5
"""The value searched with when the critic's verdict could not be read (never a label)."""


class SearchNode(TypedDict):
    """One step in the search tree.

    Attributes:
        id: Position in the tree's node list.
        parent: The parent's id (None for the root).
        depth: Steps from the root (the root is 0).
        step: This step's text (empty for the root).
        terminal: Whether the step ends the solution with a final answer.
        answer: The final answer, at a terminal node.
        value: The mean verdict on the step, or the verified outcome at a terminal (None:
            no verdict could be read).
        votes: Verdicts averaged into ``value``.
        verified_by: What gave a terminal's value: ``critic`` or ``gold``.
        correct: Whether a terminal's answer matches the gold (None without gold).
        expanded: Whether the actor has proposed this node's next steps.
        expansions: How many times it did (a node is expanded again when nothing viable is
            left under it).
        visits: Values backed up through this node.
        value_sum: Their sum.
    """

    id: int
    parent: int | None
    depth: int
    step: str
    terminal: bool
    answer: str | None
    value: float | None
    votes: int
    verified_by: str | None
    correct: bool | None
    expanded: bool
    expansions: int
    visits: int
    value_sum: float


def new_node(node_id: int, parent: SearchNode | None, step: str = "") -> SearchNode:
    """A fresh, unvalued node under ``parent`` (the root when ``parent`` is None)."""
    return {
        "id": node_id,
        "parent": None if parent is None else parent["id"],
        "depth": 0 if parent is None else parent["depth"] + 1,
        "step": step,
        "terminal": False,
        "answer": None,
        "value": None,
        "votes": 0,
        "verified_by": None,
        "correct": None,
        "expanded": False,
        "expansions": 0,
        "visits": 0,
        "value_sum": 0.0,
    }


def add_verdict(node: SearchNode, score: float) -> None:
    """Average one more verdict (1 correct, 0 wrong) into the node's value."""
    old = 0.0 if node["value"] is None else node["value"] * node["votes"]
    node["votes"] += 1
    node["value"] = (old + score) / node["votes"]


def children_of(tree: Sequence[SearchNode], node: SearchNode) -> list[SearchNode]:
    """The node's children, in the order they were proposed."""
    return [n for n in tree if n["parent"] == node["id"]]


def path_to(tree: Sequence[SearchNode], node: SearchNode) -> list[SearchNode]:
    """The nodes from the root's first child down to ``node`` (the root itself left out)."""
    out: list[SearchNode] = []
    cur: SearchNode | None = node
    while cur is not None and cur["parent"] is not None:
        out.append(cur)
        cur = tree[cur["parent"]]
    return out[::-1]


def _values(tree: Sequence[SearchNode], node: SearchNode) -> list[float]:
    return [NEUTRAL if n["value"] is None else n["value"] for n in path_to(tree, node)]


def path_min(tree: Sequence[SearchNode], node: SearchNode) -> float:
    """The lowest step value on the path to ``node`` (unread values count neutral)."""
    return min(_values(tree, node), default=1.0)


def path_value(tree: Sequence[SearchNode], node: SearchNode) -> float:
    """The mean step value on the path to ``node`` (unread values count neutral)."""
    values = _values(tree, node)
    return sum(values) / len(values) if values else NEUTRAL


def q_value(node: SearchNode) -> float:
    """The mean value backed up through the node (its own value before any backup)."""
    if node["visits"]:
        return node["value_sum"] / node["visits"]
    return NEUTRAL if node["value"] is None else node["value"]


def estimate(tree: Sequence[SearchNode], node: SearchNode, widen: int) -> float:
    """What the node is worth: the best path under it, or its own while it may grow more."""
    own = path_min(tree, node)
    if node["terminal"] or not node["expanded"]:
        return own
    best = max((estimate(tree, c, widen) for c in children_of(tree, node)), default=0.0)
    return max(best, own) if node["expansions"] <= widen else best


def backup(tree: list[SearchNode], node: SearchNode, value: float) -> None:
    """Add ``value`` to the node and to every node above it, the root included."""
    cur: SearchNode | None = node
    while cur is not None:
        cur["visits"] += 1
        cur["value_sum"] += value
        cur = None if cur["parent"] is None else tree[cur["parent"]]


def _select(
    tree: Sequence[SearchNode], node: SearchNode, exploration: float, max_depth: int, widen: int
) -> SearchNode | None:
    if node["terminal"] or node["depth"] >= max_depth:
        return None
    if not node["expanded"]:
        return node
    kids = [c for c in children_of(tree, node) if not c["terminal"]]
    log_n = math.log(max(node["visits"], 1))
    worth = {c["id"]: estimate(tree, c, widen) for c in kids}

    def uct(child: SearchNode) -> float:
        bonus = exploration * math.sqrt(log_n / (1 + child["visits"]))
        return worth[child["id"]] + bonus

    viable = [c for c in kids if worth[c["id"]] > NEUTRAL]
    dead = [c for c in kids if worth[c["id"]] <= NEUTRAL]
    for group in (viable, dead):
        for child in sorted(group, key=lambda c: (-uct(c), c["id"])):
            found = _select(tree, child, exploration, max_depth, widen)
            if found is not None:
                return found
        if group is viable and node["expansions"] <= widen:
            return node  # nothing viable left below: ask the actor for more next steps here
    return None


def select_uct(
    tree: Sequence[SearchNode], exploration: float, max_depth: int, widen: int = 0
) -> SearchNode | None:
    """The node to expand next, by UCT from the root; None when the tree is exhausted.

    At each expanded node the children worth more than even odds (``estimate``) are tried
    first, highest ``estimate + c * sqrt(ln N / (1 + n))`` first (ties: the earlier child).
    When none of them leaves anything to expand, the node itself is expanded again (new
    proposals; at most ``widen`` times more), and only then are the other subtrees searched.
    """
    return _select(tree, tree[0], exploration, max_depth, widen)


def open_nodes(tree: Sequence[SearchNode], max_depth: int, widen: int = 0) -> list[SearchNode]:
    """Nodes that may still be expanded (or expanded again), not finished or too deep."""
    return [
        n for n in tree if not n["terminal"] and n["depth"] < max_depth and n["expansions"] <= widen
    ]


def subtree_leaves(tree: Sequence[SearchNode], node: SearchNode) -> Iterator[SearchNode]:
    """The terminal nodes under ``node`` (``node`` itself when it is terminal)."""
    if node["terminal"]:
        yield node
        return
    for child in children_of(tree, node):
        yield from subtree_leaves(tree, child)
