"""Shared steps of the Self-Rewarding and Meta-Rewarding graphs: sample, judge, score, pair.

The actor writes K responses to the prompt; each response gets N pointwise judgments (one
``Send`` branch per response, N samples in one call); the mean of the *scored* judgments ranks
the responses (an unscored judgment never becomes a number, and a response with no scored
judgment takes no part); the best and the worst form a preference pair, chosen with the
length-control tier rule (``rho = 0`` is plain best versus worst).
"""

from __future__ import annotations

import operator
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from typing_extensions import TypedDict

from sparring.agents import Actor, Judge, Verdict, verdict_counts
from sparring.errors import ConfigError, ModelCallError
from sparring.graphs._nodes import add_route, add_traced
from sparring.graphs._options import check_range
from sparring.graphs._reward_length import length_controlled_pair
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import Roles
from sparring.records import RecordRefused, make_pair

__all__ = [
    "ANSWER_FORMAT",
    "JUDGE",
    "SAMPLE",
    "SELECT",
    "JudgeTask",
    "ResponseJudgments",
    "ResponseScore",
    "RewardNodes",
    "RewardOptions",
    "RewardState",
    "add_reward_steps",
    "add_traced",
    "summarise",
]

S = TypeVar("S")
U = TypeVar("U")

SAMPLE = "sample"
JUDGE = "judge"
SELECT = "select_pair"

ANSWER_FORMAT = "Give a direct and complete answer."
"""What the actor is asked for by default (open-ended instructions, not a fixed answer line)."""


class JudgeTask(TypedDict):
    """The input of one judge branch: a response to score N times."""

    prompt: str
    reference: str | None
    index: int
    response: str


class ResponseJudgments(TypedDict):
    """The N judgments of response ``index``, as ``Verdict.model_dump()`` data."""

    index: int
    verdicts: list[dict[str, Any]]


class ResponseScore(TypedDict):
    """What the judgments say about one response.

    Attributes:
        index: The response's position in ``responses``.
        length: Characters in the response.
        scores: The scored judgments' scores, in judgment order.
        mean: Their mean, or None when no judgment was scored.
        variance: Their population variance, or None with fewer than two.
        unscored: Judgments that came back unscored.
    """

    index: int
    length: int
    scores: list[float]
    mean: float | None
    variance: float | None
    unscored: int


class RewardState(ItemInput, RecordsState, total=False):
    """State shared by the rewarding graphs.

    Attributes:
        responses: The actor's responses (exact duplicates removed when ``dedupe``).
        duplicates: Responses dropped as exact duplicates.
        actor_error: Why the actor call failed, if it did.
        judgments: Every response's judgments (one entry per judge branch).
        scores: Per-response scores, in response order.
    """

    responses: list[str]
    duplicates: int
    actor_error: str | None
    judgments: Annotated[list[ResponseJudgments], operator.add]
    scores: list[ResponseScore]


@dataclass(frozen=True)
class RewardOptions:
    """The options both rewarding factories share (see their docstrings)."""

    technique: str
    n_responses: int
    n_judgments: int
    temperature: float
    top_p: float | None
    judge_temperature: float
    rho: float
    dedupe: bool
    max_chosen_chars: int | None
    answer_format: str
    seed: int | None

    def validate(self, *, min_judgments: int = 1) -> None:
        """Raise ``ConfigError`` naming the first option out of range."""
        check_range("n_responses", self.n_responses, 2, integer=True)
        check_range("n_judgments", self.n_judgments, min_judgments, integer=True)
        check_range("temperature", self.temperature, 0.0, 2.0)
        if self.top_p is not None:
            check_range("top_p", self.top_p, 0.0, 1.0, open_low=True)
        check_range("judge_temperature", self.judge_temperature, 0.0, 2.0)
        check_range("rho", self.rho, 0.0, 1.0)
        if not isinstance(self.dedupe, bool):
            raise ConfigError(f"dedupe must be True or False, got {self.dedupe!r}")
        if self.max_chosen_chars is not None:
            check_range("max_chosen_chars", self.max_chosen_chars, 1, integer=True)
        if not isinstance(self.answer_format, str):
            raise ConfigError(f"answer_format must be a string, got {self.answer_format!r}")
        if self.seed is not None:
            check_range("seed", self.seed, 0, integer=True)


def _dedupe(texts: list[str]) -> tuple[list[str], int]:
    seen: set[str] = set()
    kept: list[str] = []
    for text in texts:
        if text.strip() not in seen:
            seen.add(text.strip())
            kept.append(text)
    return kept, len(texts) - len(kept)


def summarise(responses: list[str], judgments: list[ResponseJudgments]) -> list[ResponseScore]:
    """Per-response scores from the judge branches' verdicts (unscored ones are only counted)."""
    by_index = {j["index"]: j["verdicts"] for j in judgments}
    out: list[ResponseScore] = []
    for index, text in enumerate(responses):
        verdicts = [Verdict.model_validate(v) for v in by_index.get(index, [])]
        scores = [v.require_score() for v in verdicts if v.is_scored]
        out.append(
            {
                "index": index,
                "length": len(text),
                "scores": scores,
                "mean": statistics.fmean(scores) if scores else None,
                "variance": statistics.pvariance(scores) if len(scores) > 1 else None,
                "unscored": len(verdicts) - len(scores),
            }
        )
    return out


