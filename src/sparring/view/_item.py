"""``sparring view RUN --item ID``: one item's path through its graph, as a timeline tree."""

from __future__ import annotations

import difflib
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from sparring.view._game import render_game
from sparring.view._query import ItemRef, RunQuery
from sparring.view._reading import Reading, read_calls
from sparring.view._timeline import Call, Timeline, Visit, build_timeline

__all__ = ["render_item"]

_SHORT = 160
_DIFF_LINES = 8
_SAMPLES = 4


def _short(text: str, full: bool, limit: int = _SHORT) -> str:
    flat = " ".join(text.split())
    return flat if full or len(flat) <= limit else flat[: limit - 1] + "…"


def _call_line(call: Call, reading: Reading | None) -> Text:
    e = call.event
    parts = [f"{e.role or '?'} · {e.model} · {e.latency_s:.2f}s"]
    parts.append(f"{e.prompt_tokens}→{e.completion_tokens} tok")
    if e.cost_usd is not None:
        parts.append(f"${e.cost_usd:.5f}")
    if e.n > 1:
        parts.append(f"n={e.n}")
    if e.cache_hits:
        parts.append("cache hit")
    if call.retries:
        parts.append(f"{call.retries} retries")
    line = Text(" · ".join(parts), style="cyan")
    if e.error is not None:
        line.append(f"  FAILED {e.error.kind}: {e.error.message[:120]}", style="bold red")
    elif reading is not None:
        line.append(f"  {reading.text}", style="yellow" if reading.unscored else "green")
    return line


def _diff(before: str, after: str) -> Text | None:
    """What changed from one round's text to the next (a few unified-diff lines)."""
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))[
        2:
    ]
    changed = [ln for ln in lines if ln[:1] in "+-" and ln.strip() not in ("+", "-")]
    if not changed:
        return None
    out = Text("changed since the last round:\n", style="dim")
    for ln in changed[:_DIFF_LINES]:
        out.append(_short(ln, False, 140) + "\n", style="green" if ln[0] == "+" else "red")
    if len(changed) > _DIFF_LINES:
        out.append(f"... {len(changed) - _DIFF_LINES} more changed lines\n", style="dim")
    return out


def _add_visit(
    branch: Tree,
    visit: Visit,
    readings: dict[str, Reading | None],
    last: dict[str, tuple[int, str]],
    where: tuple[int, bool],
) -> None:
    """Add a visit, its calls and their outputs; diff a role's text against its last round's."""
    round_number, full = where
    times = f" ×{visit.count}" if visit.count > 1 else ""
    node = branch.add(Text(f"{visit.node}{times}  {visit.seconds:.2f}s", style="bold"))
    for error in visit.errors:
        node.add(Text(f"error: {error[:200]}", style="red"))
    for call in visit.calls:
        leaf = node.add(_call_line(call, readings.get(call.event.call_id)))
        outputs = call.event.outputs
        for i, output in enumerate(outputs if full else outputs[:_SAMPLES]):
            label = f"[{i + 1}] " if len(outputs) > 1 else ""
            limit = _SHORT if len(outputs) == 1 else _SHORT // 2
            leaf.add(Text(label + _short(output, full, limit), style="white"))
        if not full and len(outputs) > _SAMPLES:
            leaf.add(Text(f"... {len(outputs) - _SAMPLES} more samples (--full)", style="dim"))
        role = call.event.role or "?"
        first = call.event.outputs[0] if call.event.outputs else None
        before = last.get(role)
        change = None
        if first is not None and before is not None and before[0] < round_number:
            change = _diff(before[1], first)
        if change is not None:
            leaf.add(change)
        if first is not None:
            last[role] = (round_number, first)


def _tree(ref: ItemRef, timeline: Timeline, full: bool) -> Tree:
    readings = dict(
        zip(
            (c.event.call_id for c in timeline.calls),
            read_calls([c.event for c in timeline.calls]),
            strict=True,
        )
    )
    tree = Tree(Text(f"item #{ref.index + 1} ({ref.item_id}): {ref.status}", style="bold"))
    last: dict[str, tuple[int, str]] = {}
    for round_ in timeline.rounds:
        label = f"round {round_.number}" if len(timeline.rounds) > 1 else "path"
        branch = tree.add(Text(label, style="magenta"))
        for visit in round_.visits:
            _add_visit(branch, visit, readings, last, (round_.number, full))
    if timeline.loose_calls:
        branch = tree.add(Text("calls outside any node", style="magenta"))
        for call in timeline.loose_calls:
            branch.add(_call_line(call, readings.get(call.event.call_id)))
    return tree


def _record_row(kind: str, record: dict[str, Any], full: bool) -> tuple[str, str]:
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    assert isinstance(meta, dict)
    if kind == "pairs":
        chosen = _short(str(record.get("chosen", "")), full, 90)
        rejected = _short(str(record.get("rejected", "")), full, 90)
        return "pair", f"chosen: {chosen}\nrejected: {rejected}"
    if kind == "rl":
        role = meta.get("role", "?")
        answer = _short(str(record.get("answer", "")), full, 100)
        return "rl", f"{role} reward {record.get('reward')}: {answer}"
    if kind == "prm":
        return "prm", f"{len(record.get('steps', []))} steps, labels {record.get('labels')}"
    messages = record.get("messages") or []
    last = messages[-1].get("content", "") if messages and isinstance(messages[-1], dict) else ""
    return kind, _short(str(last), full, 120)


def _records(query: RunQuery, ref: ItemRef, full: bool) -> RenderableType:
    rows = query.records_of(ref.index)
    refused = {
        k.split("/", 1)[1]: v
        for k, v in query.counters_of(ref.index).items()
        if k.startswith("refused/")
    }
    said = ", ".join(f"{v} {k}" for k, v in sorted(refused.items())) or "none"
    refusals = Text(f"refused: {said}", style="yellow" if refused else "dim")
    if not rows:
        return Group(Text("records: none", style="dim"), refusals)
    table = Table(title=f"records ({len(rows)})", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("kind", no_wrap=True)
    table.add_column("record", overflow="fold")
    for kind, record in rows:
        table.add_row(*_record_row(kind, record, full))
    return Group(table, refusals)


def render_item(query: RunQuery, ref: ItemRef, *, full: bool = False) -> RenderableType:
    """The item's header, its timeline tree, its records and its refusals."""
    item = query.input_of(ref.index)
    header = Text()
    header.append(f"prompt: {_short(str(item.get('prompt', '')), full, 300)}\n")
    if item.get("answer") is not None:
        header.append(f"gold answer: {escape(str(item['answer']))}\n", style="dim")
    if ref.error:
        header.append(f"failed: {ref.error}\n", style="bold red")
    timeline = build_timeline(query.events_of(ref.item_id))
    if not timeline.rounds and not timeline.loose_calls:
        header.append("no events recorded for this item yet\n", style="dim")
    parts: list[RenderableType] = [header, _tree(ref, timeline, full)]
    if (game := render_game(query.output_of(ref.index))) is not None:
        parts.append(game)
    parts.append(_records(query, ref, full))
    return Group(*parts)
