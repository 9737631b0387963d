"""sparring.verify against real public data sets (read from ../shared/data, never copied).

The folder is found by the ``data_dir`` fixture (conftest.py): ``$SPARRING_DATA_DIR`` or
``<repo>/../shared/data``; without it these tests skip with the reason. Each test collects every
record that fails and compares the set with an explicit, justified list of known exceptions, so
a new failure (or a known one that starts passing) fails the test.
"""

from __future__ import annotations

import functools
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from sparring.verify import extract_answer, is_equiv, normalize_number

pytestmark = pytest.mark.data

# (file, 0-based row) -> reason. Every reference solution currently matches, so these are empty;
# an entry needs a comment saying why the record cannot match.
GSM8K_KNOWN_EXCEPTIONS: dict[tuple[str, int], str] = {}
# unique_id -> reason.
MATH500_KNOWN_EXCEPTIONS: dict[str, str] = {}
# Measured: with the "#### N" line removed, the last number of the solution is the answer in
# 1282 / 1319 test and 7266 / 7473 train solutions (97.2 %); the rest end on another quantity.
GSM8K_FALLBACK_FLOOR = 0.97


@functools.cache
def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _dataset(data_dir: Path, relative: str) -> list[dict[str, Any]]:
    path = data_dir / relative
    if not path.is_file():
        pytest.skip(f"{relative} not found under {data_dir}")
    return _read_jsonl(path)


def _gsm8k_gold(solution: str) -> str:
    return solution.rsplit("####", 1)[1].strip()


def _failures_report(failures: dict[Any, tuple[str | None, str]], known: dict[Any, str]) -> str:
    new = {key: value for key, value in failures.items() if key not in known}
    fixed = [key for key in known if key not in failures]
    return f"new failures (extracted, gold): {list(new.items())[:20]}; now passing: {fixed}"


@pytest.mark.parametrize("split", ["test", "train"])
def test_gsm8k_reference_solutions(data_dir: Path, split: str) -> None:
    rows = _dataset(data_dir, f"gsm8k/{split}.jsonl")
    failures: dict[tuple[str, int], tuple[str | None, str]] = {}
    for index, row in enumerate(rows):
        gold = _gsm8k_gold(row["answer"])
        extracted = extract_answer(row["answer"])
        if not is_equiv(extracted, gold):
            failures[(split, index)] = (extracted, gold)
    known = {key: why for key, why in GSM8K_KNOWN_EXCEPTIONS.items() if key[0] == split}
    assert failures.keys() == known.keys(), _failures_report(failures, known)
    assert len(rows) == {"test": 1319, "train": 7473}[split]


@pytest.mark.parametrize("split", ["test", "train"])
def test_gsm8k_last_number_fallback(data_dir: Path, split: str) -> None:
    rows = _dataset(data_dir, f"gsm8k/{split}.jsonl")
    hits, stated = 0, 0
    for row in rows:
        body, gold = row["answer"].rsplit("####", 1)
        hits += is_equiv(extract_answer(body, last_number_fallback=True), gold.strip())
        # A few solutions also say "The answer is 8." in prose: that must be the gold.
        without_fallback = extract_answer(body, last_number_fallback=False)
        if without_fallback is not None:
            stated += 1
            assert is_equiv(without_fallback, gold.strip()), (without_fallback, gold)
    assert hits / len(rows) >= GSM8K_FALLBACK_FLOOR, f"{hits} / {len(rows)}"
    assert stated < 0.01 * len(rows)


GOLD_FORMS = {
    "answer-is": "{body}\nSo the answer is ${gold}$.",
    "boxed": "{body}\nThe final answer is $\\boxed{{{gold}}}$. I hope it is correct.",
    "answer-section": "{body}\n\n# Answer\n\n{gold}",
    "answer-line": "{body}\n**Answer:** {gold}",
}


@pytest.mark.parametrize("form", list(GOLD_FORMS))
def test_gsm8k_gold_restated_in_other_forms(data_dir: Path, form: str) -> None:
    rows = _dataset(data_dir, "gsm8k/test.jsonl")
    failures = []
    for index, row in enumerate(rows):
        body, gold = row["answer"].rsplit("####", 1)
        text = GOLD_FORMS[form].format(body=body.strip(), gold=gold.strip())
        extracted = extract_answer(text, last_number_fallback=False)
        if not is_equiv(extracted, gold.strip()):
            failures.append((index, extracted, gold.strip()))
    assert not failures, failures[:20]


