"""Reflexion lessons kept on a LangGraph ``BaseStore``, namespaced by task family.

A lesson is a short piece of advice an actor wrote after a failed attempt ("recompute every
product before moving on"). Lessons live under ``("sparring", "lessons", <family>)`` so later
attempts at the same item, and at other items of the same family, can read them back.

The store is any LangGraph ``BaseStore``: ``InMemoryStore`` for a script, ``SqliteStore`` or
``AsyncSqliteStore`` for a run that must survive a restart. Two store gotchas are handled here:

- ``store.search`` returns at most ``limit`` items (10 by default) in storage order, so reading
  "the latest k lessons" with ``limit=k`` would return the *oldest* k. ``recent_lessons`` pages
  through the namespace with an explicit page size (up to ``scan_limit`` items) and sorts by
  time itself.
- The sync ``SqliteStore`` has no async API; the ``a*`` functions fall back to its sync calls.

Example:
    >>> from langgraph.store.memory import InMemoryStore
    >>> from sparring.memory.lessons import put_lesson, recent_lessons
    >>> store = InMemoryStore()
    >>> key = put_lesson(store, "arithmetic", "Recompute each product.", key="q1-0")
    >>> [lesson.text for lesson in recent_lessons(store, "arithmetic", limit=3)]
    ['Recompute each product.']
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langgraph.store.base import BaseStore, Item, SearchItem

__all__ = [
    "LESSONS_NAMESPACE",
    "Lesson",
    "aput_lesson",
    "arecent_lessons",
    "family_namespace",
    "put_lesson",
    "recent_lessons",
]

LESSONS_NAMESPACE: tuple[str, ...] = ("sparring", "lessons")
"""The namespace prefix every family's lessons sit under."""

_PAGE = 100
_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_\-]+")


@dataclass(frozen=True, slots=True)
class Lesson:
    """One stored lesson.

    Attributes:
        key: Its key in the store.
        family: The task family it belongs to.
        text: The advice itself.
        item_id: The item whose failure produced it, when known.
        attempt: The failed attempt's number (0-based), when known.
        created_at: When it was stored.
        meta: Any further JSON fields stored with it.
    """

    key: str
    family: str
    text: str
    item_id: str | None
    attempt: int | None
    created_at: datetime
    meta: dict[str, Any]


def family_namespace(family: str) -> tuple[str, ...]:
    """The store namespace of ``family`` (characters a namespace label refuses become ``_``)."""
    label = _UNSAFE_RE.sub("_", family.strip()) or "general"
    return (*LESSONS_NAMESPACE, label)


def _value(
    family: str, text: str, item_id: str | None, attempt: int | None, meta: dict[str, Any]
) -> dict[str, Any]:
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("a lesson must not be empty")
    return {**meta, "text": cleaned, "family": family, "item_id": item_id, "attempt": attempt}


def _lesson(item: Item) -> Lesson:
    value = dict(item.value)
    text = str(value.pop("text", ""))
    family = str(value.pop("family", item.namespace[-1]))
    item_id = value.pop("item_id", None)
    attempt = value.pop("attempt", None)
    return Lesson(
        key=item.key,
        family=family,
        text=text,
        item_id=None if item_id is None else str(item_id),
        attempt=attempt if isinstance(attempt, int) else None,
        created_at=item.created_at,
        meta=value,
    )


def _latest(items: Sequence[SearchItem], limit: int) -> list[Lesson]:
    """The newest ``limit`` distinct lessons, newest first."""
    ordered = sorted(items, key=lambda it: (it.created_at, it.key), reverse=True)
    seen: set[str] = set()
    out: list[Lesson] = []
    for item in ordered:
        lesson = _lesson(item)
        if lesson.text and lesson.text not in seen:
            seen.add(lesson.text)
            out.append(lesson)
        if len(out) >= limit:
            break
    return out


def _check_limits(limit: int, scan_limit: int) -> None:
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if scan_limit < 1:
        raise ValueError(f"scan_limit must be >= 1, got {scan_limit}")


def put_lesson(
    store: BaseStore,
    family: str,
    text: str,
    *,
    key: str | None = None,
    item_id: str | None = None,
    attempt: int | None = None,
    **meta: Any,
) -> str:
    """Store a lesson for ``family``; returns its key.

    Args:
        store: The LangGraph store.
        family: The task family (the namespace's last label).
        text: The lesson.
        key: Its key; a stable key (item and attempt) makes a repeated put idempotent.
            A random key when None.
        item_id: The item whose failure produced it.
        attempt: The failed attempt's number.
        **meta: Further JSON fields to keep with it.
    """
    chosen = key or uuid.uuid4().hex
    store.put(family_namespace(family), chosen, _value(family, text, item_id, attempt, meta))
    return chosen


async def aput_lesson(
    store: BaseStore,
    family: str,
    text: str,
    *,
    key: str | None = None,
    item_id: str | None = None,
    attempt: int | None = None,
    **meta: Any,
) -> str:
    """``put_lesson`` for async code (falls back to the sync API of sync-only stores)."""
    chosen = key or uuid.uuid4().hex
    value = _value(family, text, item_id, attempt, meta)
    try:
        await store.aput(family_namespace(family), chosen, value)
    except NotImplementedError:
        store.put(family_namespace(family), chosen, value)
    return chosen


def recent_lessons(
    store: BaseStore, family: str, *, limit: int = 3, scan_limit: int = 1000
) -> list[Lesson]:
    """The newest ``limit`` distinct lessons of ``family``, newest first.

    Args:
        store: The LangGraph store.
        family: The task family.
        limit: How many lessons to return (Reflexion keeps the last 3).
        scan_limit: How many stored lessons to look at, at most (pages of 100).
    """
    _check_limits(limit, scan_limit)
    if limit == 0:
        return []
    namespace = family_namespace(family)
    items: list[SearchItem] = []
    while len(items) < scan_limit:
        size = min(_PAGE, scan_limit - len(items))
        page = store.search(namespace, limit=size, offset=len(items))
        items.extend(page)
        if len(page) < size:
            break
    return _latest(items, limit)


async def _asearch(
    store: BaseStore, namespace: tuple[str, ...], size: int, offset: int
) -> list[SearchItem]:
    try:
        return await store.asearch(namespace, limit=size, offset=offset)
    except NotImplementedError:
        return store.search(namespace, limit=size, offset=offset)


async def arecent_lessons(
    store: BaseStore, family: str, *, limit: int = 3, scan_limit: int = 1000
) -> list[Lesson]:
    """``recent_lessons`` for async code (falls back to the sync API of sync-only stores)."""
    _check_limits(limit, scan_limit)
    if limit == 0:
        return []
    namespace = family_namespace(family)
    items: list[SearchItem] = []
    while len(items) < scan_limit:
        size = min(_PAGE, scan_limit - len(items))
        page = await _asearch(store, namespace, size, len(items))
        items.extend(page)
        if len(page) < size:
            break
    return _latest(items, limit)