class RewardNodes:
    """The sample, judge and select-pair steps, bound to roles and options.

    Args:
        roles: The role bindings (``actor`` and ``judge``).
        options: The validated options.
        min_judged: Fewer distinct responses than this skip judging (Self-Rewarding needs two
            for a pair; Meta-Rewarding still ranks the judgments of a single one).
    """

    def __init__(self, roles: Roles, options: RewardOptions, *, min_judged: int = 2) -> None:
        self.roles, self.options, self.min_judged = roles, options, min_judged
        self.actor = Actor(roles)
        self.judge = Judge(roles)
        self.models = {role: roles.resolve(role).name for role in ("actor", "judge")}
        self.seed = options.seed if options.seed is not None else roles.resolve("actor").seed

    def sampling(self, temperature: float) -> dict[str, Any]:
        """Call options for one role call."""
        out: dict[str, Any] = {"temperature": temperature}
        if self.options.top_p is not None:
            out["top_p"] = self.options.top_p
        if self.options.seed is not None:
            out["seed"] = self.options.seed
        return out

    async def sample(self, state: RewardState) -> dict[str, Any]:
        """Ask the actor for K responses (a failed call is recorded, not raised)."""
        opts = self.options
        try:
            result = await self.actor.answer(
                state["prompt"],
                n=opts.n_responses,
                answer_format=opts.answer_format,
                **self.sampling(opts.temperature),
            )
        except ModelCallError as err:
            return {
                "responses": [],
                "duplicates": 0,
                "actor_error": str(err)[:500],
                "refused": {"actor error": 1},
            }
        texts, dropped = _dedupe(result.texts) if opts.dedupe else (result.texts, 0)
        return {"responses": texts, "duplicates": dropped, "actor_error": None}

    def route_judges(self, state: RewardState) -> list[Send] | str:
        """One judge branch per response; past judging when there are too few to judge."""
        responses = state.get("responses") or []
        if not responses:
            return END  # the actor failed; already counted
        if len(responses) < self.min_judged:
            return SELECT
        reference = state.get("reference")
        return [
            Send(JUDGE, JudgeTask(prompt=state["prompt"], reference=reference, index=i, response=r))
            for i, r in enumerate(responses)
        ]

    async def judge_response(self, task: JudgeTask) -> dict[str, Any]:
        """N pointwise judgments of one response (unscored on failure, never raised)."""
        verdicts = await self.judge.score(
            task["prompt"],
            task["response"],
            n=self.options.n_judgments,
            reference=task.get("reference"),
            **self.sampling(self.options.judge_temperature),
        )
        entry = ResponseJudgments(index=task["index"], verdicts=[v.model_dump() for v in verdicts])
        return {"judgments": [entry], **verdict_counts("judge", verdicts)}

    async def select_pair(self, state: RewardState) -> dict[str, Any]:
        """Score the responses and emit the actor pair (or count why there is none)."""
        responses = state.get("responses") or []
        scores = summarise(responses, state.get("judgments") or [])
        return {"scores": scores, **self.actor_pair(state, responses, scores)}

    def actor_pair(
        self, state: RewardState, responses: list[str], scores: list[ResponseScore]
    ) -> dict[str, Any]:
        """The length-controlled best-versus-worst pair as a state update."""
        opts = self.options
        eligible = [s for s in scores if s["mean"] is not None]
        means = [m for s in eligible if (m := s["mean"]) is not None]
        pick = length_controlled_pair(means, [s["length"] for s in eligible], opts.rho)
        if pick is None:
            if len(responses) < 2:
                return {"refused": {"too few distinct responses": 1}}
            if len(eligible) < 2:
                return {"refused": {"too few scored responses": 1}}
            tie = max(means) - min(means) <= 1e-9
            return {"refused": {"tie" if tie else "no length-controlled pair": 1}}
        chosen, rejected = eligible[pick[0]], eligible[pick[1]]
        if opts.max_chosen_chars is not None and chosen["length"] > opts.max_chosen_chars:
            return {"refused": {"chosen too long": 1}}
        try:
            pair = make_pair(
                state["prompt"],
                responses[chosen["index"]],
                responses[rejected["index"]],
                technique=opts.technique,
                models=dict(self.models),
                chosen_score=chosen["mean"],
                rejected_score=rejected["mean"],
                unscored=sum(s["unscored"] for s in scores),
                seed=self.seed,
                item_id=state.get("item_id"),
                extra={
                    "chosen_index": chosen["index"],
                    "rejected_index": rejected["index"],
                    "means": [s["mean"] for s in scores],
                    "lengths": [s["length"] for s in scores],
                    "rho": opts.rho,
                    "n_responses": opts.n_responses,
                    "n_judgments": opts.n_judgments,
                    "duplicates": state.get("duplicates", 0),
                },
            )
        except RecordRefused as exc:
            return {"refused": {exc.reason: 1}}
        return {"pairs": [pair]}


def add_reward_steps(
    builder: StateGraph[Any, Any, Any, Any],
    nodes: RewardNodes,
    *,
    select: Callable[[Any], Awaitable[dict[str, Any]]] | None = None,
) -> None:
    """Add ``sample -> judge x K -> select_pair`` to ``builder`` (not select_pair's exits).

    Args:
        builder: The graph being built.
        nodes: The bound steps.
        select: A replacement for ``nodes.select_pair`` (a technique that does more there).
    """
    roles = nodes.roles
    add_traced(builder, SAMPLE, nodes.sample, roles)
    add_traced(builder, JUDGE, nodes.judge_response, roles, input_schema=JudgeTask)
    add_traced(builder, SELECT, select or nodes.select_pair, roles)
    builder.add_edge(START, SAMPLE)
    add_route(builder, SAMPLE, nodes.route_judges, [JUDGE, SELECT, END])
    builder.add_edge(JUDGE, SELECT)
