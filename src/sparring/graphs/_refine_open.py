"""Self-Refine for open-ended tasks: criterion feedback with scores, refine, keep the best.

Madaan et al., 2023 (Self-Refine, arXiv 2303.17651), as its dialogue and acronym tasks do it:
the feedback step scores the output on named criteria (``Relevance: 4/5 - ...``) and ends with
``Total score: X/Y``; the refine step sees the earlier attempts with their feedback, lowest
score first, and improves on the best one; every attempt is kept and the best-scored one is
returned::

    solve -> feedback -> (target | no better | unscored | rounds == max_rounds) -> finish
                ^                 |
                +--- refine <-----+

The loop stops when the total reaches ``target_score`` (default: the maximum), when an
attempt scores no better than the best before it (the score stopped improving), when the
feedback cannot be read (after one re-ask), or after ``max_rounds`` refinements. Used by
``create_refine_graph(feedback="criteria")``.

Records: Self-Refine trains nothing, and its feedback is the model's own opinion; the only
record is an SFT row of the best attempt when it scored above the first one
(``verified_by: "critic_score"``), and no preference pair (a pair needs a verifier that
confirms the final answer beats the first, which open-ended items lack).
"""

from __future__ import annotations

import operator
import re
from typing import Annotated, Any, Literal

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, ConfigDict
from typing_extensions import TypedDict

from sparring.agents import Actor, reask_once
from sparring.errors import ModelCallError
from sparring.graphs._nodes import add_route, add_traced
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import ChatMessage, Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.records import make_sft_record

__all__ = [
    "CriteriaFeedback",
    "OpenAttempt",
    "OpenRefineState",
    "OpenStopReason",
    "build_open_refine",
    "parse_criteria_feedback",
]

SOLVE, FEEDBACK, REFINE, FINISH = "solve", "feedback", "refine", "finish"
TECHNIQUE = "refine"
FEEDBACK_PROMPT, REFINE_PROMPT = "critic/criteria", "actor/refine_open"

OpenStopReason = Literal["target", "no_improvement", "max_rounds", "critic_unscored"]
"""Why the loop ended: target reached, score stopped improving, round bound, unreadable."""

_CRITERION_RE = re.compile(
    r"^[ \t*_-]*(?P<name>[A-Za-z][A-Za-z /-]{1,40}?)\**[ \t]*:\**[ \t]*"
    r"(?P<score>\d+(?:\.\d+)?)[ \t]*/[ \t]*(?P<top>\d+(?:\.\d+)?)",
    re.MULTILINE,
)
_TOTAL_RE = re.compile(
    r"total\s+score\s*:?\**\s*(?P<score>\d+(?:\.\d+)?)\s*(?:/|out\s+of)\s*(?P<top>\d+(?:\.\d+)?)",
    re.IGNORECASE,
)


class CriteriaFeedback(BaseModel):
    """Scored criterion feedback, or unscored with the reason.

    Attributes:
        status: ``scored`` or ``unscored``.
        criteria: Each named criterion's score (e.g. ``{"Accuracy": 3.0}``).
        total: The ``Total score`` (clipped to ``[0, top]``); None when unscored.
        top: The most the total could be.
        raw: The whole feedback text.
        reason: Why it is unscored.
    """

    model_config = ConfigDict(frozen=True)

    status: Literal["scored", "unscored"]
    criteria: dict[str, float]
    total: float | None
    top: float | None
    raw: str
    reason: str | None = None

    @property
    def share(self) -> float | None:
        """The total as a share of the most it could be."""
        return None if self.total is None or not self.top else self.total / self.top


