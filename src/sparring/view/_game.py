"""The moves of a game item: what was tampered with, how rollouts and critics judged it, rewards.

Games keep their moves in the item's output: SPC its original and tampered step, the solver
rollouts' success rates and the critic's calls; every game an ``outcome`` with its rewards.
This panel puts them side by side under the item's timeline.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

__all__ = ["render_game"]

_SHOWN = 200


def _short(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _spc_moves(output: dict[str, Any]) -> Table | None:
    """Original vs tampered step, with the rollouts' success rates (SPC)."""
    if "tampered_step" not in output:
        return None
    steps = output.get("steps") or []
    index = output.get("step_index")
    original = steps[index] if isinstance(index, int) and 0 <= index < len(steps) else "?"
    table = Table(title="sneaky move", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("", no_wrap=True, style="bold")
    table.add_column("original", overflow="fold")
    table.add_column("tampered", overflow="fold")
    step = f"step {index + 1}" if isinstance(index, int) else "step"
    table.add_row(step, _short(original), _short(output.get("tampered_step") or "-"))
    table.add_row(
        "rollouts solved",
        _rate(output.get("original_success")),
        _rate(output.get("tampered_success")),
    )
    table.caption = f"error type: {output.get('error_type') or '-'}"
    return table


def _rate(value: Any) -> str:
    return f"{100 * value:.0f}%" if isinstance(value, int | float) else "-"


def _outcome(outcome: dict[str, Any]) -> Table:
    """The game's outcome fields, rewards first."""
    table = Table(title="outcome", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("field", no_wrap=True)
    table.add_column("value", overflow="fold")
    keys = sorted(outcome, key=lambda k: (not k.endswith("reward"), k))
    for key in keys:
        if key == "item_id":
            continue
        table.add_row(key, _short(outcome[key]))
    return table


def render_game(output: dict[str, Any] | None) -> RenderableType | None:
    """The game panel of an item's output, or None when the item is not a game's."""
    if not output or not isinstance(output.get("outcome"), dict):
        return None
    parts: list[RenderableType] = [Text("game moves", style="bold magenta")]
    if (moves := _spc_moves(output)) is not None:
        parts.append(moves)
    parts.append(_outcome(output["outcome"]))
    return Group(*parts)
