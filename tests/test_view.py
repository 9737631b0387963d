"""The trace viewer: item timelines, the overview, live output, --follow, html/svg, bad input."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from sparring.cli import cli
from sparring.errors import ConfigError
from sparring.run import Run
from sparring.sim import FaultConfig, SimServer
from sparring.view import RunQuery, build_timeline, render_item, render_overview
from tests._snapshots import assert_text_snapshot

REPO = Path(__file__).resolve().parent.parent
_SECONDS = re.compile(r"\d+\.\d+s\b")


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def refine_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("view") / "refine"
    code, out = _cli("run", "refine", "--sim-tasks", "6", "--out", str(run_dir), "--seed", "7",
                     "--concurrency", "1")
    assert code == 0, out
    return run_dir


@pytest.fixture(scope="module")
def mr_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("view") / "mr"
    code, out = _cli("run", "meta-rewarding", "--sim-tasks", "4", "--out", str(run_dir),
                     "--seed", "3", "--concurrency", "1")
    assert code == 0, out
    return run_dir


def _render(renderable: object, width: int, run_dir: Path) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(renderable)
    # Wall times and the temporary folder vary; the rest is seeded.
    return _SECONDS.sub("#.##s", buffer.getvalue()).replace(str(run_dir), "RUN")


@pytest.mark.parametrize("width", [80, 120])
def test_item_timeline_snapshot(mr_run: Path, width: int) -> None:
    with RunQuery(mr_run) as query:
        text = _render(render_item(query, query.find("#2")), width, mr_run)
    assert "sample" in text and "judge ×" in text and "meta_judge" in text
    assert "records (" in text and "chosen:" in text
    assert max(len(line) for line in text.splitlines()) <= width
    assert_text_snapshot(text, f"view-item-meta-rewarding-{width}")


@pytest.mark.parametrize("width", [80, 120])
def test_overview_snapshot(mr_run: Path, width: int) -> None:
    handle = Run.open(mr_run)
    with RunQuery(mr_run) as query:
        text = _render(render_overview(query, handle.summary()), width, mr_run)
    handle.close()
    assert "Graph (visits and time per node)" in text and "judge AUC" in text
    assert "healthy" in text and "START → sample" in text
    assert_text_snapshot(text, f"view-overview-meta-rewarding-{width}")


def test_rounds_are_read_from_repeated_visits() -> None:
    from sparring.trace import NodeEvent

    names = ["solve", "critique", "refine", "critique", "refine", "critique", "finish"]
    events = []
    for name in names:
        events.append(NodeEvent(phase="start", node=name, item_id="x"))
        events.append(NodeEvent(phase="end", node=name, item_id="x", duration_s=0.1))
    timeline = build_timeline(list(events))
    assert [[v.node for v in r.visits] for r in timeline.rounds] == [
        ["solve", "critique", "refine"], ["critique", "refine"], ["critique", "finish"]
    ]
    fanout = [NodeEvent(phase="start", node="judge", item_id="x") for _ in range(3)]
    assert build_timeline(list(fanout)).rounds[0].visits[0].count == 3


def test_pairwise_orders_are_paired_and_agreement_shown(tmp_path: Path) -> None:
    run_dir = tmp_path / "pj"
    assert _cli("run", "pairwise-judge", "--sim-tasks", "2", "--out", str(run_dir))[0] == 0
    code, out = _cli("view", str(run_dir), "--item", "#1")
    flat = " ".join(out.replace("│", " ").split())
    assert code == 0
    assert "[order A/B]" in flat and "[swapped B/A; orders" in flat


def test_view_cli_lists_and_names_bad_input(refine_run: Path, tmp_path: Path) -> None:
    code, out = _cli("view", str(refine_run), "--list")
    assert code == 0 and "#1" in out and "sim-" in out
    code, out = _cli("view", str(refine_run), "--item", "no-such-item")
    assert code == 1 and "no item 'no-such-item'" in out and "--list" in out
    code, out = _cli("view", str(tmp_path))
    assert code == 1 and "not a run directory" in out
    code, out = _cli("view", str(tmp_path / "missing"))
    assert code == 1 and "is not a folder" in out
    for flag in ("--failed", "--unscored", "--refused"):
        code, out = _cli("view", str(refine_run), flag)
        assert code == 0


def test_output_off_a_terminal_has_no_escape_codes(refine_run: Path, tmp_path: Path) -> None:
    code, out = _cli("view", str(refine_run), "--item", "#1")
    assert code == 0 and "\x1b" not in out
    code, out = _cli("run", "self-rewarding", "--sim-tasks", "3", "--out", str(tmp_path / "r"))
    assert code == 0 and "\x1b" not in out
    assert "items 3/3 (0 failed)" in out  # the plain progress line at the end


def test_html_and_svg_exports_hold_what_the_terminal_shows(
    refine_run: Path, tmp_path: Path
) -> None:
    html, svg = tmp_path / "item.html", tmp_path / "item.svg"
    code, _ = _cli("view", str(refine_run), "--item", "#1", "--html", str(html), "--svg", str(svg))
    assert code == 0
    page, drawing = html.read_text(encoding="utf-8"), svg.read_text(encoding="utf-8")
    assert "<html" in page.lower() and "critique" in page and "records" in page
    assert drawing.lstrip().startswith("<svg") and "critique" in drawing


def test_follow_attaches_to_a_run_in_another_process_until_it_ends(tmp_path: Path) -> None:
    run_dir = tmp_path / "live"
    with SimServer(faults=FaultConfig(latency_s=0.05)) as srv:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sparring", "run", "self-rewarding", "--sim-tasks", "12",
             "--out", str(run_dir), "--concurrency", "2", "--actor", "hosted_vllm/actor",
             "--api-base", srv.base_url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if (run_dir / "run.sqlite").exists():
                try:
                    with RunQuery(run_dir) as query:
                        if query.status()[0] == "running":
                            break
                except ConfigError:  # the file exists, its tables not yet
                    pass
            time.sleep(0.05)
        code, out = _cli("view", str(run_dir), "--follow")
        proc.wait(timeout=120)
    assert code == 0 and proc.returncode == 0
    assert "finished" in out and "12 done" in out


def test_rounds_table_shows_items_per_round_and_correctness(tmp_path: Path) -> None:
    run_dir = tmp_path / "rx"
    code, _ = _cli("run", "reflexion", "--sim-tasks", "20", "--out", str(run_dir), "--seed", "4")
    assert code == 0
    with RunQuery(run_dir) as query:
        by_round = query.correct_by_round()
        reached = query.visits_per_item("act")
    assert by_round[1][0] == 20 and 0 < by_round[1][1] < 20  # some solved at once, not all
    assert sum(reached.values()) == 20 and max(reached) >= 2  # failures tried again
    code, out = _cli("view", str(run_dir))
    assert code == 0 and "Rounds (visits of 'act' per item)" in out and "correct in it" in out


@pytest.mark.parametrize("width", [80, 120])
def test_game_view_snapshot(tmp_path_factory: pytest.TempPathFactory, width: int) -> None:
    run_dir = tmp_path_factory.mktemp("game") / "spc"
    code, out = _cli("run", "spc-game", "--sim-tasks", "3", "--out", str(run_dir), "--seed", "2",
                     "--concurrency", "1")
    assert code == 0, out
    with RunQuery(run_dir) as query:
        text = _render(render_item(query, query.find("#1")), width, run_dir)
    assert "game moves" in text and "outcome" in text and "critic_reward" in text
    if "sneaky move" in text:  # the generator tampered: both versions of the step are shown
        assert "original" in text and "tampered" in text and "rollouts solved" in text
    assert_text_snapshot(text, f"view-item-spc-game-{width}")
