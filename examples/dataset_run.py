"""A resumable run over your own data file: create, ingest, execute, summarise, export.

    python examples/dataset_run.py                          # my_questions.jsonl, simulator
    python examples/dataset_run.py data.jsonl --out runs/mine --graph irpo \
        --actor hosted_vllm/Qwen2.5-7B-Instruct --api-base http://127.0.0.1:8000/v1

The data file holds one JSON object per line: a question (``--prompt-field``) and, for graphs
that verify, a gold answer (``--answer-field``; a GSM8K-style solution ending in ``#### N``
works). ``my_questions.jsonl`` beside this script is a small made-up sample.

On the offline simulator the answers are the ground truth: it has never seen these
questions, but it knows what is right from the answer field (never shown in a prompt), so its
roles answer right or wrong by their skills and the run's records look like a real model's.
Kill the run at any time and start it again with the same ``--out``: finished items are
kept, interrupted ones resume from their last checkpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from sparring import Roles
from sparring.models import Model
from sparring.run import Budget, FieldMap, Run

HERE = Path(__file__).resolve().parent


def _roles(args: argparse.Namespace) -> Roles:
    named = {r: getattr(args, r) for r in ("actor", "judge") if getattr(args, r)}
    bound = {r: Model(m, api_base=args.api_base, seed=args.seed) for r, m in named.items()}
    # Roles not named stay on the simulator: a seeded world, not a language model.
    return Roles.sim(seed=args.seed).bind(**bound)


async def run(args: argparse.Namespace, run_dir: Path) -> None:
    """Create (or reopen) the run, execute it, print its summary and export its records."""
    if (run_dir / "run.sqlite").exists():
        run = Run.open(run_dir)
        print(f"resuming {run_dir}")
    else:
        run = Run.create(
            run_dir,
            graph=args.graph,
            roles=_roles(args),
            options={"n_samples": args.samples},
            budget=Budget(max_calls=10_000),
        )
        fields = FieldMap(prompt=args.prompt_field, answer=args.answer_field, id="id")
        report = run.ingest(args.data, fields)
        print(f"read {report.read} items from {args.data}, {len(report.errors)} bad lines")
    print("status:", await run.execute(roles=_roles(args)))
    summary = run.summary()
    print(f"items: {summary.items}")
    print(f"health: {summary.exploration}")
    for fmt in ("trl-dpo", "sft"):
        try:
            done = run.export(fmt, run_dir / "export" / fmt)
            print(f"export {fmt}: {done.rows} rows in {done.path}")
        except Exception as err:  # e.g. self-consistency makes no pairs: nothing to export
            print(f"{fmt}: {err}")


def main() -> None:
    """Parse the flags and run (in a temporary folder unless ``--out`` is given)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=HERE / "my_questions.jsonl", type=Path)
    parser.add_argument("--out", type=Path, help="Run directory (default: a temporary one)")
    parser.add_argument("--graph", default="irpo", help="irpo, self-consistency, ...")
    parser.add_argument("--samples", type=int, default=8, help="Samples per question")
    parser.add_argument("--prompt-field", default="question")
    parser.add_argument("--answer-field", default="answer")
    parser.add_argument("--actor", help="LiteLLM model for the actor (default: simulator)")
    parser.add_argument("--judge", help="LiteLLM model for the judge (default: simulator)")
    parser.add_argument("--api-base", help="API base of an OpenAI-compatible server")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(__doc__.splitlines()[0])
    print("backend:", args.actor or "SIMULATOR (offline, not a language model)")
    if args.out is not None:
        asyncio.run(run(args, args.out))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp) / "run"))


if __name__ == "__main__":
    main()
