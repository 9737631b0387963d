"""The net-win tournament graph: intransitive cycles, tiers and Copeland scores (networkx)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import networkx as nx  # type: ignore[import-untyped, unused-ignore]

from sparring.memory._ratings_battle import Battle, collect_battles, item_ids, pair_wins

__all__ = ["MARGIN_RTOL", "Tournament", "tournament"]

MARGIN_RTOL = 1e-9
"""A net margin at or below this fraction of the pair's total is a draw (no edge): rounding in
summed weights must not decide who beat whom."""


class Tournament:
    """Who beats whom on balance: a directed graph of net wins.

    There is an edge ``u -> v`` when ``u`` beat ``v`` more often than the reverse (weighted wins,
    a tie counting half to each side), with attribute ``weight`` = the margin and ``wins`` /
    ``losses`` = the two tallies. Pairs that never met, or drew on balance, have no edge. Every
    item is a node. Build one with `tournament`.
    """

    __slots__ = ("_beats", "_graph", "_items", "_wins")

    def __init__(self, wins: Mapping[tuple[str, str], float], items: Iterable[str]) -> None:
        """Build from ``{(a, b): wins of a over b}``; prefer `tournament`."""
        graph: Any = nx.DiGraph()
        graph.add_nodes_from(sorted(items))
        for (a, b), w in sorted(wins.items()):
            lost = wins.get((b, a), 0.0)
            if w - lost > MARGIN_RTOL * (w + lost):
                graph.add_edge(a, b, weight=w - lost, wins=w, losses=lost)
        self._graph: Any = nx.freeze(graph)
        self._wins = dict(wins)
        self._items = tuple(sorted(graph.nodes))
        self._beats: dict[str, tuple[str, ...]] = {
            x: tuple(sorted(graph.successors(x))) for x in graph.nodes
        }

    @property
    def graph(self) -> Any:
        """The net-win ``networkx.DiGraph`` (frozen: modifying it raises)."""
        return self._graph

    @property
    def items(self) -> tuple[str, ...]:
        """All ids, sorted."""
        return self._items

    def wins(self, a: str, b: str) -> float:
        """Weighted wins of ``a`` over ``b`` (ties count half); 0 if they never met."""
        return self._wins.get((a, b), 0.0)

    def beats(self, a: str) -> tuple[str, ...]:
        """Ids that ``a`` beat on balance, sorted.

        Raises:
            KeyError: If ``a`` is not in the tournament.
        """
        return self._beats[a]

    def copeland(self) -> dict[str, int]:
        """Copeland score per item: opponents beaten on balance minus opponents lost to."""
        score = {x: len(won) for x, won in self._beats.items()}
        for won in self._beats.values():
            for loser in won:
                score[loser] -= 1
        return score

    @property
    def is_transitive(self) -> bool:
        """True when the net preferences have no cycle (some total order agrees with all)."""
        return all(len(tier) == 1 for tier in self._components())

    def tiers(self) -> list[tuple[str, ...]]:
        """Strongly connected components of the net-win graph, best first.

        The items of a tier beat each other in a cycle, and every net win between two tiers
        points from the earlier one to the later. This is a partial order: where several tiers
        could come next (no chain of wins orders them, e.g. items that never met), the one with
        the smallest id goes first, so the result is deterministic. Each tier is sorted.
        """
        condensed = nx.condensation(self._graph, scc=self._components())
        members = {n: tuple(sorted(condensed.nodes[n]["members"])) for n in condensed.nodes}
        order = nx.lexicographical_topological_sort(condensed, key=lambda n: members[n][0])
        return [members[n] for n in order]

    def _components(self) -> list[set[str]]:
        return [set(c) for c in nx.strongly_connected_components(self._graph)]

    def cycles(self, *, max_length: int = 5, limit: int = 100) -> list[tuple[str, ...]]:
        """Intransitive preference cycles ``a > b > … > a``, bounded and normalised.

        Each cycle is a tuple of distinct ids in beating order, rotated to start at its
        smallest id. Cycles are listed shortest first, then in lexicographic order, and the
        listing stops after ``limit`` cycles and ignores cycles longer than ``max_length``: a
        dense intransitive tournament has exponentially many cycles. The search walks
        depth-first inside each strongly connected component, entering a node only if it can
        still close a cycle of the wanted length. Its cost is bounded by the output and, per
        length, by one ``max_length``-deep search around each item, so keep ``max_length`` small
        on large components; use `tiers` or `is_transitive` for an unbounded yes/no answer.

        Args:
            max_length: Longest cycle reported (>= 3; the net-win graph has no 2-cycles).
            limit: Most cycles reported (>= 1).

        Returns:
            The cycles.

        Raises:
            ValueError: On ``max_length < 3`` or ``limit < 1``.
        """
        if max_length < 3 or limit < 1:
            raise ValueError(f"need max_length >= 3 and limit >= 1, got {max_length}, {limit}")
        # A cycle starting at its smallest id s uses only ids >= s of s's component.
        room: dict[str, int] = {}
        for component in self._components():
            ordered = sorted(component)
            room.update((x, len(ordered) - k) for k, x in enumerate(ordered))
        for x in room:  # such a cycle leaves and re-enters s through ids above s
            leaves = any(y > x for y in self._beats[x])
            if not (leaves and any(y > x for y in self._graph.predecessors(x))):
                room[x] = 1
        found: list[tuple[str, ...]] = []
        for length in range(3, min(max_length, max(room.values())) + 1):
            for start in (x for x in self.items if room[x] >= length):
                for cycle in self._cycles_from(start, length):
                    found.append(cycle)
                    if len(found) == limit:
                        return found
        return found

    def _cycles_from(self, start: str, length: int) -> Iterator[tuple[str, ...]]:
        """Cycles of exactly ``length`` items whose smallest id is ``start``, in lexical order.

        Depth-first over successors in id order (iterative, so long cycles cannot overflow the
        stack); a node is entered only if it can still get back to ``start`` in time.
        """
        dist = self._distances_to(start, length - 1)
        path, on_path = [start], {start}
        stack = [iter(self._beats[start])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                on_path.discard(path.pop())
            elif nxt not in on_path and nxt in dist and len(path) + dist[nxt] <= length:
                if len(path) + 1 == length:  # then dist[nxt] == 1: nxt beats start
                    yield (*path, nxt)
                else:
                    path.append(nxt)
                    on_path.add(nxt)
                    stack.append(iter(self._beats[nxt]))

    def _distances_to(self, start: str, within: int) -> dict[str, int]:
        """Fewest edges (at most ``within``) back to ``start`` from ids above it, via such ids."""
        dist = {start: 0}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            if dist[node] == within:
                continue
            for prev in self._graph.predecessors(node):
                if prev > start and prev not in dist:
                    dist[prev] = dist[node] + 1
                    queue.append(prev)
        del dist[start]
        return dist

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: items, net-win edges, tiers and Copeland scores."""
        return {
            "items": list(self.items),
            "edges": [
                {"winner": u, "loser": v, "margin": d["weight"]}
                for u, v, d in sorted(self._graph.edges(data=True))
            ],
            "tiers": [list(t) for t in self.tiers()],
            "copeland": self.copeland(),
            "is_transitive": self.is_transitive,
        }


def tournament(battles: Iterable[Battle], *, items: Iterable[str] | None = None) -> Tournament:
    """Build the net-win tournament graph of ``battles`` (order of presentation is ignored).

    Args:
        battles: The battles; consumed once. ``Battle.weight`` scales a battle's count.
        items: Extra ids to include as isolated nodes even if they never battled.

    Returns:
        The tournament.

    Raises:
        ValueError: On no battles.
        TypeError: If an element of ``battles`` is not a `Battle`.
    """
    data = collect_battles(battles, "tournament")
    return Tournament(pair_wins(data), item_ids(data, items))
