"""Typed events, the context they are stamped with, and the sinks they go to."""

from sparring.trace._context import TraceContext, current_context, trace_context
from sparring.trace._events import (
    CallErrorInfo,
    ConcurrencyEvent,
    Event,
    EventBase,
    ModelCallEvent,
    NodeEvent,
    NoticeEvent,
    RetryEvent,
    parse_event,
)
from sparring.trace._sinks import (
    CallbackSink,
    EventSink,
    FanoutSink,
    JsonlSink,
    MemorySink,
    NullSink,
)

__all__ = [
    "CallErrorInfo",
    "CallbackSink",
    "ConcurrencyEvent",
    "Event",
    "EventBase",
    "EventSink",
    "FanoutSink",
    "JsonlSink",
    "MemorySink",
    "ModelCallEvent",
    "NodeEvent",
    "NoticeEvent",
    "NullSink",
    "RetryEvent",
    "TraceContext",
    "current_context",
    "parse_event",
    "trace_context",
]
