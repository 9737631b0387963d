"""The demo's work: every role once per task, scored against the simulated world's ground truth.

Tasks come from the simulator's world, whose answers are known, so the demo measures any model
bound to a role (the simulator by default, or a real one) against the truth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from sparring.agents import Verdict, combine_orders, parse_verdict
from sparring.errors import ModelCallError
from sparring.models import Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.sim import ArithmeticTask, SimWorld, quality
from sparring.sim._grade import Task
from sparring.sim._reading import split_steps

__all__ = ["DemoItem", "DemoReport", "run_demo"]

ANSWER_FORMAT = "End with a last line of the form '#### <number>'."
Progress = Callable[[str], None]


@dataclass
class DemoItem:
    """What happened on one task."""

    question: str
    kind: str
    samples: list[str] = field(default_factory=list)
    truth: list[float] = field(default_factory=list)
    scores: list[Verdict] = field(default_factory=list)
    pair_choice: str | None = None
    pair_correct: bool | None = None
    swap_agreement: bool | None = None
    planner_choice: str | None = None
    meta_choice: str | None = None
    critic_flags: int | None = None
    sneaky_changed: bool | None = None
    error: str | None = None


@dataclass
class DemoReport:
    """The demo's items and the roles that produced them."""

    items: list[DemoItem]
    roles: Roles


def _q(task: Task) -> Untrusted:
    return Untrusted(task.question, "QUESTION")


async def _score(roles: Roles, task: Task, text: str) -> Verdict:
    messages = load_prompt("judge/pointwise").render(
        question=_q(task), response=Untrusted(text, "RESPONSE")
    )
    result = await roles.complete("judge", messages)
    return parse_verdict(result.text, "pointwise")


async def _pairwise(roles: Roles, role: str, prompt: str, task: Task, a: str, b: str) -> Verdict:
    messages = load_prompt(prompt).render(
        question=_q(task),
        response_a=Untrusted(a, "RESPONSE A"),
        response_b=Untrusted(b, "RESPONSE B"),
    )
    text = (await roles.complete(role, messages, temperature=0.0)).text
    return parse_verdict(text, "pairwise")


async def _both_orders(
    roles: Roles, role: str, prompt: str, task: Task, a: str, b: str
) -> tuple[str | None, bool | None]:
    first, swapped = await asyncio.gather(
        _pairwise(roles, role, prompt, task, a, b), _pairwise(roles, role, prompt, task, b, a)
    )
    outcome = combine_orders(first, swapped)
    return outcome.choice, outcome.swap_agreement


async def _meta(roles: Roles, task: Task, text: str) -> str | None:
    messages = load_prompt("judge/pointwise").render(
        question=_q(task), response=Untrusted(text, "RESPONSE")
    )
    judgments = await roles.complete("judge", messages, n=2, temperature=1.0)
    meta = load_prompt("meta_judge/compare").render(
        question=_q(task),
        response=Untrusted(text, "RESPONSE"),
        judgment_a=Untrusted(judgments.texts[0], "JUDGMENT A"),
        judgment_b=Untrusted(judgments.texts[1], "JUDGMENT B"),
    )
    verdict = parse_verdict((await roles.complete("meta_judge", meta)).text, "meta")
    return verdict.choice


async def _critic_and_sneaky(roles: Roles, item: DemoItem, task: ArithmeticTask) -> None:
    worst = item.samples[min(range(len(item.samples)), key=lambda i: item.truth[i])]
    critique = load_prompt("critic/steps").render(
        question=_q(task), solution=Untrusted(worst, "SOLUTION")
    )
    text = (await roles.complete("critic", critique)).text
    item.critic_flags = text.count("Correctness of the step: Wrong")
    best = item.samples[max(range(len(item.samples)), key=lambda i: item.truth[i])]
    steps = split_steps(best)
    if len(steps) >= 2:
        prompt = load_prompt("sneaky/corrupt").render(
            question=_q(task),
            partial_solution=Untrusted(steps[0], "PARTIAL SOLUTION"),
            step=Untrusted(steps[1], "STEP"),
        )
        out = (await roles.complete("sneaky", prompt)).text
        new = out.split("Incorrect step:", 1)[-1].strip() if "Incorrect step:" in out else ""
        item.sneaky_changed = bool(new) and quality(task, f"{steps[0]}\n{new}") != quality(
            task, f"{steps[0]}\n{steps[1]}"
        )


async def _one(roles: Roles, task: Task, samples: int) -> DemoItem:
    kind = "arithmetic" if isinstance(task, ArithmeticTask) else "open"
    item = DemoItem(question=task.question, kind=kind)
    fmt = ANSWER_FORMAT if kind == "arithmetic" else "Answer in one short paragraph."
    actor = load_prompt("actor/solve").render(question=task.question, answer_format=fmt)
    item.samples = (await roles.complete("actor", actor, n=samples, temperature=0.8)).texts
    item.truth = [quality(task, s) for s in item.samples]
    item.scores = list(await asyncio.gather(*(_score(roles, task, s) for s in item.samples)))
    best = max(range(samples), key=lambda i: item.truth[i])
    worst = min(range(samples), key=lambda i: item.truth[i])
    if item.truth[best] > item.truth[worst]:
        a, b = item.samples[best], item.samples[worst]
        item.pair_choice, item.swap_agreement = await _both_orders(
            roles, "judge", "judge/pairwise", task, a, b
        )
        item.pair_correct = item.pair_choice == "A" if item.pair_choice != "tie" else None
        item.planner_choice, _ = await _both_orders(roles, "planner", "planner/compare", task, a, b)
    item.meta_choice = await _meta(roles, task, item.samples[0])
    if isinstance(task, ArithmeticTask):
        await _critic_and_sneaky(roles, item, task)
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
