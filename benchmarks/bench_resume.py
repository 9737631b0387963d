"""Resume start-up and memory of a 100k-item run (the figures issue #5 asks for).

Steps, each in a fresh process so timings include imports and RSS is per phase:
  1. ingest: stream a 100k-line JSONL into a new run directory (peak RSS must stay flat);
  2. half done: mark 50k items done with records (as if the run had been killed half way);
  3. resume start-up: open the run, count statuses, fetch the first page, build the graph,
     i.e. everything ``sparring resume`` does before the first model call;
  4. run: execute 400 more items of ``self-rewarding`` on the simulator, sampling RSS at
     100 and at 400 items (flat memory: the two should be close).

Run: ``python benchmarks/bench_resume.py [--items 100000] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEP = r'''
import json, os, resource, sys, time, asyncio
t0 = time.perf_counter()
phase, run_dir, arg = sys.argv[1], sys.argv[2], sys.argv[3]
def rss_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {}
if phase == "ingest":
    from sparring import Roles
    from sparring.run import FieldMap, Run
    run = Run.create(run_dir, graph="self-rewarding", roles=Roles.sim(seed=0), concurrency=16,
                     options={"n_responses": 2, "n_judgments": 1})
    report = run.ingest(arg, FieldMap())
    out.update(items=report.read, seconds=time.perf_counter() - t0)
elif phase == "half":
    from sparring.run import Run
    run = Run.open(run_dir)
    n = int(arg)
    pair = {"prompt": "p", "chosen": "a" * 400, "rejected": "b" * 400, "meta": {"technique": "x",
            "kind": "response", "models": {}, "chosen_score": 4, "rejected_score": 2,
            "chosen_len": 400, "rejected_len": 400}}
    for i in range(n):
        run.store.mark_running(i)
        run.store.complete_item(i, {"records": {"pairs": [pair]}, "counters": {"judged/judge": 2},
                                    "output": {"best": i}, "unscored": False})
    out.update(done=n, seconds=time.perf_counter() - t0)
elif phase == "startup":
    from sparring.run import Run
    from sparring.run._config import roles_from_config
    from sparring.graphs import REGISTRY
    run = Run.open(run_dir)
    counts = run.store.counts()
    page = run.store.items(("pending", "running"), limit=256)
    factory = REGISTRY[run.config.graph].load()
    factory(roles_from_config(run.config), **run.config.options)
    out.update(counts=counts, first_page=len(page), seconds=time.perf_counter() - t0)
elif phase == "run":
    from sparring.run import Run
    run = Run.open(run_dir)
    samples = {}
    start = run.store.counts()["done"]
    def on_item(row, status):
        done = run.store.counts()["done"] - start
        for mark in (100, int(arg)):
            if done >= mark and mark not in samples:
                samples[mark] = rss_mb()
        if done >= int(arg):
            raise KeyboardInterrupt
    try:
        asyncio.run(run.execute(on_item=on_item))
    except KeyboardInterrupt:
        pass
    out.update(rss_at=samples, seconds=time.perf_counter() - t0)
out["peak_rss_mb"] = rss_mb()
print(json.dumps(out))
'''


def _step(*args: str) -> dict[str, object]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", STEP, *args], capture_output=True, text=True,
                          check=True)
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    return result


def _write_data(path: Path, n: int) -> None:
    from sparring.sim import SimWorld

    world = SimWorld(seed=0)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            task = world.problem(i % 5000)
            fh.write(json.dumps({"id": f"q{i}", "prompt": task.question,
                                 "answer": task.answer_text}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--run-items", type=int, default=400)
    parser.add_argument("--keep", type=Path, help="keep the run directory here")
    args = parser.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    work = Path(args.keep or tempfile.mkdtemp(prefix="sparring-bench-"))
    shutil.rmtree(work / "run", ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data.jsonl"
    _write_data(data, args.items)
    ingest = _step("ingest", str(work / "run"), str(data))
    half = _step("half", str(work / "run"), str(args.items // 2))
    startup = _step("startup", str(work / "run"), "-")
    ran = _step("run", str(work / "run"), str(args.run_items))
    print(f"ingest {args.items:,} items: {ingest['wall_s']:.1f} s wall, "
          f"peak RSS {ingest['peak_rss_mb']:.0f} MB")
    print(f"complete {args.items // 2:,} items (store only): {half['seconds']:.1f} s")
    print(f"resume start-up with {args.items:,} items (half done): {startup['wall_s']:.2f} s wall "
          f"(process start to graph built; {startup['seconds']:.2f} s after imports began), "
          f"peak RSS {startup['peak_rss_mb']:.0f} MB")
    rss = ran["rss_at"]
    assert isinstance(rss, dict)
    print(f"run {args.run_items} more items of self-rewarding on the simulator: "
          f"{ran['seconds']:.1f} s; RSS after 100 items {rss.get('100', 0):.0f} MB, "
          f"after {args.run_items} {rss.get(str(args.run_items), 0):.0f} MB")
    size = sum(p.stat().st_size for p in (work / "run").rglob("*")) / 1e6
    print(f"run directory size: {size:.0f} MB")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
