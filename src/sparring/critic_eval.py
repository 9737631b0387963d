"""Evaluate a step critic on reasoning traces whose first wrong step is labelled.

ProcessBench-style metrics (Zheng et al., 2024), per task file and overall:

- **erroneous accuracy**: on traces with a mistake, the share where the first step the critic
  marks Wrong is exactly the labelled first wrong step;
- **correct accuracy**: on traces with no mistake, the share where the critic marks no step
  Wrong;
- **F1**: their harmonic mean (ProcessBench's headline number per subset; ``macro_f1`` averages
  it over task files as ProcessBench averages over subsets);
- **first-error accuracy**: the share of all traces where the critic's first Wrong step (or
  "none") equals the label.

Critiques that cannot be read are unscored: never counted as right or wrong, reported as a
rate. Data: JSON lines with ``input`` (or ``question``/``problem``), ``steps`` (a list of
strings) and ``mistake_index`` (0-based, null when the trace has no mistake; ProcessBench's
``label`` with -1 for none also works), e.g. BIG-Bench Mistake (Tyen et al., 2023).

On the simulator the critic cannot check steps it did not write (the traces are not from its
world). The harness then passes each trace's labelled first wrong step to the simulated critic
as hidden metadata (``sim_gold``, never in the prompt), and the simulated critic flags that
step with its ``recall`` and other steps with its ``false_positive_rate``: the figures then
measure the simulator's knobs, and the report says so. A real critic model gets exactly the
same prompt and no label.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparring.agents import Critic, StepCritique
from sparring.errors import ConfigError
from sparring.models import Model, Roles

__all__ = [
    "SIMULATOR_NOTE",
    "CriticReport",
    "LabelledTrace",
    "TaskMetrics",
    "TraceFormatError",
    "TraceResult",
    "evaluate_critic",
    "format_solution",
    "load_traces",
]

SIMULATOR_NOTE = (
    "SIMULATED critic: it cannot check these traces, so it was given each trace's labelled "
    "first wrong step as hidden metadata (never in the prompt) and flags that step with its "
    "recall knob and other steps with its false-positive knob. These figures describe the "
    "simulator's settings, not a model's skill."
)
_QUESTION_KEYS = ("input", "question", "problem")


class TraceFormatError(ConfigError):
    """A data record is malformed; the message names the file, the line and the field."""

    def __init__(self, path: Path, line: int, field_name: str | None, problem: str) -> None:
        self.path, self.line, self.field = path, line, field_name
        where = f"{path}:{line}"
        what = f"field {field_name!r}: " if field_name else ""
        super().__init__(f"{where}: {what}{problem}")


@dataclass(frozen=True, slots=True)
class LabelledTrace:
    """A reasoning trace with its labelled first wrong step.

    Attributes:
        task: The task (the file's stem).
        question: The problem the trace answers.
        steps: The trace's steps.
        first_wrong: 0-based index of the first wrong step; None when every step is right.
        path: The file it came from.
        line: Its line in that file (1-based).
    """

    task: str
    question: str
    steps: tuple[str, ...]
    first_wrong: int | None
    path: Path
    line: int


def _question(row: dict[str, Any], path: Path, line: int) -> str:
    for key in _QUESTION_KEYS:
        if key in row:
            if not isinstance(row[key], str) or not row[key].strip():
                raise TraceFormatError(path, line, key, "must be a non-empty string")
            return str(row[key])
    raise TraceFormatError(path, line, "input", f"missing (expected one of {_QUESTION_KEYS})")


def _steps(row: dict[str, Any], path: Path, line: int) -> tuple[str, ...]:
    steps = row.get("steps")
    if steps is None:
        raise TraceFormatError(path, line, "steps", "missing")
    if not isinstance(steps, list) or not steps:
        raise TraceFormatError(path, line, "steps", "must be a non-empty list of strings")
    for i, step in enumerate(steps):
        if not isinstance(step, str):
            raise TraceFormatError(path, line, "steps", f"item {i} is not a string")
    return tuple(steps)


def _label(row: dict[str, Any], path: Path, line: int, n_steps: int) -> int | None:
    if "mistake_index" in row:
        name, value = "mistake_index", row["mistake_index"]
    elif "label" in row:
        name, value = "label", row["label"]
    else:
        raise TraceFormatError(path, line, "mistake_index", "missing (null when no mistake)")
    if value is None or (name == "label" and value == -1):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TraceFormatError(path, line, name, f"must be a step index or null, got {value!r}")
    if not 0 <= value < n_steps:
        raise TraceFormatError(path, line, name, f"{value} is outside the {n_steps} steps")
    return value


def _parse_line(text: str, path: Path, line: int) -> LabelledTrace:
    try:
        row = json.loads(text)
    except json.JSONDecodeError as err:
        raise TraceFormatError(path, line, None, f"not valid JSON ({err.msg})") from None
    if not isinstance(row, dict):
        raise TraceFormatError(path, line, None, "a record must be a JSON object")
    question = _question(row, path, line)
    steps = _steps(row, path, line)
    return LabelledTrace(
        path.stem, question, steps, _label(row, path, line, len(steps)), path, line
    )


def _read_file(path: Path, limit: int | None) -> list[LabelledTrace]:
    out: list[LabelledTrace] = []
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if limit is not None and len(out) >= limit:
                break
            if text.strip():
                out.append(_parse_line(text, path, number))
    return out


def load_traces(path: str | Path, *, limit: int | None = None) -> list[LabelledTrace]:
    """Read labelled traces from a ``.jsonl`` file or every ``*.jsonl`` file in a folder.

    Args:
        path: A file, or a folder of files (one task per file, sorted by name).
        limit: Read at most this many traces per file.

    Raises:
        ConfigError: The path does not exist or holds no ``.jsonl`` file.
        TraceFormatError: A record is malformed (file, line and field are named).
    """
    where = Path(path)
    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be at least 1, got {limit}")
    if where.is_dir():
        files = sorted(where.glob("*.jsonl"))
        if not files:
            raise ConfigError(f"{where}: no .jsonl files in this folder")
    elif where.is_file():
        files = [where]
    else:
        raise ConfigError(f"{where}: no such file or folder")
    return [trace for file in files for trace in _read_file(file, limit)]


def format_solution(steps: Sequence[str]) -> str:
    """The trace as the critic sees it: one ``Step k:`` line per step."""
    return "\n".join(f"Step {i}: {' '.join(step.split())}" for i, step in enumerate(steps, 1))


@dataclass(frozen=True, slots=True)
class TraceResult:
    """The critic's reading of one trace.

    Attributes:
        trace: The trace.
        scored: Whether the critique could be read.
        predicted: The first step the critic marked wrong (None: none marked).
        marks: How many step marks the critique held.
        reason: Why it is unscored.
    """

    trace: LabelledTrace
    scored: bool
    predicted: int | None
    marks: int
    reason: str | None = None

    @property
    def hit(self) -> bool:
        """Whether the critic's first wrong step (or "none") equals the label."""
        return self.scored and self.predicted == self.trace.first_wrong


@dataclass(slots=True)
class TaskMetrics:
    """Counts and ProcessBench-style rates over a set of traces."""

    task: str
    traces: int = 0
    erroneous: int = 0
    correct: int = 0
    unscored: int = 0
    error_hits: int = 0
    correct_hits: int = 0
    error_flagged: int = 0
    mark_mismatch: int = 0

    def add(self, result: TraceResult) -> None:
        """Count one trace's result in."""
        self.traces += 1
        if not result.scored:
            self.unscored += 1
            return
        self.mark_mismatch += result.marks != len(result.trace.steps)
        if result.trace.first_wrong is None:
            self.correct += 1
            self.correct_hits += result.hit
        else:
            self.erroneous += 1
            self.error_hits += result.hit
            self.error_flagged += result.predicted is not None

    @property
    def error_accuracy(self) -> float | None:
        """Share of scored erroneous traces whose first wrong step was found exactly."""
        return self.error_hits / self.erroneous if self.erroneous else None

    @property
    def correct_accuracy(self) -> float | None:
        """Share of scored correct traces with no step marked wrong."""
        return self.correct_hits / self.correct if self.correct else None

    @property
    def f1(self) -> float | None:
        """Harmonic mean of the two accuracies (ProcessBench's F1)."""
        a, b = self.error_accuracy, self.correct_accuracy
        if a is None or b is None:
            return None
        return 0.0 if a + b == 0 else 2 * a * b / (a + b)

    @property
    def first_error_accuracy(self) -> float | None:
        """Share of scored traces whose first wrong step (or none) equals the label."""
        scored = self.erroneous + self.correct
        return (self.error_hits + self.correct_hits) / scored if scored else None

    @property
    def unscored_rate(self) -> float | None:
        """Share of traces whose critique could not be read."""
        return self.unscored / self.traces if self.traces else None

    def as_dict(self) -> dict[str, Any]:
        """Counts and rates as JSON data."""
        return {
            "task": self.task,
            "traces": self.traces,
            "erroneous": self.erroneous,
            "correct": self.correct,
            "unscored": self.unscored,
            "error_hits": self.error_hits,
            "correct_hits": self.correct_hits,
            "error_flagged": self.error_flagged,
            "mark_mismatch": self.mark_mismatch,
            "error_accuracy": self.error_accuracy,
            "correct_accuracy": self.correct_accuracy,
            "f1": self.f1,
            "first_error_accuracy": self.first_error_accuracy,
            "unscored_rate": self.unscored_rate,
        }


@dataclass(slots=True)
class CriticReport:
    """Metrics per task and overall.

    Attributes:
        tasks: Metrics per task file.
        overall: Metrics pooled over every trace.
        critic_model: The critic's model string.
        simulated: Whether the critic is the simulator (given hidden labels; see ``note``).
        note: What the figures mean, when that needs saying.
        results: Every trace's result.
    """

    tasks: dict[str, TaskMetrics]
    overall: TaskMetrics
    critic_model: str
    simulated: bool
    note: str | None = None
    results: list[TraceResult] = field(default_factory=list, repr=False)

    @property
    def macro_f1(self) -> float | None:
        """The mean of the per-task F1 (ProcessBench's average over subsets)."""
        scores = [m.f1 for m in self.tasks.values() if m.f1 is not None]
        return sum(scores) / len(scores) if scores else None

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON data (without per-trace results)."""
        return {
            "critic_model": self.critic_model,
            "simulated": self.simulated,
            "note": self.note,
            "macro_f1": self.macro_f1,
            "overall": self.overall.as_dict(),
            "tasks": {name: m.as_dict() for name, m in self.tasks.items()},
        }


def _critic_for(roles: Roles, role: str, trace: LabelledTrace) -> Critic:
    model = roles.resolve(role)
    if not model.is_simulated:
        return Critic(roles, role=role)
    from sparring.sim.behaviours._critic_labelled import label_gold

    hidden = {**model.extra, "sim_gold": label_gold(trace.first_wrong)}
    return Critic(roles, role=role, model=model.with_options(extra=hidden))


async def _judge(
    roles: Roles, role: str, trace: LabelledTrace, sampling: dict[str, Any]
) -> TraceResult:
    critic = _critic_for(roles, role, trace)
    critique: StepCritique = await critic.critique(
        trace.question, format_solution(trace.steps), **sampling
    )
    if critique.status != "scored":
        return TraceResult(trace, False, None, len(critique.steps), critique.reason)
    return TraceResult(trace, True, critique.first_wrong, len(critique.steps))


def _report(results: Iterable[TraceResult], model: Model) -> CriticReport:
    tasks: dict[str, TaskMetrics] = {}
    overall = TaskMetrics("all")
    kept = list(results)
    for result in kept:
        tasks.setdefault(result.trace.task, TaskMetrics(result.trace.task)).add(result)
        overall.add(result)
    note = SIMULATOR_NOTE if model.is_simulated else None
    return CriticReport(tasks, overall, model.name, model.is_simulated, note, kept)


async def evaluate_critic(
    roles: Roles,
    traces: Sequence[LabelledTrace],
    *,
    role: str = "critic",
    concurrency: int = 16,
    temperature: float | None = 0.0,
    progress: Callable[[TraceResult], None] | None = None,
) -> CriticReport:
    """Ask the critic for a step-by-step critique of every trace and score it.

    Args:
        roles: Role bindings (the ``role`` one is asked).
        traces: The labelled traces.
        role: The role that critiques.
        concurrency: Critiques in flight at once.
        temperature: Sampling temperature (greedy by default, as ProcessBench evaluates);
            None keeps the model's own.
        progress: Called with each trace's result as it arrives.

    Raises:
        ConfigError: ``concurrency`` is below 1.
    """
    if concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, got {concurrency}")
    sampling = {} if temperature is None else {"temperature": temperature}
    slots = asyncio.Semaphore(concurrency)

    async def one(trace: LabelledTrace) -> TraceResult:
        async with slots:
            result = await _judge(roles, role, trace, sampling)
        if progress is not None:
            progress(result)
        return result

    results = await asyncio.gather(*(one(t) for t in traces))
    return _report(results, roles.resolve(role))
