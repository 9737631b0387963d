"""Verdict parsing on realistic judge outputs: accuracy per format, and adversarial exactness.

Reads the corpus in ``tests/verdict_corpus.py`` (realistic judge outputs in many formats,
each with the verdict its judge gave, plus adversarial outputs with exact expectations) and
prints, per format, how many outputs ``parse_verdict`` reads as the judge's verdict. With
``--data`` pointing at a folder of JSONL files holding ``{"text", "kind", "expected"}``
records (for example held-out real judgments), those are scored the same way.

Run: ``python benchmarks/bench_verdict_parsing.py [--data DIR] [--show-misses]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sparring.agents import Verdict, parse_verdict  # noqa: E402
from tests.verdict_corpus import ADVERSARIAL, REALISTIC, Case  # noqa: E402


def _correct(case: Case, verdict: Verdict) -> bool:
    if case.expected is None:
        return verdict.status == "unscored" and (
            case.reason is None or verdict.reason == case.reason
        )
    value = verdict.value_or_none()
    if isinstance(case.expected, float) and isinstance(value, float):
        return abs(value - case.expected) < 1e-9
    return value == case.expected


def _run(case: Case) -> Verdict:
    return parse_verdict(case.text, case.kind, scale=case.scale)  # type: ignore[arg-type]


def _table(title: str, cases: list[Case], show: bool) -> tuple[int, int]:
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[tuple[Case, Verdict]] = []
    for case in cases:
        verdict = _run(case)
        ok = _correct(case, verdict)
        per[case.format][0] += ok
        per[case.format][1] += 1
        if not ok:
            misses.append((case, verdict))
    print(f"\n{title}")
    print(f"{'format':<36} {'right':>6} {'total':>6} {'accuracy':>9}")
    for fmt in sorted(per):
        right, total = per[fmt]
        print(f"{fmt:<36} {right:>6} {total:>6} {right / total:>9.1%}")
    right = sum(r for r, _ in per.values())
    total = sum(t for _, t in per.values())
    print(f"{'overall':<36} {right:>6} {total:>6} {right / max(total, 1):>9.1%}")
    if show:
        for case, verdict in misses:
            got = verdict.value_or_none() if verdict.is_scored else verdict.reason
            print(f"--- miss [{case.format}] expected {case.expected!r}, got {got!r}")
            print(case.text)
    return right, total


def _load(folder: Path) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                cases.append(Case(path.stem, row["kind"], row["text"], row["expected"]))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="folder of JSONL judgments to score too")
    parser.add_argument("--show-misses", action="store_true", help="print every miss")
    args = parser.parse_args()
    _table("realistic judge outputs (verdict read = verdict given)", REALISTIC, args.show_misses)
    _table("adversarial outputs (exact expectation met)", ADVERSARIAL, args.show_misses)
    if args.data is not None:
        _table(f"judgments from {args.data}", _load(args.data), args.show_misses)


if __name__ == "__main__":
    main()
