"""A step critic on traces the simulator cannot check, told the labelled first wrong step.

Traces from outside the world (BIG-Bench Mistake, PRM800K, ...) carry a human label of their
first wrong step. The simulator cannot verify such steps, so ``sparring.critic_eval`` passes
the label as hidden metadata (``sim_gold="first_wrong_step=<k>"`` or ``...=none``, never in
the prompt). With it the simulated critic behaves as its knobs say: it flags the labelled
step with probability ``CriticSkill.recall`` and every other step with probability
``CriticSkill.false_positive_rate`` (steps after the labelled one count as correct: the label
says nothing about them). Figures measured this way describe the simulator's knobs, not a
model's skill; a real critic model never receives the label.
"""

from __future__ import annotations

import random
import re

from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._grade import StepTruth
from sparring.sim._reading import split_steps
from sparring.sim.behaviours._critic import flags

__all__ = ["LABEL_PREFIX", "critique_labelled", "label_gold", "read_label"]

LABEL_PREFIX = "first_wrong_step="
_LABEL_RE = re.compile(rf"^{LABEL_PREFIX}(none|\d+)$")


def label_gold(first_wrong: int | None) -> str:
    """The hidden ``sim_gold`` value carrying a trace's labelled first wrong step."""
    return f"{LABEL_PREFIX}{'none' if first_wrong is None else int(first_wrong)}"


def read_label(gold: str | None) -> tuple[bool, int | None]:
    """Whether ``gold`` is a step label, and the 0-based first wrong step (None: no error)."""
    found = _LABEL_RE.match(gold or "")
    if found is None:
        return False, None
    return True, None if found.group(1) == "none" else int(found.group(1))


def critique_labelled(ctx: SimContext, rng: random.Random) -> str:
    """A step-by-step critique whose errors follow the critic's recall and false alarms."""
    _, first_wrong = read_label(ctx.request.gold)
    lines = split_steps(ctx.blocks.get("SOLUTION") or ctx.blocks.get("RESPONSE") or "")
    out, any_flag = [], False
    for i, line in enumerate(lines):
        truth = StepTruth(False, "calculation") if i == first_wrong else StepTruth(True)
        flagged = flags(truth, ctx, rng)
        any_flag |= flagged
        why = (
            "This step does not follow from the problem and the steps before it."
            if flagged
            else "This step follows from the problem and the steps before it."
        )
        out += [
            f"Step sentence: {line}",
            f"Correctness of the step: {'Wrong' if flagged else 'Correct'}",
            f"Explanation: {why}",
            "",
        ]
    if not lines:
        out.append("The solution has no steps to check.")
    if rng.random() < ctx.profile.critic.malformed_rate:
        return "\n".join(out).strip()
    out.append(f"Correctness of the final answer: {'Wrong' if any_flag else 'Correct'}")
    return "\n".join(out)


register_behaviour(
    "critic.steps_labelled",
    critique_labelled,
    detect=lambda c: c.asks("Correctness of the step") and read_label(c.request.gold)[0],
    priority=19,
)
