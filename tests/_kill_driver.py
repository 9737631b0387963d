"""Run (or resume) a run directory in a child process, for the SIGKILL tests."""

from __future__ import annotations

import asyncio
import sys

from sparring.graphs import REGISTRY, GraphSpec
from sparring.run import Run
from tests._toy_graph import SPEC_ARGS


def main(run_dir: str) -> None:
    REGISTRY.register(GraphSpec(*SPEC_ARGS), replace=True)
    run = Run.open(run_dir)
    print(asyncio.run(run.execute()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
