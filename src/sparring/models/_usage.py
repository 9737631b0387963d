"""Usage and cost totals per role and per model."""

from __future__ import annotations

import threading

from pydantic import BaseModel

from sparring.models._types import Usage

__all__ = ["UsageRow", "UsageTotals"]


class UsageRow(BaseModel):
    """Totals for one role or one model.

    ``cost_usd`` sums the calls whose price is known; ``unpriced_calls`` counts the others, so
    a total is only complete when it is zero.
    """

    calls: int = 0
    failed_calls: int = 0
    samples: int = 0
    cache_hits: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0

    @property
    def cost_label(self) -> str:
        """``$x`` when known, ``unknown`` when no call was priced, ``>= $x`` when some were."""
        spent = self.calls - self.cache_hits - self.failed_calls
        if spent > 0 and self.unpriced_calls >= spent:
            return "unknown"
        prefix = ">= " if self.unpriced_calls else ""
        return f"{prefix}${self.cost_usd:.6f}"


class UsageTotals:
    """Thread-safe running totals, keyed by role and by model."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_role: dict[str, UsageRow] = {}
        self.by_model: dict[str, UsageRow] = {}

    def record(
        self,
        *,
        role: str | None,
        model: str,
        usage: Usage,
        cost_usd: float | None,
        samples: int,
        cache_hit: bool,
        retries: int,
        failed: bool,
    ) -> None:
        """Add one logical call to the role's and the model's rows."""
        with self._lock:
            for table, key in ((self.by_model, model), (self.by_role, role or "(no role)")):
                row = table.get(key)
                if row is None:  # no new row per call: a pydantic model costs microseconds
                    row = table[key] = UsageRow()
                row.calls += 1
                row.failed_calls += int(failed)
                row.samples += samples
                row.cache_hits += int(cache_hit)
                row.retries += retries
                row.prompt_tokens += usage.prompt_tokens
                row.completion_tokens += usage.completion_tokens
                if cost_usd is not None:
                    row.cost_usd += cost_usd
                elif not cache_hit and not failed:
                    row.unpriced_calls += 1

    def total(self) -> UsageRow:
        """The sum over every model."""
        out = UsageRow()
        with self._lock:
            for row in self.by_model.values():
                for field in UsageRow.model_fields:
                    setattr(out, field, getattr(out, field) + getattr(row, field))
        return out
