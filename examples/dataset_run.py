"""A resumable data-set run from Python: create, ingest, execute, summarise, export.

    python examples/dataset_run.py data.jsonl runs/example

``data.jsonl`` holds one JSON object per line with a ``prompt`` (and ``answer`` for graphs that
verify). Kill it at any time and run it again: finished items are kept, interrupted ones resume
from their last checkpoint.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sparring import Roles
from sparring.run import Budget, FieldMap, Run


def main(data: str, run_dir: str) -> None:
    """Create (or reopen) the run, execute it, print its summary and export SFT records."""
    path = Path(run_dir)
    if (path / "run.sqlite").exists():
        run = Run.open(path)
    else:
        run = Run.create(path, graph="self-consistency", roles=Roles.sim(seed=0),
                         options={"n_samples": 8}, budget=Budget(max_calls=10_000))
        report = run.ingest(data, FieldMap(prompt="prompt", answer="answer"))
        print(f"read {report.read} items, {len(report.errors)} bad lines")
    print("status:", asyncio.run(run.execute()))
    summary = run.summary()
    print(summary.items, summary.exploration)
    print(run.export("sft", path / "export" / "sft"))


if __name__ == "__main__":
    main(*sys.argv[1:3])
