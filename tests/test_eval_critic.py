"""Critic evaluation harness: loading and errors, exact metrics, the simulator's hidden labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sparring import Roles
from sparring.cli import cli
from sparring.critic_eval import (
    SIMULATOR_NOTE,
    TraceFormatError,
    evaluate_critic,
    format_solution,
    load_traces,
)
from sparring.errors import ConfigError
from sparring.models import BackendRequest, BackendResult, Completion, Gateway, Model, RetryPolicy

FAST = RetryPolicy(max_attempts=2, initial_delay_s=0.001, jitter=0.0)
ROWS = [
    {"input": "Sort: b a", "steps": ["a comes first", "then b", "So the answer is a b"],
     "mistake_index": 1},
    {"input": "Sort: d c", "steps": ["d comes first", "then c", "So the answer is d c"],
     "mistake_index": 0},
    {"input": "Sort: f e", "steps": ["e comes first", "then f", "So the answer is e f"],
     "mistake_index": None},
]  # fmt: skip


def write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


class SecondStepWrong:
    """A critic that marks step 2 of every trace wrong; records what it was sent."""

    def __init__(self) -> None:
        self.seen: list[BackendRequest] = []

    async def generate(self, request: BackendRequest) -> BackendResult:
        self.seen.append(request)
        marks = ["Correct", "Wrong", "Correct"]
        text = "".join(
            f"Step sentence: s{i}\nCorrectness of the step: {m}\nExplanation: x\n\n"
            for i, m in enumerate(marks)
        )
        return BackendResult([Completion(text=text + "Correctness of the final answer: Wrong")])


def test_loads_a_file_or_a_folder_with_a_limit_per_file(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl", ROWS)
    write(tmp_path / "b.jsonl", ROWS[:2])
    traces = load_traces(tmp_path, limit=2)
    assert [(t.task, t.line, t.first_wrong) for t in traces] == [
        ("a", 1, 1), ("a", 2, 0), ("b", 1, 1), ("b", 2, 0)
    ]  # fmt: skip
    assert len(load_traces(tmp_path / "a.jsonl")) == 3
    assert format_solution(["x  y", "z"]) == "Step 1: x y\nStep 2: z"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", r":2: not valid JSON"),
        ('{"steps": ["a"], "mistake_index": null}', r":2: field 'input': missing"),
        ('{"input": "q", "mistake_index": 0}', r":2: field 'steps': missing"),
        ('{"input": "q", "steps": "a", "mistake_index": 0}', r":2: field 'steps': must be"),
        ('{"input": "q", "steps": ["a"], "mistake_index": 3}', r":2: field 'mistake_index': 3 is"),
        ('{"input": "q", "steps": ["a"], "mistake_index": "1"}', r"'mistake_index': must be"),
        ('{"input": "q", "steps": ["a"]}', r":2: field 'mistake_index': missing"),
        ("[1, 2]", r":2: a record must be a JSON object"),
    ],
)
def test_malformed_records_name_file_line_and_field(
    tmp_path: Path, line: str, expected: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(TraceFormatError, match=expected) as caught:
        load_traces(path)
    assert str(path) in str(caught.value) and caught.value.line == 2


def test_missing_paths_and_empty_folders_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no \.jsonl files"):
        load_traces(tmp_path)
    with pytest.raises(ConfigError, match="no such file"):
        load_traces(tmp_path / "nope.jsonl")


def test_processbench_style_labels_are_read_too(tmp_path: Path) -> None:
    rows = [{"problem": "q", "steps": ["a", "b"], "label": -1},
            {"problem": "q", "steps": ["a", "b"], "label": 1}]  # fmt: skip
    traces = load_traces(write(tmp_path / "pb.jsonl", rows))
    assert [t.first_wrong for t in traces] == [None, 1]


async def test_metrics_are_exact_and_a_real_critic_never_sees_the_label(tmp_path: Path) -> None:
    backend = SecondStepWrong()
    gateway = Gateway(retry=FAST, backend_factory=lambda _m: backend, seed=0)
    roles = Roles(critic=Model("test/critic"), gateway=gateway)
    traces = load_traces(write(tmp_path / "sorting.jsonl", ROWS))
    report = await evaluate_critic(roles, traces)
    m = report.tasks["sorting"]
    # it flags step index 1 everywhere: right on the first trace only
    assert (m.erroneous, m.correct, m.error_hits, m.correct_hits) == (2, 1, 1, 0)
    assert m.error_accuracy == 0.5 and m.correct_accuracy == 0.0 and m.f1 == 0.0
    assert m.first_error_accuracy == pytest.approx(1 / 3) and m.unscored == 0
    assert report.macro_f1 == 0.0 and not report.simulated and report.note is None
    for request in backend.seen:
        prompt = "\n".join(msg["content"] for msg in request.messages)
        assert "first_wrong_step" not in prompt and "mistake_index" not in prompt
        assert "sim_gold" not in request.params
        assert "Step 2: then b" in prompt or "Step 2: then c" in prompt or "then f" in prompt


async def test_the_simulated_critic_follows_its_knobs_on_hidden_labels(tmp_path: Path) -> None:
    traces = load_traces(write(tmp_path / "sorting.jsonl", ROWS * 10))
    perfect = {"recall": 1.0, "false_positive_rate": 0.0, "malformed_rate": 0.0}
    report = await evaluate_critic(Roles.sim(seed=1, profile={"critic": perfect}), traces)
    assert report.simulated and report.note == SIMULATOR_NOTE
    assert report.overall.f1 == 1.0 and report.overall.first_error_accuracy == 1.0
    blind = {"recall": 0.0, "false_positive_rate": 0.0, "malformed_rate": 0.0}
    report = await evaluate_critic(Roles.sim(seed=1, profile={"critic": blind}), traces)
    assert report.overall.error_accuracy == 0.0 and report.overall.correct_accuracy == 1.0
    broken = {"malformed_rate": 1.0}
    report = await evaluate_critic(Roles.sim(seed=1, profile={"critic": broken}), traces)
    assert report.overall.unscored == 30 and report.overall.f1 is None


def cli_run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["eval-critic", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.output


@pytest.mark.data
def test_cli_on_big_bench_mistake_prints_the_metrics(data_dir: Path) -> None:
    folder = data_dir / "big_bench_mistake"
    code, stdout, out = cli_run("--data", str(folder), "--limit", "8")
    assert code == 0 and "SIMULATOR" in out
    for task in ("dyck_languages", "logical_deduction", "multistep_arithmetic",
                 "tracking_shuffled_objects", "word_sorting"):  # fmt: skip
        assert task[:12] in stdout
    assert "F1" in stdout and "macro F1" in stdout and "SIMULATED critic" in stdout
    code, stdout, _ = cli_run("--data", str(folder), "--limit", "8", "--json")
    data = json.loads(stdout)
    assert code == 0 and data["simulated"] is True and data["overall"]["traces"] == 40
    assert set(data["tasks"]) == {p.stem for p in folder.glob("*.jsonl")}
    assert 0.0 <= data["overall"]["first_error_accuracy"] <= 1.0


def test_cli_reports_a_malformed_record_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[0]) + '\n{"input": "q", "steps": []}\n', encoding="utf-8")
    code, _, out = cli_run("--data", str(path))
    assert code == 1 and f"{path}:2: field 'steps'" in out
