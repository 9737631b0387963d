"""The viewer on big runs: first screen time, memory, and the live dashboard's CPU cost.

Steps:
  1. run ``self-rewarding`` on 200 simulated tasks (real events, records and outputs);
  2. grow copies of it to ``--items`` items (100k by default) by copying its rows in SQL with
     new item ids, so the big store holds realistic rows without running 100k items;
  3. in fresh processes, time ``view RUN`` (overview) and ``view RUN --item '#N'`` to their
     first screen, with peak RSS, on the small and on the big run (ratios: flat is ~1);
  4. run the same 300 simulated items twice, with the live dashboard drawing (to a terminal
     console writing to /dev/null) and without any display, and compare CPU seconds.

Run: ``python benchmarks/bench_view.py [--items 100000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCREEN = r"""
import io, json, resource, sys, time
t0 = time.perf_counter()
from rich.console import Console
from sparring.run import Run
from sparring.view import RunQuery, render_item, render_overview
run_dir, what = sys.argv[1], sys.argv[2]
console = Console(file=io.StringIO(), width=120)
with RunQuery(run_dir) as query:
    if what == "overview":
        handle = Run.open(run_dir)
        console.print(render_overview(query, handle.summary()))
    else:
        console.print(render_item(query, query.find(what)))
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.perf_counter() - t0, "rss_mb": rss}))
"""


def _small_run(run_dir: Path, items: int) -> None:
    from sparring import Roles
    from sparring.run import Run

    run = Run.create(run_dir, graph="self-rewarding", roles=Roles.sim(seed=0), concurrency=16)
    run.add_sim_tasks(items)
    assert asyncio.run(run.execute()) == "finished"
    run.close()


def _grow(src: Path, dst: Path, items: int) -> None:
    """Copy ``src``'s rows until ``dst`` holds ``items`` items (new ids per copy)."""
    shutil.copytree(src, dst)
    db = sqlite3.connect(dst / "run.sqlite")
    base = db.execute("SELECT count(*) FROM items").fetchone()[0]
    copies = max(1, items // base)
    first = int(db.execute("SELECT max(seq) FROM events").fetchone()[0])  # the original's
    for k in range(1, copies):
        off, tag = k * base, f"-c{k}"
        db.execute(
            "INSERT INTO items SELECT idx + ?, item_id || ?, input, status, attempts, "
            "error, unscored FROM items WHERE idx < ?",
            (off, tag, base),
        )
        db.execute(
            "INSERT INTO records (kind, item, pos, data) SELECT kind, item + ?, pos, data "
            "FROM records WHERE item < ?",
            (off, base),
        )
        db.execute(
            "INSERT INTO outputs SELECT item + ?, data FROM outputs WHERE item < ?", (off, base)
        )
        db.execute(
            "INSERT INTO counters SELECT item + ?, name, value FROM counters WHERE item < ?",
            (off, base),
        )
        db.execute(
            "INSERT INTO events (kind, data) SELECT kind, json_set(data, '$.item_id', "
            "json_extract(data, '$.item_id') || ?) FROM events WHERE seq <= ?",
            (tag, first),
        )
    db.commit()
    db.close()


def _screen(run_dir: Path, what: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", SCREEN, str(run_dir), what],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def _cpu_of_run(run_dir: Path, items: int, live: bool) -> float:
    from rich.console import Console

    from sparring import Roles
    from sparring.run import Run
    from sparring.view import live_display

    run = Run.create(run_dir, graph="self-rewarding", roles=Roles.sim(seed=1), concurrency=16)
    run.add_sim_tasks(items)
    started = resource.getrusage(resource.RUSAGE_SELF)
    if live:
        with open(os.devnull, "w") as sink:  # a terminal that shows nothing
            console = Console(file=sink, force_terminal=True, width=120)
            with live_display(console, run.store.counts()) as display:
                asyncio.run(
                    run.execute(
                        sinks=(display,), on_item=lambda r, s: display.item_done(r["item_id"], s)
                    )
                )
    else:
        asyncio.run(run.execute())
    ended = resource.getrusage(resource.RUSAGE_SELF)
    run.close()
    return (ended.ru_utime + ended.ru_stime) - (started.ru_utime + started.ru_stime)


def main() -> None:
    """Print the viewer's figures as a table of ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "small", Path(tmp) / "big"
        t0 = time.perf_counter()
        _small_run(small, 200)
        _grow(small, big, args.items)
        print(f"setup: {time.perf_counter() - t0:.1f}s ({args.items} items)")
        last = f"#{args.items - 7}"
        rows = []
        for what, ref_big in (("overview", "overview"), ("#17", last)):
            a, b = _screen(small, what), _screen(big, ref_big)
            rows.append((what if what == "overview" else "--item", a, b))
        print(
            f"{'screen':10} {'200 items':>12} {f'{args.items} items':>14} {'ratio':>7} "
            f"{'RSS small':>10} {'RSS big':>9}"
        )
        for name, a, b in rows:
            ratio = b["seconds"] / a["seconds"]
            print(
                f"{name:10} {a['seconds']:>11.2f}s {b['seconds']:>13.2f}s {ratio:>7.2f} "
                f"{a['rss_mb']:>8.0f}MB {b['rss_mb']:>7.0f}MB"
            )
        _cpu_of_run(Path(tmp) / "warm", 100, live=False)  # imports and caches out of the way
        pairs = [
            (
                _cpu_of_run(Path(tmp) / f"plain{i}", 300, live=False),
                _cpu_of_run(Path(tmp) / f"live{i}", 300, live=True),
            )
            for i in range(3)
        ]  # interleaved, so drift on a shared machine hits both sides alike
        ratios = sorted(live / plain for plain, live in pairs)
        print(
            "live dashboard CPU, 300 items, 3 interleaved pairs: "
            + ", ".join(f"{live:.2f}s vs {plain:.2f}s" for plain, live in pairs)
            + f"; median ratio x{ratios[1]:.3f}"
        )


if __name__ == "__main__":
    main()