def parse_criteria_feedback(text: str) -> CriteriaFeedback:
    r"""Read ``<criterion>: k/5`` lines and the last ``Total score: X/Y`` line.

    Example:
        >>> parse_criteria_feedback("Accuracy: 3/5 - one date is off.\\nTotal score: 3/5").total
        3.0
    """
    criteria = {
        m["name"].strip(): float(m["score"])
        for m in _CRITERION_RE.finditer(text)
        if not m["name"].strip().lower().startswith("total")
    }
    totals = list(_TOTAL_RE.finditer(text))
    if not totals:
        return CriteriaFeedback(
            status="unscored", criteria=criteria, total=None, top=None, raw=text,
            reason="parse_failure: no 'Total score: X/Y' line",
        )  # fmt: skip
    last = totals[-1]
    top = float(last["top"])
    if top <= 0:
        return CriteriaFeedback(
            status="unscored", criteria=criteria, total=None, top=None, raw=text,
            reason="parse_failure: the total is out of 0",
        )  # fmt: skip
    total = min(top, max(0.0, float(last["score"])))
    return CriteriaFeedback(status="scored", criteria=criteria, total=total, top=top, raw=text)


class OpenAttempt(TypedDict):
    """One attempt and its feedback.

    Attributes:
        round: 0 for the first answer, k for the k-th refinement.
        solution: The answer.
        feedback: The feedback's whole text.
        feedback_status: ``scored`` or ``unscored``.
        criteria: Each criterion's score.
        total: The total score (None when unscored).
        top: The most the total could be.
    """

    round: int
    solution: str
    feedback: str
    feedback_status: Literal["scored", "unscored"]
    criteria: dict[str, float]
    total: float | None
    top: float | None


class OpenRefineState(ItemInput, RecordsState, total=False):
    """State of one Self-Refine loop on an open-ended item.

    Attributes:
        solution: The latest answer while looping; at the end the best-scored one.
        rounds: Refinements made.
        attempts: Every answer with its feedback, in order.
        best_round: The round of the best-scored attempt.
        best_score: Its total score.
        first_score: The first attempt's total score.
        stop_reason: Why the loop ended.
    """

    solution: str
    rounds: int
    attempts: Annotated[list[OpenAttempt], operator.add]
    best_round: int
    best_score: float | None
    first_score: float | None
    stop_reason: OpenStopReason


def _best(attempts: list[OpenAttempt]) -> OpenAttempt | None:
    """The highest total (the earliest of equals); None when nothing was scored."""
    scored = [a for a in attempts if a["total"] is not None]
    return max(scored, key=lambda a: (a["total"] or 0.0, -a["round"])) if scored else None


