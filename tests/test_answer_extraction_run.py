"""The last-number fallback as a per-run opt-in: set, honoured by the graphs, recorded, shown."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from sparring import Roles
from sparring.cli import cli
from sparring.run import Run
from sparring.verify import answer_extraction, extract_answer, use_answer_extraction
from sparring.view import render_summary

UNSURE = "I cannot tell. Step 2 is unclear."
SILENT = {"actor": {"malformed_rate": 1.0}}  # the actor never writes its answer line


def test_the_rule_in_force_decides_unless_the_caller_does() -> None:
    assert answer_extraction() == "strict" and extract_answer(UNSURE) is None
    with use_answer_extraction("last_number_fallback"):
        assert extract_answer(UNSURE) == "2"
        assert extract_answer(UNSURE, last_number_fallback=False) is None
        assert extract_answer("So it is 4.\n#### 5") == "5"  # a stated answer still wins
    assert extract_answer(UNSURE) is None and extract_answer(UNSURE, last_number_fallback=True)
    with pytest.raises(ValueError, match="lenient"), use_answer_extraction("lenient"):
        pass


async def _inherits() -> str | None:
    return extract_answer(UNSURE)


def test_tasks_started_under_the_rule_inherit_it() -> None:
    async def main() -> list[str | None]:
        with use_answer_extraction("last_number_fallback"):
            return list(await asyncio.gather(_inherits(), _inherits()))

    assert asyncio.run(main()) == ["2", "2"]


def _run(path: Path, rule: str) -> Run:
    roles = Roles.sim(seed=5, profile=SILENT)
    run = Run.create(path, graph="self-consistency", roles=roles, seed=5,
                     options={"n_samples": 4}, answer_extraction=rule)  # type: ignore[arg-type]  # fmt: skip
    run.add_sim_tasks(6)
    asyncio.run(run.execute(roles=roles))
    return run


def test_a_run_reads_answers_by_its_recorded_rule(tmp_path: Path) -> None:
    strict, lenient = _run(tmp_path / "s", "strict"), _run(tmp_path / "l", "last_number_fallback")
    answers = {
        name: [s["answer"] for _, out in run.outputs() for s in out["samples"]]
        for name, run in (("strict", strict), ("lenient", lenient))
    }
    # No sample states an answer: strictly none is read; the opt-in reads each last number.
    assert answers["strict"] == [None] * 24
    assert all(a is not None for a in answers["lenient"])
    assert any(out["correct"] for _, out in lenient.outputs())
    for run, rule in ((strict, "strict"), (lenient, "last_number_fallback")):
        run.close()
        reopened = Run.open(run.dir)
        assert reopened.config.answer_extraction == rule
        summary = reopened.summary()
        assert summary.answer_extraction == rule
        reopened.close()
    assert answer_extraction() == "strict"  # the run's rule does not leak out of it


def test_the_cli_option_is_recorded_and_shown_by_view(tmp_path: Path) -> None:
    out = tmp_path / "run"
    runner = CliRunner()
    args = ["run", "self-consistency", "--sim-tasks", "2", "--out", str(out), "--no-preflight"]
    result = runner.invoke(cli, [*args, "--answer-extraction", "last_number_fallback"])
    assert result.exit_code == 0, result.output
    assert Run.open(out).config.answer_extraction == "last_number_fallback"
    shown = runner.invoke(cli, ["view", str(out)])
    assert shown.exit_code == 0 and "answer extraction: last_number_fallback" in shown.output
    bad = runner.invoke(cli, [*args[:-2], "--out", str(tmp_path / "b"), "--answer-extraction",
                              "lenient"])  # fmt: skip
    assert bad.exit_code == 2 and "lenient" in bad.output and not (tmp_path / "b").exists()


def test_render_summary_names_the_rule(tmp_path: Path) -> None:
    from rich.console import Console

    run = _run(tmp_path / "r", "last_number_fallback")
    console = Console(record=True, width=100)
    render_summary(run.summary(), console)
    assert "answer extraction: last_number_fallback" in console.export_text()
    run.close()