def test_math500_reference_solutions(data_dir: Path) -> None:
    rows = _dataset(data_dir, "math500/test.jsonl")
    failures: dict[str, tuple[str | None, str]] = {}
    for row in rows:
        extracted = extract_answer(row["solution"])
        if not is_equiv(extracted, row["answer"]):
            failures[row["unique_id"]] = (extracted, row["answer"])
    assert failures.keys() == MATH500_KNOWN_EXCEPTIONS.keys(), _failures_report(
        failures, MATH500_KNOWN_EXCEPTIONS
    )
    assert len(rows) == 500


def test_math500_other_problems_answers_are_not_equivalent(data_dir: Path) -> None:
    # Pairs each answer with another problem's answer: the symbolic path must not call them
    # equal unless they are literally the same answer.
    answers = [row["answer"] for row in _dataset(data_dir, "math500/test.jsonl")]
    order = list(range(len(answers)))
    random.Random(0).shuffle(order)
    wrong = [
        (answers[i], answers[j])
        for i, j in zip(range(len(answers)), order, strict=True)
        if i != j and is_equiv(answers[i], answers[j]) != (answers[i] == answers[j])
    ]
    assert not wrong


def test_math500_numeric_answers_in_other_notations(data_dir: Path) -> None:
    checked = 0
    for row in _dataset(data_dir, "math500/test.jsonl"):
        canonical = normalize_number(row["answer"])
        if canonical is None or canonical.endswith("%"):
            continue
        numerator, _, denominator = canonical.partition("/")
        checked += 1
        as_division = f"{numerator}/{denominator or 1}"
        assert is_equiv(as_division, row["answer"]), row["answer"]
        off_by_one = f"{int(numerator) + int(denominator or 1)}/{denominator or 1}"
        assert not is_equiv(off_by_one, row["answer"]), row["answer"]
    assert checked > 200


def _prm800k_records(data_dir: Path) -> list[dict[str, Any]]:
    folder = data_dir / "prm800k_samples"
    if not folder.is_dir():
        pytest.skip(f"prm800k_samples not found under {data_dir}")
    records = []
    decoder = json.JSONDecoder()
    for path in sorted(folder.glob("*.json")):
        text, position = path.read_text(encoding="utf-8"), 0
        while text[position:].strip():  # one file holds several concatenated objects
            position += len(text[position:]) - len(text[position:].lstrip())
            record, position = decoder.raw_decode(text, position)
            records.append(record)
    return records


def test_prm800k_answer_sections(data_dir: Path) -> None:
    checked = 0
    for record in _prm800k_records(data_dir):
        truth = record["question"]["ground_truth_answer"]
        for step in record["label"]["steps"]:
            for completion in step["completions"] or []:
                if "# Answer" in completion["text"] and completion["rating"] == 1:
                    checked += 1
                    assert is_equiv(extract_answer(completion["text"]), truth)
        steps = record["question"].get("pre_generated_steps")
        if steps:
            extracted = extract_answer("\n".join(steps), last_number_fallback=False)
            assert is_equiv(extracted, record["question"]["pre_generated_answer"])
            # The pre-generated solution is the wrong one the labeler flagged.
            assert not is_equiv(extracted, truth)
    assert checked >= 4


BBM_TASKS = [
    "word_sorting",
    "tracking_shuffled_objects",
    "logical_deduction",
    "multistep_arithmetic",
    "dyck_languages",
]


@pytest.mark.parametrize("task", BBM_TASKS)
def test_big_bench_mistake_answer_is(data_dir: Path, task: str) -> None:
    # "answer" was cut by the authors with (?<=[Tt]he answer is).*$ ; traces that give no answer
    # (empty, ".", or missing: 59 Dyck traces, 1 logical deduction) must extract nothing.
    failures = []
    for index, row in enumerate(_dataset(data_dir, f"big_bench_mistake/{task}.jsonl")):
        extracted = extract_answer("\n".join(row["steps"]), last_number_fallback=False)
        answer = (row["answer"] or "").strip()
        ok = (
            extracted is None
            if not re.search(r"\w|[()\[\]{}<>]", answer)
            else is_equiv(extracted, answer)
        )
        if not ok:
            failures.append((index, extracted, answer))
    assert not failures, failures[:20]


def test_big_bench_mistake_arithmetic_against_target(data_dir: Path) -> None:
    rows = _dataset(data_dir, "big_bench_mistake/multistep_arithmetic.jsonl")
    disagreements = [
        (row["answer"], row["target"])
        for row in rows
        if is_equiv(row["answer"], row["target"]) != (row["answer"].strip() == row["target"])
    ]
    assert not disagreements
    assert sum(row["answer"].strip() == row["target"] for row in rows) == 45
