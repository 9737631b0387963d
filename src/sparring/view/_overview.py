"""``sparring view RUN``: the summary, the topology with visits per node, and the rounds.

The topology comes from LangGraph's own description of the graph; the visit counts and times
from the run's node events (one aggregate query); the rounds from how often items visited the
node they visit most (the body of their loop).
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sparring.run import RunSummary
from sparring.view._query import NodeStat, RunQuery
from sparring.view._summary import summary_renderable

__all__ = ["Topology", "render_overview", "topology"]

Topology = tuple[list[str], list[tuple[str, str, bool]]]


def topology(graph: str) -> Topology | None:
    """Nodes and edges ``(source, target, conditional)`` from LangGraph's own description.

    The graph is built with simulator roles (no call is made); None when it cannot be built
    (a graph registered by a plugin that is not importable here).
    """
    from sparring.graphs import REGISTRY
    from sparring.models import Roles

    try:
        drawable: Any = REGISTRY[graph].load()(Roles()).get_graph()
    except Exception:
        return None
    nodes = [str(n) for n in drawable.nodes if not str(n).startswith("__")]
    edges = [(str(e.source), str(e.target), bool(e.conditional)) for e in drawable.edges]
    return nodes, edges


def _topology_table(shape: Topology, stats: list[NodeStat], items: int) -> Table:
    nodes, edges = shape
    by_node = {s.node: s for s in stats}
    table = Table(title="Graph (visits and time per node)", box=box.SIMPLE_HEAD)
    table.add_column("node", no_wrap=True)
    table.add_column("visits", justify="right")
    table.add_column("per item", justify="right")
    table.add_column("time", justify="right")
    table.add_column("next (?: conditional)", overflow="fold")
    for node in nodes:
        stat = by_node.get(node, NodeStat(node, 0, 0.0))
        nexts = [
            f"{t}{'?' if c else ''}".replace("__end__", "END") for s, t, c in edges if s == node
        ]
        per_item = f"{stat.visits / items:.2f}" if items else "-"
        table.add_row(node, str(stat.visits), per_item, f"{stat.seconds:.1f}s", ", ".join(nexts))
    entry = [t for s, t, _ in edges if s == "__start__"]
    table.caption = f"START → {', '.join(entry)}" if entry else None
    return table


def _in_cycles(edges: list[tuple[str, str, bool]]) -> set[str]:
    """Nodes on a cycle of the graph (the bodies of its loops)."""
    nexts: dict[str, set[str]] = {}
    for source, target, _ in edges:
        nexts.setdefault(source, set()).add(target)
    looped = set()
    for start in nexts:
        seen, todo = set(), list(nexts[start])
        while todo:
            node = todo.pop()
            if node == start:
                looped.add(start)
                break
            if node not in seen:
                seen.add(node)
                todo.extend(nexts.get(node, ()))
    return looped


def _loop_node(shape: Topology, stats: list[NodeStat], items: int) -> NodeStat | None:
    """The most visited node on a cycle of the graph, if items went round it at all."""
    looped = _in_cycles(shape[1])
    candidates = [s for s in stats if s.node in looped and items and s.visits > items]
    return max(candidates, key=lambda s: s.visits, default=None)


def _rounds_table(
    query: RunQuery, shape: Topology, stats: list[NodeStat], items: int
) -> RenderableType | None:
    node = _loop_node(shape, stats, items)
    if node is None:
        return None
    visits = query.visits_per_item(node.node)
    reached = {k: sum(v for n, v in visits.items() if n >= k) for k in sorted(visits)}
    table = Table(title=f"Rounds (visits of {node.node!r} per item)", box=box.SIMPLE_HEAD)
    table.add_column("round", justify="right")
    table.add_column("items reaching it", justify="right")
    table.add_column("share", justify="right")
    correct = query.correct_by_round()
    if correct:
        table.add_column("correct in it", justify="right")
    total = max(reached.values(), default=0)
    for k, count in reached.items():
        row = [str(k), str(count), f"{100 * count / total:.0f}%" if total else "-"]
        if correct:
            tried, right = correct.get(k, (0, 0))
            row.append(f"{right}/{tried}" if tried else "-")
        table.add_row(*row)
    return table


def render_overview(query: RunQuery, summary: RunSummary) -> RenderableType:
    """The summary, then the topology with per-node visits and time, then the rounds."""
    stats = query.node_stats()
    items = sum(v for k, v in summary.items.items() if k in ("done", "failed"))
    parts: list[RenderableType] = [summary_renderable(summary)]
    shape = topology(summary.graph)  # built once: the graph's factory is not free
    if shape is not None:
        parts.append(_topology_table(shape, stats, items))
        if (rounds := _rounds_table(query, shape, stats, items)) is not None:
            parts.append(rounds)
    hint = f"one item's trace: sparring view {query.dir} --item '#1' (ids: --list)"
    parts.append(Text(hint, style="dim"))
    return Group(*parts)
