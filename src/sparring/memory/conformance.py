"""The conformance suite every ``RunStore`` backend must pass.

Each check is a plain function that takes an *opener*: a zero-argument callable that opens
(or, called again, reopens) one store at one fresh location. A check raises
``ConformanceError`` (an ``AssertionError``) on the first broken contract. A backend's whole
test module is::

    import pytest
    from sparring.memory.conformance import CHECKS, Check

    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
    def test_conformance(check: Check, tmp_path) -> None:
        check(lambda: MyRunStore(tmp_path / "run"))

Outside pytest, ``run_conformance(opener_for)`` runs every check and reports all failures.

The checks cover each contract in ``sparring.memory._store``, plus rules the runner relies on
that its docstrings do not spell out yet:

- ``done`` is left only through ``reset_items``: ``mark_running`` and ``fail_item`` leave a
  done item alone (otherwise a late retry could complete it twice);
- ``mark_running``, ``complete_item`` and ``fail_item`` on an unknown index raise ``KeyError``;
- a ``complete_item`` that raises leaves the item as it was;
- ``fail_item`` redacts its error; a reset clears error and unscored flag, keeps attempts;
- calls from several threads at once are safe, and a half-read iterator does not block writes
  nor yield a row twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from sparring._secrets import REDACTED, register_secret
from sparring.memory._store import (
    RECORD_KINDS,
    InputError,
    ItemResult,
    ItemStatus,
    RecordKind,
    RunStore,
)
from sparring.trace import (
    CallErrorInfo,
    ConcurrencyEvent,
    Event,
    ModelCallEvent,
    NodeEvent,
    RetryEvent,
)

__all__ = ["CHECKS", "Check", "ConformanceError", "Opener", "run_conformance", "snapshot"]

Opener = Callable[[], RunStore]
"""Opens the store under test; called again, reopens the same store."""
Check = Callable[[Opener], None]


class ConformanceError(AssertionError):
    """A backend broke a ``RunStore`` contract."""


# -- helpers ---------------------------------------------------------------------------------
def _expect(ok: bool, message: str) -> None:
    if not ok:
        raise ConformanceError(message)


def _short(value: Any, limit: int = 600) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def _equal(got: Any, want: Any, what: str) -> None:
    _expect(got == want, f"{what}: expected {_short(want)}, got {_short(got)}")


def _raises(exc: type[BaseException], fn: Callable[[], object], what: str) -> None:
    try:
        fn()
    except exc:
        return
    except Exception as other:
        raise ConformanceError(f"{what}: expected {exc.__name__}, got {other!r}") from other
    raise ConformanceError(f"{what}: expected {exc.__name__}, nothing was raised")


@contextmanager
def _opened(opener: Opener) -> Iterator[RunStore]:
    store = opener()
    try:
        yield store
    finally:
        store.close()


def _items(indexes: range | list[int]) -> list[tuple[int, str, dict[str, Any]]]:
    return [(i, f"id-{i}", {"prompt": f"question {i}", "answer": str(i)}) for i in indexes]


def _result(index: int, n: int = 2, *, unscored: bool = False) -> ItemResult:
    """A result whose records and counters are derived from the index, so they can be checked."""
    return ItemResult(
        records={
            "pairs": [{"item": index, "pos": p, "chosen": f"c{index}.{p}"} for p in range(n)],
            "sft": [{"item": index, "pos": 0, "text": f"s{index}"}],
        },
        counters={"items": 1, "weight": index, "unscored/judge": int(unscored)},
        output={"index": index, "scores": [index / 2, 1.5], "note": "ünïcode ✓"},
        unscored=unscored,
    )


def _records_by_item(store: RunStore, kind: RecordKind) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for record in store.records(kind):
        found.setdefault(record["item"], []).append(record["pos"])
    return found


def _expect_done_exactly(store: RunStore, done: set[int], n: int = 2) -> None:
    """Records, counters and outputs are exactly those of ``done`` (made by ``_result``)."""
    _equal(_records_by_item(store, "pairs"), {i: list(range(n)) for i in sorted(done)}, "pairs")
    _equal(_records_by_item(store, "sft"), {i: [0] for i in sorted(done)}, "sft records")
    _equal([i for i, _ in store.outputs()], sorted(done), "outputs")
    totals = store.counters()
    _equal(totals.get("items", 0), len(done), "counter 'items'")
    _equal(totals.get("weight", 0), sum(done), "counter 'weight'")


def _sample_events(tag: str = "") -> list[Event]:
    error = CallErrorInfo(kind="rate_limit", message=f"429 slow down{tag}", status_code=429)
    return [
        NodeEvent(run_id="r1", item_id="id-1", node="actor", phase="start"),
        ModelCallEvent(
            run_id="r1",
            item_id="id-1",
            node="actor",
            call_id=f"c1{tag}",
            role="actor",
            model="sim/actor",
            messages=[{"role": "user", "content": f"what is 2+2?{tag}"}],
            params={"temperature": 0.7, "seed": 3},
            n=2,
            outputs=["4", "four ✓"],
            finish_reasons=["stop", None],
            prompt_tokens=12,
            completion_tokens=3,
            cost_usd=0.000125,
            latency_s=0.25,
        ),
        RetryEvent(
            call_id="c2", role="judge", model="sim/judge", attempt=1, delay_s=0.5, error=error
        ),
        ConcurrencyEvent(model="sim/judge", limit=8, reason="rate_limit"),
        NodeEvent(
            run_id="r1", item_id="id-1", node="actor", phase="end", duration_s=1.0, detail=tag
        ),
    ]


def snapshot(store: RunStore) -> dict[str, Any]:
    """Everything a store exposes, as plain data (for comparing two stores or a reopen)."""
    return {
        "config": store.load_config(),
        "status": store.status(),
        "items": store.items(),
        "counts": store.counts(),
        "input_errors": store.input_errors(),
        "records": {kind: list(store.records(kind)) for kind in RECORD_KINDS},
        "counters": store.counters(),
        "outputs": list(store.outputs()),
        "events": [e.model_dump() for e in store.events()],
    }


# -- the run ---------------------------------------------------------------------------------
def check_new_store_is_empty(opener: Opener) -> None:
    """A new store has no config, status ``new`` and nothing else."""
    with _opened(opener) as store:
        _equal(store.load_config(), None, "config of a new store")
        _equal(store.status(), ("new", None), "status of a new store")
        _equal(store.counts(), {"pending": 0, "running": 0, "done": 0, "failed": 0}, "counts")
        _equal(store.items(), [], "items")
        _equal(store.item(0), None, "item(0)")
        _equal(store.input_errors(), [], "input errors")
        _equal(store.counters(), {}, "counters")
        _equal(list(store.outputs()), [], "outputs")
        _equal(list(store.events()), [], "events")
        for kind in RECORD_KINDS:
            _equal(list(store.records(kind)), [], f"{kind} records")


def check_config_and_status_round_trip(opener: Opener) -> None:
    """Config and status round-trip; a second save replaces; both survive a reopen."""
    config = {"graph": "meta-rewarding", "roles": {"actor": "sim/actor"}, "n": 4, "x": [1.5, None]}
    with _opened(opener) as store:
        store.save_config({"old": True})
        store.save_config(config)
        _equal(store.load_config(), config, "config")
        store.set_status("running")
        _equal(store.status(), ("running", None), "status")
        store.set_status("stopped: budget", "spent $5.00 of $5.00")
    with _opened(opener) as store:
        _equal(store.load_config(), config, "config after reopen")
        _equal(store.status(), ("stopped: budget", "spent $5.00 of $5.00"), "status after reopen")


# -- items -----------------------------------------------------------------------------------
def check_add_items_is_idempotent(opener: Opener) -> None:
    """New items are pending; existing indexes are left alone and not counted."""
    with _opened(opener) as store:
        _equal(store.add_items(iter(_items(range(5)))), 5, "new items from a generator")
        _equal(store.add_items(_items(range(5))), 0, "re-added items")
        changed = [(2, "other", {"prompt": "changed"}), *_items([7, 5])]
        _equal(store.add_items(changed), 2, "items added when some exist")
        _equal(store.add_items([]), 0, "empty add")
        row = store.item(2)
        _expect(row is not None, "item(2) is missing")
        _equal(row, _row(2), "an existing item after re-adding it with another input")
        _equal([r["index"] for r in store.items()], [0, 1, 2, 3, 4, 5, 7], "indexes")


def _row(index: int, status: ItemStatus = "pending", attempts: int = 0) -> dict[str, Any]:
    _, item_id, data = _items([index])[0]
    return {
        "index": index,
        "item_id": item_id,
        "input": data,
        "status": status,
        "attempts": attempts,
        "error": None,
        "unscored": False,
    }


def check_counts_every_status(opener: Opener) -> None:
    """``counts`` has every status, zero when none."""
    with _opened(opener) as store:
        store.add_items(_items(range(6)))
        store.mark_running(0)
        store.mark_running(1)
        store.complete_item(1, _result(1))
        store.fail_item(2, "boom")
        _equal(store.counts(), {"pending": 3, "running": 1, "done": 1, "failed": 1}, "counts")


def check_items_filter_and_pages(opener: Opener) -> None:
    """Status filters, index order and ``after``/``limit`` pages beyond any internal batch."""
    n = 2500
    with _opened(opener) as store:
        store.add_items(_items(range(n - 1, -1, -1)))
        for i in range(0, n, 7):
            store.fail_item(i, "bad")
        for i in range(0, n, 11):
            store.mark_running(i)
        want = [i for i in range(n) if i % 11 == 0 or i % 7 == 0]
        got = [r["index"] for r in store.items(["running", "failed"])]
        _equal(got, want, "running or failed items")
        _equal(store.items([]), [], "items with no status")
        _equal(len(store.items()), n, "all items")
        paged: list[int] = []
        after = -1
        while page := store.items(["failed", "running"], after=after, limit=333):
            _expect(len(page) <= 333, "a page is longer than its limit")
            paged.extend(r["index"] for r in page)
            after = page[-1]["index"]
        _equal(paged, want, "paged running or failed items")
        _equal(len(store.items(limit=0)), 0, "limit=0")
        _equal([r["index"] for r in store.items(after=n - 3)], [n - 2, n - 1], "after")
        pending = store.items(["pending"], after=10, limit=3)
        _equal([r["index"] for r in pending], [12, 13, 15], "pending after 10")


def check_mark_running_counts_attempts(opener: Opener) -> None:
    """``mark_running`` sets running and counts each attempt."""
    with _opened(opener) as store:
        store.add_items(_items(range(2)))
        store.mark_running(1)
        _equal(store.item(1), _row(1, "running", 1), "item after one start")
        store.fail_item(1, "timeout")
        store.mark_running(1)
        row = store.item(1)
        _expect(row is not None and row["attempts"] == 2, f"attempts after two starts: {row}")
        _equal(store.item(0), _row(0), "an untouched item")


def check_complete_item_stores_everything(opener: Opener) -> None:
    """``complete_item`` stores records, counters and output and marks the item done."""
    with _opened(opener) as store:
        store.add_items(_items(range(3)))
        store.mark_running(1)
        store.complete_item(1, _result(1, 3, unscored=True))
        row = store.item(1)
        _expect(row is not None, "completed item is missing")
        _equal(row, {**_row(1, "done", 1), "unscored": True}, "completed item")
        _equal(list(store.records("pairs")), _result(1, 3)["records"]["pairs"], "pairs")
        _equal(list(store.records("rl")), [], "rl records")
        _equal(store.counters(), {"items": 1, "weight": 1, "unscored/judge": 1}, "counters")
        _equal(list(store.outputs()), [(1, _result(1)["output"])], "outputs")
        store.complete_item(2, _result(2))  # straight from pending
        _equal(store.counts()["done"], 2, "done items")


def check_complete_item_is_idempotent(opener: Opener) -> None:
    """Completing a done item again changes nothing: no duplicate records or counters."""
    with _opened(opener) as store:
        store.add_items(_items(range(3)))
        store.complete_item(1, _result(1))
        before = snapshot(store)
        store.complete_item(1, _result(1))
        store.complete_item(1, _result(1, 5, unscored=True))
        _equal(snapshot(store), before, "store after completing a done item again")
        _expect_done_exactly(store, {1})


def check_complete_item_failure_leaves_nothing(opener: Opener) -> None:
    """A ``complete_item`` that raises (a record is not JSON) leaves the item as it was."""
    with _opened(opener) as store:
        store.add_items(_items(range(2)))
        store.mark_running(0)
        bad = _result(0, 3)
        bad["records"]["sft"].append({"not json": object()})
        before = snapshot(store)
        with contextlib.suppress(Exception):  # any error will do; its effects are checked
            store.complete_item(0, bad)
        _equal(snapshot(store), before, "store after a failed complete_item")
        store.complete_item(0, _result(0))
        _expect_done_exactly(store, {0})


def check_fail_item_leaves_no_records(opener: Opener) -> None:
    """A failed item keeps its error and attempts and has no records, counters or output."""
    with _opened(opener) as store:
        store.add_items(_items(range(2)))
        store.mark_running(0)
        store.fail_item(0, "ModelServerError: 500 after 3 attempts")
        row = store.item(0)
        _expect(row is not None, "failed item is missing")
        _equal(
            row,
            {**_row(0, "failed", 1), "error": "ModelServerError: 500 after 3 attempts"},
            "failed item",
        )
        _expect_done_exactly(store, set())
        secret = f"fail-secret-{uuid.uuid4().hex}"
        register_secret(secret)
        store.fail_item(1, f"auth failed with key {secret}")
        row = store.item(1)
        _expect(row is not None and secret not in str(row["error"]), "fail_item kept a secret")


def check_reset_done_removes_contribution(opener: Opener) -> None:
    """Resetting done items removes their records, counters and output; redoing adds once."""
    with _opened(opener) as store:
        store.add_items(_items(range(5)))
        for i in range(4):
            store.mark_running(i)
            store.complete_item(i, _result(i))
        store.fail_item(4, "bad")
        _equal(store.reset_items(["done"]), 4, "reset done items")
        _expect_done_exactly(store, set())
        _equal(store.counters().get("items", 0), 0, "counters after reset")
        _equal(store.item(2), _row(2, "pending", 1), "a reset item (attempts kept)")
        _equal(store.counts()["failed"], 1, "failed items untouched by a reset of done")
        for i in (3, 1):
            store.complete_item(i, _result(i))
        _expect_done_exactly(store, {1, 3})
        _equal(store.reset_items(["failed"]), 1, "reset failed items")
        row = store.item(4)
        _expect(row is not None and row["error"] is None, f"error kept after reset: {row}")
        _equal(store.reset_items([]), 0, "reset with no status")


def check_reset_unscored_only(opener: Opener) -> None:
    """``unscored_only`` resets only done items whose verdicts were all unscored."""
    with _opened(opener) as store:
        store.add_items(_items(range(6)))
        for i in range(5):
            store.complete_item(i, _result(i, unscored=i % 2 == 1))
        store.fail_item(5, "bad")
        _equal(store.reset_items(["done", "failed"], unscored_only=True), 2, "reset unscored")
        _equal([r["index"] for r in store.items(["pending"])], [1, 3], "pending after reset")
        _expect_done_exactly(store, {0, 2, 4})
        _equal(store.counters().get("unscored/judge", 0), 0, "unscored counter after reset")
        row = store.item(1)
        _expect(row is not None and not row["unscored"], f"unscored flag kept: {row}")
        _equal(store.counts()["failed"], 1, "a failed item is not unscored")


def check_done_is_left_only_by_reset(opener: Opener) -> None:
    """``mark_running`` and ``fail_item`` leave a done item (and its records) alone."""
    with _opened(opener) as store:
        store.add_items(_items(range(1)))
        store.complete_item(0, _result(0))
        before = snapshot(store)
        store.mark_running(0)
        _equal(snapshot(store), before, "a done item after mark_running")
        store.fail_item(0, "late failure")
        _equal(snapshot(store), before, "a done item after fail_item")


def check_unknown_index_raises(opener: Opener) -> None:
    """Writing to an index that was never added raises ``KeyError`` and writes nothing."""
    with _opened(opener) as store:
        store.add_items(_items(range(1)))
        _raises(KeyError, lambda: store.mark_running(9), "mark_running(unknown)")
        _raises(KeyError, lambda: store.complete_item(9, _result(9)), "complete_item(unknown)")
        _raises(KeyError, lambda: store.fail_item(9, "x"), "fail_item(unknown)")
        _expect_done_exactly(store, set())
        _equal(len(store.items()), 1, "items after writes to an unknown index")


# -- what items produced ---------------------------------------------------------------------
def check_records_by_item_then_position(opener: Opener) -> None:
    """Records come by item index then graph order, whatever order items finished in."""
    with _opened(opener) as store:
        store.add_items(_items(range(10)))
        big = _result(3, 1205)
        for i in (9, 3, 0, 5):
            store.complete_item(i, big if i == 3 else _result(i))
        pairs = [(r["item"], r["pos"]) for r in store.records("pairs")]
        want = [(0, 0), (0, 1), *[(3, p) for p in range(1205)], (5, 0), (5, 1), (9, 0), (9, 1)]
        _equal(pairs, want, "pairs order")
        _equal([r["item"] for r in store.records("sft")], [0, 3, 5, 9], "sft order")
        _equal(list(store.records("prm")), [], "prm records")


def check_counters_sum_done_items_only(opener: Opener) -> None:
    """Counters are totals over done items; running, failed and pending add nothing."""
    with _opened(opener) as store:
        store.add_items(_items(range(6)))
        for i in (1, 2, 4):
            store.complete_item(i, _result(i, unscored=i == 4))
        store.mark_running(3)
        store.fail_item(5, "bad")
        _equal(store.counters(), {"items": 3, "weight": 7, "unscored/judge": 1}, "counters")


def check_outputs_by_index(opener: Opener) -> None:
    """``outputs`` yields ``(index, output)`` of done items only, by index."""
    with _opened(opener) as store:
        n = 1500
        store.add_items(_items(range(n)))
        done = [i for i in range(n - 1, -1, -1) if i % 3 != 0]
        for i in done:
            store.complete_item(i, _result(i, 0))
        store.fail_item(0, "bad")
        got = list(store.outputs())
        _equal([i for i, _ in got], sorted(done), "output indexes")
        _equal(got[0][1], _result(1)["output"], "first output")


def check_input_errors_dedup_and_order(opener: Opener) -> None:
    """Input errors are kept once per file and line, listed by file then line."""
    errors = [
        InputError(file="b.jsonl", line=10, field="prompt", message="missing"),
        InputError(file="b.jsonl", line=2, field=None, message="not JSON"),
        InputError(file="a.jsonl", line=7, field="answer", message="not a string"),
    ]
    with _opened(opener) as store:
        store.add_input_errors(errors)
        store.add_input_errors([{**errors[0], "message": "again"}])
        store.add_input_errors([])
        _equal(store.input_errors(), [errors[2], errors[1], errors[0]], "input errors")


# -- events ----------------------------------------------------------------------------------
def check_events_round_trip_in_order(opener: Opener) -> None:
    """Events come back as the same typed events, in the order added, filterable by kind."""
    with _opened(opener) as store:
        events: list[Event] = []
        for batch in range(500):
            chunk = _sample_events(f"#{batch}")
            store.add_events(chunk)
            events.extend(chunk)
        store.add_events([])
        got = list(store.events())
        _equal(len(got), len(events), "number of events")
        _expect(got == events, "events differ from those added (type, value or order)")
        for kind in ("model_call", "model_retry", "concurrency", "node"):
            want = [e for e in events if e.kind == kind]
            _expect(list(store.events(kind)) == want, f"events of kind {kind!r} differ")
        _equal(list(store.events("no-such-kind")), [], "events of an unknown kind")


def check_events_are_redacted(opener: Opener) -> None:
    """No registered secret and no credential-like env var value is stored in an event."""
    registered = f"reg-secret-{uuid.uuid4().hex}"
    env_name, env_value = "SPARRING_CONFORMANCE_API_KEY", f"env-secret-{uuid.uuid4().hex}"
    register_secret(registered)
    saved = os.environ.get(env_name)
    os.environ[env_name] = env_value
    try:
        event = ModelCallEvent(
            call_id="c1",
            role="judge",
            model="sim/judge",
            messages=[{"role": "user", "content": f"key={registered} and {env_value}"}],
            params={"api_key": env_value},
            n=1,
            outputs=[f"the key is {registered}"],
            error=CallErrorInfo(kind="auth", message=f"401 bad key {env_value}"),
        )
        with _opened(opener) as store:
            store.add_events([event])
            stored = [e.model_dump_json() for e in store.events()]
    finally:
        if saved is None:
            os.environ.pop(env_name, None)
        else:
            os.environ[env_name] = saved
    _equal(len(stored), 1, "stored events")
    text = stored[0]
    _expect(registered not in text, "a registered secret was stored in an event")
    _expect(env_value not in text, "an env-var secret was stored in an event")
    _expect(REDACTED in text, "the redaction marker is missing")
    _expect(json.loads(text)["model"] == "sim/judge", "redaction damaged the event")


# -- the store as a whole --------------------------------------------------------------------
def _fill(store: RunStore) -> None:
    store.save_config({"graph": "self-rewarding", "seed": 7})
    store.set_status("stopped", "interrupted")
    store.add_items(_items(range(8)))
    store.add_input_errors([InputError(file="d.jsonl", line=3, field=None, message="bad")])
    for i in (0, 2, 5):
        store.mark_running(i)
        store.complete_item(i, _result(i, unscored=i == 5))
    store.mark_running(6)
    store.fail_item(7, "bad")
    store.add_events(_sample_events())


def check_reopen_keeps_everything(opener: Opener) -> None:
    """Closing and reopening a store keeps everything it showed."""
    with _opened(opener) as store:
        _fill(store)
        before = snapshot(store)
    with _opened(opener) as store:
        _equal(snapshot(store), before, "store after reopening")
        store.complete_item(6, _result(6))
        _expect_done_exactly(store, {0, 2, 5, 6})


def check_close_is_idempotent(opener: Opener) -> None:
    """``close`` can be called twice."""
    store = opener()
    store.add_items(_items(range(1)))
    store.close()
    store.close()


def check_suspended_iterators_allow_writes(opener: Opener) -> None:
    """A half-read iterator does not block writes (the runner exports while it runs)."""
    n = 1100  # done before the iterators start; more than one page of most backends
    with _opened(opener) as store:
        store.add_items(_items(range(2 * n)))
        for i in range(n):
            store.complete_item(i, _result(i, 1))
        outputs = store.outputs()
        records = store.records("pairs")
        _equal((next(outputs)[0], next(records)["item"]), (0, 0), "first rows")
        for i in range(n, 2 * n):
            store.complete_item(i, _result(i, 1))
        store.add_events(_sample_events())
        for name, rest in (
            ("outputs", [i for i, _ in outputs]),
            ("pairs", [r["item"] for r in records]),
        ):
            _equal(rest[: n - 1], list(range(1, n)), f"{name} after the writes")
            _expect(rest == sorted(set(rest)), f"{name}: a row came twice or out of order")
            _expect(rest[-1] < 2 * n, f"{name}: a row that was never written")


def check_usable_from_threads(opener: Opener) -> None:
    """Calls from several threads at once (``asyncio.to_thread``) neither fail nor mix."""
    with _opened(opener) as store:
        store.add_items(_items(range(200)))

        def finish(i: int) -> None:
            store.mark_running(i)
            store.complete_item(i, _result(i))
            store.add_events(_sample_events(str(i)))

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(finish, range(200)))
        _expect_done_exactly(store, set(range(200)))
        _equal(sum(1 for _ in store.events()), 200 * len(_sample_events()), "events")


CHECKS: tuple[Check, ...] = (
    check_new_store_is_empty,
    check_config_and_status_round_trip,
    check_add_items_is_idempotent,
    check_counts_every_status,
    check_items_filter_and_pages,
    check_mark_running_counts_attempts,
    check_complete_item_stores_everything,
    check_complete_item_is_idempotent,
    check_complete_item_failure_leaves_nothing,
    check_fail_item_leaves_no_records,
    check_reset_done_removes_contribution,
    check_reset_unscored_only,
    check_done_is_left_only_by_reset,
    check_unknown_index_raises,
    check_records_by_item_then_position,
    check_counters_sum_done_items_only,
    check_outputs_by_index,
    check_input_errors_dedup_and_order,
    check_events_round_trip_in_order,
    check_events_are_redacted,
    check_reopen_keeps_everything,
    check_close_is_idempotent,
    check_suspended_iterators_allow_writes,
    check_usable_from_threads,
)
"""Every check, in a stable order."""


def run_conformance(opener_for: Callable[[str], Opener]) -> None:
    """Run every check, each on a fresh store, and report all failures together.

    Args:
        opener_for: Given a check's name, returns the opener of a fresh store for it.

    Raises:
        ConformanceError: One or more checks failed; the message lists each.
    """
    failures: list[str] = []
    for check in CHECKS:
        try:
            check(opener_for(check.__name__))
        except Exception as exc:
            failures.append(f"{check.__name__}: {type(exc).__name__}: {exc}")
    if failures:
        raise ConformanceError(
            f"{len(failures)} of {len(CHECKS)} checks failed:\n" + "\n".join(failures)
        )
