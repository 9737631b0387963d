"""Typed events: every model call, retry, concurrency change and node step is one.

Events are frozen pydantic models with a literal ``kind``; ``Event`` is their discriminated
union, so a JSONL line parses back to the right class with ``parse_event``.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from sparring.errors import ErrorKind
from sparring.trace._context import current_context

__all__ = [
    "CallErrorInfo",
    "ConcurrencyEvent",
    "Event",
    "EventBase",
    "ModelCallEvent",
    "NodeEvent",
    "NoticeEvent",
    "RetryEvent",
    "parse_event",
]


def _new_id() -> str:
    return uuid.uuid4().hex


class EventBase(BaseModel):
    """Fields every event has; run, item and node come from the trace context."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=_new_id)
    ts: float = Field(default_factory=time.time)
    run_id: str | None = Field(default_factory=lambda: current_context().run_id)
    item_id: str | None = Field(default_factory=lambda: current_context().item_id)
    node: str | None = Field(default_factory=lambda: current_context().node)


class CallErrorInfo(BaseModel):
    """Why a call (or one attempt of it) failed; the message is already redacted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ErrorKind
    message: str
    status_code: int | None = None
    fatal: bool = False


class ModelCallEvent(EventBase):
    """One logical model call: all its samples, after retries, or its final failure."""

    kind: Literal["model_call"] = "model_call"
    call_id: str
    role: str | None
    model: str
    api_base: str | None = None
    messages: list[dict[str, Any]]
    params: dict[str, Any]
    n: int
    outputs: list[str] = Field(default_factory=list)
    finish_reasons: list[str | None] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    cache_hits: int = 0
    attempts: int = 1
    retries: int = 0
    error: CallErrorInfo | None = None


class RetryEvent(EventBase):
    """One failed attempt that will be retried after ``delay_s``."""

    kind: Literal["model_retry"] = "model_retry"
    call_id: str
    role: str | None
    model: str
    attempt: int
    delay_s: float
    retry_after_s: float | None = None
    error: CallErrorInfo


class ConcurrencyEvent(EventBase):
    """The adaptive concurrency limit of a model changed."""

    kind: Literal["concurrency"] = "concurrency"
    model: str
    limit: int
    reason: Literal["rate_limit", "grow"]


class NoticeEvent(EventBase):
    """Something a run's user should hear about once (a server ignoring ``n``, ...)."""

    kind: Literal["notice"] = "notice"
    model: str | None = None
    message: str


class NodeEvent(EventBase):
    """A graph node started or finished."""

    kind: Literal["node"] = "node"
    phase: Literal["start", "end", "error"]
    duration_s: float | None = None
    detail: str | None = None


Event = Annotated[
    ModelCallEvent | RetryEvent | ConcurrencyEvent | NodeEvent | NoticeEvent,
    Field(discriminator="kind"),
]

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(line: str | bytes) -> Event:
    """Parse one JSON event (a JSONL line) back into its typed class."""
    return _ADAPTER.validate_json(line)
