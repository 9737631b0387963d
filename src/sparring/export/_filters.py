"""``--kind`` and ``--role`` filters: which records an export keeps, and what it left out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["PAIR_KINDS", "ExportFilter", "record_role"]

PAIR_KINDS = ("response", "judgment", "critique", "step")
# The role whose output a pair ranks, when the record does not name one: a Meta-Rewarding run
# mixes actor pairs (responses) and judge pairs (judgments) in one table.
_ROLE_OF_KIND = {"response": "actor", "judgment": "judge", "critique": "critic", "step": "actor"}


def record_role(record: dict[str, Any]) -> str | None:
    """The role a record trains: ``meta.role``, else the role its ``meta.kind`` implies.

    Records with neither (rl and sft records of single-actor graphs) train the actor; prm
    records train a step verifier and have no role.
    """
    meta = record.get("meta") or {}
    if isinstance(meta.get("role"), str):
        return str(meta["role"])
    kind = meta.get("kind")
    if isinstance(kind, str):
        return _ROLE_OF_KIND.get(kind)
    return None if "steps" in record else "actor"


@dataclass(frozen=True)
class ExportFilter:
    """Keep only records of one pair ``kind`` and/or one ``role`` (None keeps all)."""

    kind: str | None = None
    role: str | None = None

    def apply(
        self, records: Iterable[dict[str, Any]], left_out: Counter[str]
    ) -> Iterator[dict[str, Any]]:
        """Yield the records that pass; count the others in ``left_out`` by what they were."""
        for record in records:
            meta = record.get("meta") or {}
            if self.kind is not None and meta.get("kind") != self.kind:
                left_out.update([f"kind {meta.get('kind') or 'none'}"])
                continue
            if self.role is not None and record_role(record) != self.role:
                left_out.update([f"role {record_role(record) or 'none'}"])
                continue
            yield record
