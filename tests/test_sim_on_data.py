"""The simulator on a user's own data: items it did not write still get honest ground truth."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sparring.agents import rubric_text
from sparring.cli import cli
from sparring.prompts import Untrusted, load_prompt
from sparring.run import Run
from sparring.sim import SimEngine, SimRequest
from sparring.sim._context import build_context
from sparring.sim._external import forget_items, gold_steps, lookup_item, remember_item

QUESTION = "A baker fills 7 trays with 6 rolls each and sells 19 rolls. How many rolls are left?"
SOLUTION = "7 * 6 = <<7*6=42>>42 rolls.\n42 - 19 = <<42-19=23>>23 rolls are left.\n#### 23"
OPEN = "Suggest a weekly plan for practising the violin with limited evening time."


@pytest.fixture(autouse=True)
def _fresh_book() -> Iterator[None]:
    forget_items()
    yield
    forget_items()


def _ask(model: str, prompt: str, n: int = 40, **variables: object) -> list[str]:
    messages = [dict(m) for m in load_prompt(prompt).render(**variables)]
    request = SimRequest(model=model, messages=messages, n=n, temperature=0.8, seed=7)
    return [c.text for c in SimEngine().respond(request).choices]


def _solve(question: str, n: int = 40) -> list[str]:
    fmt = "End with a last line of the form '#### <number>'."
    return _ask("actor", "actor/solve", n, question=question, answer_format=fmt)


def _final(text: str) -> str | None:
    lines = [ln for ln in text.splitlines() if ln.startswith("####")]
    return lines[-1].removeprefix("####").strip() if lines else None


def test_annotated_solutions_become_gold_steps() -> None:
    task = gold_steps(QUESTION, SOLUTION)
    assert task is not None
    assert [(s.op, s.result) for s in task.steps] == [("*", 42.0), ("-", 23.0)]
    assert task.steps[1].a.kind == "ref"  # 42 is carried from step 1, not a new constant
    assert gold_steps(QUESTION, "The answer is 23.\n#### 23") is None
    assert gold_steps(QUESTION, "7 * 6 = <<7*6=42>>42\n#### 99") is None  # does not end at gold


def test_remembered_item_gives_varied_answers_right_by_skill() -> None:
    remember_item(QUESTION, SOLUTION)
    texts = _solve(QUESTION)
    answers = [_final(t) for t in texts]
    right = sum(a == "23" for a in answers) / len(answers)
    assert 0.3 < right < 0.95  # default accuracy 0.6, at temperature 0.8
    assert len(set(texts)) > 10
    assert len({a for a in answers if a not in (None, "23")}) >= 2  # wrong answers differ


def test_unknown_question_without_steps_uses_the_final_answer() -> None:
    question = "Tomas reads 12 pages an hour. How long does a 300-page book take him?"
    remember_item(question, "25")
    answers = [_final(t) for t in _solve(question)]
    assert 0.3 < answers.count("25") / len(answers) < 0.95
    forget_items()
    assert all(a != "25" for a in (_final(t) for t in _solve(question, 10)))  # no truth now


def test_open_prompts_get_varied_quality_and_the_judge_sees_it() -> None:
    texts = _ask("actor", "actor/solve", 30, question=OPEN, answer_format="Answer directly.")
    assert len(set(texts)) == len(texts)
    scored = []
    for text in texts:
        messages = load_prompt("judge/pointwise").render(
            question=Untrusted(OPEN, "QUESTION"),
            response=Untrusted(text, "RESPONSE"),
            rubric=rubric_text(),
        )
        request = SimRequest(model="judge", messages=[dict(m) for m in messages], n=5, seed=1)
        ctx = build_context(request, SimEngine().profile, 0)
        lines = [c.text.splitlines()[-1] for c in SimEngine().respond(request).choices]
        scores = [float(ln.split(":")[1]) for ln in lines if ln.startswith("Score:")]
        scored.append((ctx.quality(text), statistics.mean(scores)))
    scored.sort()
    low, high = scored[: len(scored) // 2], scored[len(scored) // 2 :]
    assert high[-1][0] > low[0][0]  # quality really varies
    assert statistics.mean(s for _, s in high) > statistics.mean(s for _, s in low)


def test_a_node_that_sees_only_the_prompt_keeps_the_truth() -> None:
    remember_item(QUESTION, SOLUTION)
    remember_item(QUESTION)  # e.g. a fanned-out judge task: prompt, no answer
    item = lookup_item([f"Grade this.\n\n{QUESTION}\n\nScore it."])
    assert item is not None and item.gold == "23" and item.task is not None


def _gsm8k_sample(data_dir: Path, tmp_path: Path, n: int = 60) -> Path:
    rows = (data_dir / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()[:n]
    out = tmp_path / "gsm8k60.jsonl"
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out


@pytest.mark.parametrize(
    ("graph", "records"),
    [("self-rewarding", "pairs"), ("irpo", "pairs"), ("self-consistency", "rl")],
)
def test_gsm8k_through_the_simulator(
    graph: str, records: str, data_dir: Path, tmp_path: Path
) -> None:
    data = _gsm8k_sample(data_dir, tmp_path)
    run_dir = tmp_path / "run"
    args = ["run", graph, "--data", str(data), "--prompt-field", "question", "--out", str(run_dir)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "SIMULATOR" in result.output
    view = CliRunner().invoke(cli, ["view", str(run_dir), "--json"], catch_exceptions=False)
    summary = json.loads(view.output)
    assert summary["items"]["done"] == 60
    assert 0.5 < summary["exploration"]["pass_at_k"] <= 1.0
    assert summary["exploration"]["distinct_answers_per_item"] > 1.5
    assert summary["records"][records] > 20
    if graph == "self-consistency":  # one RL record per sample: the per-sample pass rate
        rewards = [r["reward"] for r in Run.open(run_dir).store.records("rl")]
        assert 0.3 < sum(r > 0 for r in rewards) / len(rewards) < 0.9


def test_a_whole_gsm8k_solution_is_gold_by_its_final_line() -> None:
    from sparring.verify import is_equiv

    assert is_equiv("23", SOLUTION)
    assert not is_equiv("42", SOLUTION)  # a number the worked solution mentions on the way
