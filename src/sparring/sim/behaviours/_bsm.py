"""Branch-Solve-Merge: propose criteria, score two responses per criterion, merge the scores.

* **Branch** (``judge.bsm_branch``): criteria that fit the task's kind (arithmetic, open,
  unknown), as a numbered list, before any response is seen.
* **Solve** (``judge.bsm_solve``): each response gets a 1-10 score on the criterion from its
  true quality plus noise. The model is the pairwise judge's, moved to the score scale: in
  quality units the first-shown response gains ``position_bias / sharpness``, each response
  gains ``verbosity_bias / sharpness`` per doubling of length, and each score carries normal
  noise of ``pairwise_noise / (sharpness * sqrt(2))`` (halved with a reference), so the score
  difference of one criterion, times ``sharpness``, is distributed like the pairwise judge's
  margin before rounding.
* **Merge** (``judge.bsm_merge``): adds up the scores of the evaluations it is shown (the last
  ``Scores:`` line of each criterion's section) and picks the higher total; equal totals are a
  tie.

Skills used: ``judge`` (sharpness, pairwise_noise, position_bias, verbosity_bias,
malformed_rate: a malformed branch is prose without a list, a malformed solve or merge leaves
out its final line).
"""

from __future__ import annotations

import math
import random
import re

from sparring.sim._arith import ArithmeticTask
from sparring.sim._context import SimContext
from sparring.sim._engine import register_behaviour
from sparring.sim._open import OpenTask
from sparring.sim.behaviours._judging import length_log_ratio, pairwise_token, true_quality

__all__ = ["CRITERIA", "merge_scores", "propose_criteria", "score_criterion"]

CRITERIA: dict[str, tuple[tuple[str, str], ...]] = {
    "arithmetic": (
        ("Final answer", "whether the final number answers the question correctly"),
        ("Step validity", "whether every computation follows from the values before it"),
        ("Use of the facts", "whether each quantity in the problem is read and used correctly"),
        ("Clarity", "whether the working is easy to follow"),
    ),
    "open": (
        ("Coverage", "whether the answer states the facts a complete explanation needs"),
        ("Accuracy", "whether the stated details, such as numbers and dates, are right"),
        ("Focus", "whether the answer stays on the topic and avoids filler"),
        ("Fit for the reader", "whether it suits the reader the instruction names"),
    ),
    "unknown": (
        ("Correctness", "whether the answer is right"),
        ("Helpfulness", "whether it gives the asker what they need"),
        ("Clarity", "whether it is easy to follow"),
    ),
}
_MAX_RE = re.compile(r"at most (\d+)")
_SCORES_RE = re.compile(r"Scores:\s*A\s*=\s*(\d+(?:\.\d+)?)\s*,\s*B\s*=\s*(\d+(?:\.\d+)?)")
_SECTION_RE = re.compile(r"^Criterion \d+:", re.MULTILINE)


def _kind(ctx: SimContext) -> str:
    if isinstance(ctx.task, ArithmeticTask):
        return "arithmetic"
    return "open" if isinstance(ctx.task, OpenTask) else "unknown"


def propose_criteria(ctx: SimContext, rng: random.Random) -> str:
    """A numbered list of criteria for the task's kind, at most as many as asked."""
    found = _MAX_RE.search(ctx.instructions)
    limit = int(found.group(1)) if found else 3
    criteria = CRITERIA[_kind(ctx)][: max(1, limit)]
    if rng.random() < ctx.profile.judge.malformed_rate:
        return "Answers should be correct, complete and clear; those are the things to weigh."
    return "\n".join(f"{i}. {name}: {what}" for i, (name, what) in enumerate(criteria, 1))


def _score(ctx: SimContext, text: str, first: bool, rng: random.Random) -> int:
    skill = ctx.profile.judge
    sharpness = max(skill.sharpness, 0.1)
    sd = skill.pairwise_noise / (sharpness * math.sqrt(2.0))
    if "REFERENCE" in ctx.blocks:
        sd *= 0.5
    value = true_quality(ctx, text) + rng.gauss(0.0, sd)
    value += skill.verbosity_bias / sharpness * length_log_ratio(ctx, text)
    if first:
        value += skill.position_bias / sharpness
    return min(10, max(1, round(1 + 9 * value)))


def score_criterion(ctx: SimContext, rng: random.Random) -> str:
    """A short assessment on the criterion, then ``Scores: A=<n>, B=<n>``."""
    a, b = ctx.blocks.get("RESPONSE A", ""), ctx.blocks.get("RESPONSE B", "")
    score_a, score_b = _score(ctx, a, True, rng), _score(ctx, b, False, rng)
    name = ctx.blocks.get("CRITERION", "this criterion").split(":", 1)[0].strip()
    if score_a == score_b:
        note = f"On {name}, the two responses do about equally well."
    else:
        better, worse = ("A", "B") if score_a > score_b else ("B", "A")
        note = f"On {name}, response {better} does better than response {worse}."
    if rng.random() < ctx.profile.judge.malformed_rate:
        return note
    return f"{note}\nScores: A={score_a}, B={score_b}"


def merge_scores(ctx: SimContext, rng: random.Random) -> str:
    """Sum the last scores line of each criterion section; the higher total wins."""
    body = ctx.blocks.get("EVALUATIONS", "")
    sections = [s for s in _SECTION_RE.split(body) if s.strip()] or [body]
    total_a = total_b = 0.0
    for section in sections:
        found = _SCORES_RE.findall(section)
        if found:
            total_a += float(found[-1][0])
            total_b += float(found[-1][1])
    choice = "tie" if total_a == total_b else ("A" if total_a > total_b else "B")
    note = f"Adding up the criteria, response A totals {total_a:g} and response B {total_b:g}."
    if rng.random() < ctx.profile.judge.malformed_rate:
        return note
    return f"{note}\n{pairwise_token(ctx, choice, abs(total_a - total_b) >= 5)}"


register_behaviour(
    "judge.bsm_branch",
    propose_criteria,
    detect=lambda c: c.asks("evaluation criteria") and c.asks("before reading any answer"),
    priority=31,
)
register_behaviour(
    "judge.bsm_solve",
    score_criterion,
    detect=lambda c: "CRITERION" in c.blocks and "RESPONSE A" in c.blocks,
    priority=32,
)
register_behaviour(
    "judge.bsm_merge",
    merge_scores,
    detect=lambda c: "EVALUATIONS" in c.blocks and c.asks("[[A]]"),
    priority=33,
)