class _OpenLoop:
    """The loop's nodes, bound to the roles and options."""

    def __init__(
        self, roles: Roles, max_rounds: int, target: float | None, answer_format: str
    ) -> None:
        self.roles, self.max_rounds, self.target = roles, max_rounds, target
        self.answer_format = answer_format
        self.actor = Actor(roles)

    async def solve(self, state: OpenRefineState) -> dict[str, Any]:
        result = await self.actor.answer(state["prompt"], answer_format=self.answer_format)
        return {"solution": result.text, "rounds": 0}

    async def feedback(self, state: OpenRefineState) -> dict[str, Any]:
        messages = load_prompt(FEEDBACK_PROMPT).render(
            question=Untrusted(state["prompt"], "QUESTION"),
            response=Untrusted(state["solution"], "RESPONSE"),
        )
        read = await self._ask(messages)
        attempt: OpenAttempt = {
            "round": state.get("rounds", 0),
            "solution": state["solution"],
            "feedback": read.raw,
            "feedback_status": read.status,
            "criteria": read.criteria,
            "total": read.total,
            "top": read.top,
        }
        return {
            "attempts": [attempt],
            "judged": {"critic": 1},
            "unscored": {"critic": int(read.status == "unscored")},
        }

    async def _ask(self, messages: list[ChatMessage]) -> CriteriaFeedback:
        """Ask for feedback; re-ask once, naming what was missing, if it cannot be read."""
        try:
            first = parse_criteria_feedback((await self.roles.complete("critic", messages)).text)
        except ModelCallError as err:
            return CriteriaFeedback(
                status="unscored", criteria={}, total=None, top=None, raw="",
                reason=f"backend_error: {err.kind}",
            )  # fmt: skip
        if first.status == "scored":
            return first
        problem = (first.reason or "parse_failure").split(": ", 1)[-1]
        text = await reask_once(
            self.roles, "critic", messages, first.raw,
            f"{problem}; expected one '<criterion>: <score>/5' line per criterion and a last "
            "line 'Total score: <sum>/<most>'",
        )  # fmt: skip
        second = parse_criteria_feedback(text) if text is not None else first
        return second if second.status == "scored" else first

    def route(self, state: OpenRefineState) -> str:
        return FINISH if _stop(state, self.max_rounds, self.target) else REFINE

    async def refine(self, state: OpenRefineState) -> dict[str, Any]:
        attempts = state["attempts"]
        best = _best(attempts) or attempts[-1]
        earlier = sorted(
            (a for a in attempts if a is not best and a["total"] is not None),
            key=lambda a: (a["total"] or 0.0, a["round"]),
        )
        history = "\n\n".join(
            f"Draft {a['round'] + 1} (total {a['total']:g}/{a['top']:g}):\n{a['solution']}\n"
            f"Feedback:\n{a['feedback']}"
            for a in earlier
        )
        messages = load_prompt(REFINE_PROMPT).render(
            question=Untrusted(state["prompt"], "QUESTION"),
            earlier=Untrusted(history or "(none)", "EARLIER DRAFTS"),
            response=Untrusted(best["solution"], "RESPONSE"),
            feedback=Untrusted(best["feedback"], "FEEDBACK"),
            answer_format=self.answer_format,
        )
        result = await self.roles.complete("actor", messages)
        return {"solution": result.text, "rounds": state.get("rounds", 0) + 1}

    async def finish(self, state: OpenRefineState) -> dict[str, Any]:
        attempts = state.get("attempts", [])
        best = _best(attempts)
        first = attempts[0]["total"] if attempts else None
        update: dict[str, Any] = {
            "stop_reason": _stop(state, self.max_rounds, self.target) or "max_rounds",
            "best_round": best["round"] if best else 0,
            "best_score": best["total"] if best else None,
            "first_score": first,
            "solution": best["solution"] if best else state["solution"],
            "sft": [],
            "pairs": [],
        }
        if best is not None and first is not None and best["round"] > 0 and best["total"] > first:  # type: ignore[operator]
            messages = load_prompt(self.actor.prompt).render(
                question=state["prompt"], answer_format=self.answer_format
            )
            reply: ChatMessage = {"role": "assistant", "content": best["solution"]}
            update["sft"] = [
                make_sft_record(
                    [*messages, reply], technique=TECHNIQUE, item_id=state.get("item_id"),
                    round=best["round"], verified_by="critic_score", feedback="criteria",
                )
            ]  # fmt: skip
        return update


def _stop(state: OpenRefineState, max_rounds: int, target: float | None) -> OpenStopReason | None:
    attempts = state.get("attempts") or []
    if not attempts:
        return None
    last = attempts[-1]
    if last["total"] is None:
        return "critic_unscored"
    goal = target if target is not None else last["top"]
    if goal is not None and last["total"] >= goal:
        return "target"
    before = _best(attempts[:-1])
    if before is not None and last["total"] <= (before["total"] or 0.0):
        return "no_improvement"
    if state.get("rounds", 0) >= max_rounds:
        return "max_rounds"
    return None


def build_open_refine(
    roles: Roles, *, max_rounds: int, target_score: float | None, answer_format: str
) -> StateGraph[Any]:
    """The Self-Refine graph builder (compiled by ``create_refine_graph``)."""
    loop = _OpenLoop(roles, max_rounds, target_score, answer_format)
    builder = StateGraph(OpenRefineState)
    for node_name, fn in (
        (SOLVE, loop.solve),
        (FEEDBACK, loop.feedback),
        (REFINE, loop.refine),
        (FINISH, loop.finish),
    ):
        add_traced(builder, node_name, fn, roles)
    builder.add_edge(START, SOLVE)
    builder.add_edge(SOLVE, FEEDBACK)
    add_route(builder, FEEDBACK, loop.route, [REFINE, FINISH])
    builder.add_edge(REFINE, FEEDBACK)
    builder.add_edge(FINISH, END)
    return builder
