"""The demo's work: every role once per task, scored against the simulated world's ground truth.

Tasks come from the simulator's world, whose answers are known, so the demo measures any model
bound to a role (the simulator by default, or a real one) against the truth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from sparring.agents import Verdict, combine_orders, parse_verdict, rubric_text
from sparring.errors import ModelCallError
from sparring.models import Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.sim import ArithmeticTask, SimWorld, check_steps, quality
from sparring.sim._grade import Task
from sparring.sim._reading import split_steps

__all__ = ["DemoItem", "DemoReport", "run_demo"]

ANSWER_FORMAT = "End with a last line of the form '#### <number>'."
Progress = Callable[[str], None]


@dataclass
class DemoItem:
    """What happened on one task (None: not applicable or undecided)."""

    question: str
    kind: str
    samples: list[str] = field(default_factory=list)
    truth: list[float] = field(default_factory=list)
    scores: list[Verdict] = field(default_factory=list)
    pair_correct: bool | None = None
    swap_agreement: bool | None = None
    planner_correct: bool | None = None
    meta_correct: bool | None = None
    critic_flags: int | None = None
    wrong_steps: int | None = None
    sneaky_changed: bool | None = None
    error: str | None = None


@dataclass
class DemoReport:
    """The demo's items and the roles that produced them."""

    items: list[DemoItem]
    roles: Roles


def _q(task: Task) -> Untrusted:
    return Untrusted(task.question, "QUESTION")


def _true_score(task: Task, text: str) -> float:
    return 1 + 4 * quality(task, text)


async def _score(roles: Roles, task: Task, text: str) -> Verdict:
    messages = load_prompt("judge/pointwise").render(
        question=_q(task), response=Untrusted(text, "RESPONSE"), rubric=rubric_text()
    )
    return parse_verdict((await roles.complete("judge", messages)).text, "pointwise")


async def _pairwise(roles: Roles, role: str, task: Task, a: str, b: str) -> Verdict:
    prompt = "planner/compare" if role == "planner" else "judge/pairwise"
    messages = load_prompt(prompt).render(
        question=_q(task),
        response_a=Untrusted(a, "RESPONSE A"),
        response_b=Untrusted(b, "RESPONSE B"),
    )
    return parse_verdict((await roles.complete(role, messages, temperature=0.0)).text, "pairwise")


async def _both_orders(
    roles: Roles, role: str, task: Task, better: str, worse: str
) -> tuple[bool | None, bool | None]:
    """Whether the both-order verdict picks ``better``, and whether the orders agreed."""
    first, swapped = await asyncio.gather(
        _pairwise(roles, role, task, better, worse), _pairwise(roles, role, task, worse, better)
    )
    outcome = combine_orders(first, swapped)
    picked = None if outcome.choice in (None, "tie") else outcome.choice == "A"
    return picked, outcome.swap_agreement


async def _meta(roles: Roles, task: Task, text: str) -> bool | None:
    """Whether the meta-judge prefers the judgment whose score is nearer the truth."""
    messages = load_prompt("judge/pointwise").render(
        question=_q(task), response=Untrusted(text, "RESPONSE"), rubric=rubric_text()
    )
    judgments = await roles.complete("judge", messages, n=2, temperature=1.0)
    scores = [parse_verdict(t, "pointwise").score for t in judgments.texts]
    if scores[0] is None or scores[1] is None or scores[0] == scores[1]:
        return None
    truth = _true_score(task, text)
    better = "A" if abs(scores[0] - truth) < abs(scores[1] - truth) else "B"
    meta = load_prompt("meta_judge/compare").render(
        question=_q(task),
        response=Untrusted(text, "RESPONSE"),
        judgment_a=Untrusted(judgments.texts[0], "JUDGMENT A"),
        judgment_b=Untrusted(judgments.texts[1], "JUDGMENT B"),
    )
    verdict = parse_verdict((await roles.complete("meta_judge", meta)).text, "meta")
    return None if verdict.choice in (None, "tie") else verdict.choice == better


async def _critic(roles: Roles, item: DemoItem, task: ArithmeticTask, worst: str) -> None:
    critique = load_prompt("critic/steps").render(
        question=_q(task), solution=Untrusted(worst, "SOLUTION")
    )
    text = (await roles.complete("critic", critique)).text
    item.critic_flags = text.count("Correctness of the step: Wrong")
    item.wrong_steps = sum(not s.correct for s in check_steps(task, worst))


async def _sneaky(roles: Roles, item: DemoItem, task: ArithmeticTask, best: str) -> None:
    steps = split_steps(best)
    if len(steps) < 2 or not check_steps(task, "\n".join(steps[:2]))[1].correct:
        return
    prompt = load_prompt("sneaky/corrupt").render(
        question=_q(task),
        partial_solution=Untrusted(steps[0], "PARTIAL SOLUTION"),
        step=Untrusted(steps[1], "STEP"),
    )
    out = (await roles.complete("sneaky", prompt)).text
    new = out.split("Incorrect step:", 1)[1].strip() if "Incorrect step:" in out else ""
    item.sneaky_changed = bool(new) and not check_steps(task, f"{steps[0]}\n{new}")[1].correct


async def _one(roles: Roles, task: Task, samples: int) -> DemoItem:
    kind = "arithmetic" if isinstance(task, ArithmeticTask) else "open"
    item = DemoItem(question=task.question, kind=kind)
    fmt = ANSWER_FORMAT if kind == "arithmetic" else "Answer in one short paragraph."
    actor = load_prompt("actor/solve").render(question=task.question, answer_format=fmt)
    item.samples = (await roles.complete("actor", actor, n=samples, temperature=0.8)).texts
    item.truth = [quality(task, s) for s in item.samples]
    item.scores = list(await asyncio.gather(*(_score(roles, task, s) for s in item.samples)))
    order = sorted(range(samples), key=lambda i: item.truth[i])
    best, worst = item.samples[order[-1]], item.samples[order[0]]
    if item.truth[order[-1]] > item.truth[order[0]]:
        item.pair_correct, item.swap_agreement = await _both_orders(
            roles, "judge", task, best, worst
        )
        item.planner_correct, _ = await _both_orders(roles, "planner", task, best, worst)
    item.meta_correct = await _meta(roles, task, item.samples[0])
    if isinstance(task, ArithmeticTask):
        await asyncio.gather(_critic(roles, item, task, worst), _sneaky(roles, item, task, best))
    return item


async def run_demo(
    roles: Roles,
    *,
    tasks: int = 6,
    samples: int = 4,
    seed: int = 0,
    progress: Progress | None = None,
) -> DemoReport:
    """Run every role on ``tasks`` world tasks; one failing task never stops the others."""
    world = SimWorld(seed=seed)

    async def guarded(i: int) -> DemoItem:
        task = world.task(i)
        try:
            item = await _one(roles, task, samples)
        except ModelCallError as err:
            item = DemoItem(question=task.question, kind="?", error=str(err))
        if progress is not None:
            progress(item.question)
        return item

    items = await asyncio.gather(*(guarded(i) for i in range(tasks)))
    return DemoReport(items=list(items), roles=roles)
