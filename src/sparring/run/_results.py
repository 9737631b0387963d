"""Turn a graph's final state into what the run store keeps for the item."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sparring.memory._store import RECORD_KINDS, ItemResult
from sparring.run._summary import item_health

__all__ = ["item_result"]

_INPUT_KEYS = ("prompt", "answer", "reference", "item_id")
_COUNTER_MAPS = ("refused", "judged", "unscored")
_COUNTER_INTS = ("swaps", "swap_agreed")


def _counters(state: Mapping[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in _COUNTER_MAPS:
        for key, value in (state.get(name) or {}).items():
            out[f"{name}/{key}"] = int(value)
    for name in _COUNTER_INTS:
        if state.get(name):
            out[name] = int(state[name])
    return out


def _jsonable(value: Any) -> Any:
    """The value if it is JSON data, else its JSON form via pydantic or str."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        dump = getattr(value, "model_dump", None)
        return dump(mode="json") if callable(dump) else str(value)


def item_result(state: Mapping[str, Any]) -> ItemResult:
    """Records, counters and the output summary of one finished item.

    The output keeps every state key that is neither input, record nor counter; an item is
    ``unscored`` when it asked for verdicts and none came back scored. The item's share of
    the health monitors is counted here (``health/...``), so a summary never re-reads outputs.
    """
    records = {kind: list(state.get(kind) or []) for kind in RECORD_KINDS}
    counters = _counters(state)
    skip = {*_INPUT_KEYS, *RECORD_KINDS, *_COUNTER_MAPS, *_COUNTER_INTS}
    output = {k: _jsonable(v) for k, v in state.items() if k not in skip}
    counters.update(item_health(output, state.get("answer"), records["pairs"]))
    judged = sum(v for k, v in counters.items() if k.startswith("judged/"))
    unscored = sum(v for k, v in counters.items() if k.startswith("unscored/"))
    return {
        "records": records,
        "counters": counters,
        "output": output,
        "unscored": judged > 0 and unscored >= judged,
    }
