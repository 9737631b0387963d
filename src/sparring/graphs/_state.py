"""State pieces every graph shares: its input, and the records and counters it outputs.

Every technique's state extends ``ItemInput`` and ``RecordsState``. State is plain JSON data
(TypedDicts, lists, numbers, strings) so checkpoints round-trip without custom types.
"""

from __future__ import annotations

import operator
from typing import Annotated, NotRequired

from typing_extensions import TypedDict

from sparring.records import PreferencePair, PrmRecord, RlRecord, SftRecord

__all__ = ["ItemInput", "RecordsState", "merge_counts"]


def merge_counts(left: dict[str, int] | None, right: dict[str, int] | None) -> dict[str, int]:
    """Reducer: add counters key by key."""
    out = dict(left or {})
    for key, value in (right or {}).items():
        out[key] = out.get(key, 0) + value
    return out


class ItemInput(TypedDict):
    """One data item.

    Attributes:
        prompt: The question or instruction.
        answer: The gold answer, for verifiable tasks (never shown to a model).
        reference: A reference answer a judge may see.
        item_id: The item's id in its data set.
    """

    prompt: str
    answer: NotRequired[str | None]
    reference: NotRequired[str | None]
    item_id: NotRequired[str | None]


class RecordsState(TypedDict, total=False):
    """Outputs every graph may produce; lists and counters accumulate across nodes.

    Attributes:
        pairs: Preference pairs (DPO/KTO-ready, with provenance).
        sft: Supervised records.
        rl: RL records (prompt, answer, reward).
        prm: Step-label records.
        refused: Records refused, by reason (tie, identical sides, unscored...).
        judged: Verdicts asked for, by role.
        unscored: Verdicts that came back unscored, by role.
        swaps: Both-order comparisons made, and ``swap_agreed``: those that agreed.
    """

    pairs: Annotated[list[PreferencePair], operator.add]
    sft: Annotated[list[SftRecord], operator.add]
    rl: Annotated[list[RlRecord], operator.add]
    prm: Annotated[list[PrmRecord], operator.add]
    refused: Annotated[dict[str, int], merge_counts]
    judged: Annotated[dict[str, int], merge_counts]
    unscored: Annotated[dict[str, int], merge_counts]
    swaps: Annotated[int, operator.add]
    swap_agreed: Annotated[int, operator.add]
