"""The planner (EvalPlanner style): a free-form plan, its execution on a pair, a verdict.

A plan is worth what it checks. Its quality ``q`` is drawn around the planner's
``plan_quality``; the plan then names each of the task's real checks with chance ``q`` (an
arithmetic problem's intermediate values, worked out with slips; an instruction's hidden key
points; the aspects of an outside prompt), and with chance ``1 - q`` it adds a misleading
criterion (credit for length). The execution reads the plan it was given back against the
task's ground truth: the more real checks the plan names, the sharper and the less noisy its
verdict, and a misleading criterion makes it favour longer responses. So a good plan makes a
better judgment, which is what EvalPlanner relies on.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from sparring.sim._arith import ArithmeticTask, fmt_num
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._open import OpenTask
from sparring.sim.behaviours._judge import pairwise_margin
from sparring.sim.behaviours._judging import pairwise_token

__all__ = ["execute_plan", "plan_and_judge", "plan_coverage", "plan_only", "write_plan"]

_STEP_RE = re.compile(r"step (\d+) on its own: the running count should then be (-?\d+(?:\.\d+)?)")
_MISLEADING = "Give extra credit to the response that explains itself at greater length."
_OPENING = (
    "Before reading any answer, settle what a correct one has to contain.",
    "A good answer here is judged first on substance, then on clarity.",
)
_CLOSING = (
    "Then go through each response against these checks, note every check it meets or "
    "fails, and prefer the response that meets more of them without stating anything wrong."
)


@dataclass(frozen=True, slots=True)
class _Reading:
    """What an execution makes of a plan: share of real checks named, misleading or not."""

    coverage: float
    misleading: bool
    checks: int


def _checks(ctx: SimContext, q: float, rng: random.Random) -> list[str]:
    task = ctx.task
    if isinstance(task, ArithmeticTask):
        out = []
        for i, step in enumerate(task.steps, 1):
            value = step.result if rng.random() < q else step.result + rng.choice((-3, -1, 2, 4))
            out.append(
                f"Work out step {i} on its own: the running count should then be {fmt_num(value)}."
            )
        return out
    if isinstance(task, OpenTask):
        return [
            f"A complete answer states that {kp.phrase}."
            for kp in task.key_points
            if rng.random() < q
        ]
    return [f"It should address {aspect}." for aspect in ctx.aspects if rng.random() < q]


def write_plan(ctx: SimContext, rng: random.Random) -> str:
    """A free-form evaluation plan whose checks are drawn with the planner's skill."""
    skill = ctx.profile.planner
    q = min(1.0, max(0.0, rng.gauss(skill.plan_quality, skill.plan_spread)))
    lines = [rng.choice(_OPENING), *_checks(ctx, q, rng)]
    if rng.random() > q:
        lines.append(_MISLEADING)
    lines.append(_CLOSING)
    return " ".join(lines)


def plan_coverage(ctx: SimContext, plan: str) -> _Reading:
    """Read ``plan`` against the task's truth: the share of real checks it names correctly."""
    task = ctx.task
    misleading = _MISLEADING in plan
    if isinstance(task, ArithmeticTask):
        named = {int(i): v for i, v in _STEP_RE.findall(plan)}
        right = sum(named.get(i) == fmt_num(step.result) for i, step in enumerate(task.steps, 1))
        return _Reading(right / len(task.steps), misleading, len(named))
    if isinstance(task, OpenTask):
        hits = sum(kp.phrase in plan for kp in task.key_points)
        return _Reading(hits / max(len(task.key_points), 1), misleading, hits)
    aspects = ctx.aspects
    hits = sum(aspect in plan for aspect in aspects)
    return _Reading(hits / max(len(aspects), 1), misleading, hits)


def _verdict(ctx: SimContext, reading: _Reading, rng: random.Random) -> tuple[str, float]:
    skill = ctx.profile.planner
    c = reading.coverage
    a, b = ctx.blocks.get("RESPONSE A", ""), ctx.blocks.get("RESPONSE B", "")
    z = pairwise_margin(
        ctx,
        a,
        b,
        rng,
        sharpness=skill.sharpness * (0.35 + 0.65 * c),
        noise=skill.pairwise_noise * (1.6 - c),
        position_bias=skill.position_bias,
        verbosity_bias=skill.verbosity_bias * (4.0 if reading.misleading else 1.0),
    )
    return ("tie" if abs(z) < skill.tie_band else ("A" if z > 0 else "B")), z


def _execution_text(reading: _Reading, choice: str) -> str:
    checks = f"the plan's {reading.checks} checks" if reading.checks else "the plan"
    if choice == "tie":
        return f"Going through {checks} one at a time, the two responses come out about even."
    other = "B" if choice == "A" else "A"
    return (
        f"Going through {checks} one at a time, response {choice} meets more of them; "
        f"response {other} fails at least one that response {choice} meets."
    )


def _finish(ctx: SimContext, text: str, choice: str, z: float, rng: random.Random) -> str:
    if ctx.malformed(ctx.profile.planner.malformed_rate, rng):
        return text
    return f"{text}\nVerdict: {pairwise_token(ctx, choice, abs(z) > 3.0)}"


def execute_plan(ctx: SimContext, rng: random.Random) -> str:
    """Carry out the given PLAN on both responses, then a verdict."""
    reading = plan_coverage(ctx, ctx.blocks.get("PLAN", ""))
    choice, z = _verdict(ctx, reading, rng)
    return _finish(ctx, _execution_text(reading, choice), choice, z, rng)


def plan_only(ctx: SimContext, rng: random.Random) -> str:
    """The plan alone, between the tags the plan prompt asks for."""
    if ctx.malformed(ctx.profile.planner.malformed_rate, rng):
        return write_plan(ctx, rng)
    return f"<plan>\n{write_plan(ctx, rng)}\n</plan>"


def plan_and_judge(ctx: SimContext, rng: random.Random) -> str:
    """One call: plan, execute the plan on both responses, give a verdict."""
    plan = write_plan(ctx, rng)
    reading = plan_coverage(ctx, plan)
    choice, z = _verdict(ctx, reading, rng)
    text = f"Plan:\n{plan}\nExecution:\n{_execution_text(reading, choice)}"
    return _finish(ctx, text, choice, z, rng)


register_behaviour(
    "planner.execute",
    execute_plan,
    detect=lambda c: "PLAN" in c.blocks and "RESPONSE A" in c.blocks,
    priority=34,
)
register_behaviour(
    "planner.compare",
    plan_and_judge,
    detect=lambda c: "RESPONSE A" in c.blocks and c.asks("Plan:") and c.asks("Execution"),
    priority=35,
)
register_behaviour(
    "planner.plan",
    plan_only,
    detect=lambda c: "QUESTION" in c.blocks and "RESPONSE A" not in c.blocks and c.asks("<plan>"),
    priority=36,
)
