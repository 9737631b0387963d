"""Meta-Rewarding's judge-pair steps: pick a response, meta-judge its judgments, fit, pair.

The response whose scored judgments vary most is the one whose judgments are worth ranking.
Every unordered pair of its scored judgments is meta-judged in both orders; each order is one
``Battle`` (the first-shown judgment is ``first``), the battles are fitted with Bradley–Terry
and Meta-Rewarding's position weights, and the best and the worst judgment by the fit form a
judgment preference pair whose prompt is the judge prompt the judge saw.
"""

from __future__ import annotations

import operator
import warnings
from itertools import combinations
from typing import Annotated, Any, Literal

from langgraph.graph import END
from langgraph.types import Send
from typing_extensions import TypedDict

from sparring.agents import Judge, MetaJudge, Verdict, verdict_counts
from sparring.graphs._reward_common import (
    ResponseJudgments,
    ResponseScore,
    RewardNodes,
    RewardState,
)
from sparring.graphs._state import merge_counts
from sparring.memory.ratings import Battle, Outcome, bradley_terry
from sparring.models import ChatMessage
from sparring.records import RecordRefused, make_pair

__all__ = [
    "JUDGE_PAIR",
    "META_JUDGE",
    "MetaComparison",
    "MetaNodes",
    "MetaRewardState",
    "MetaSelection",
    "MetaTask",
    "battles_from",
    "fit_judgments",
    "judge_messages",
    "pick_target",
]

META_JUDGE = "meta_judge"
JUDGE_PAIR = "judge_pair"
_OUTCOME: dict[str, Outcome] = {"A": "first", "B": "second", "tie": "tie"}
_PREFIX = "judgment: "


class MetaTask(TypedDict):
    """The input of one meta-judge branch: judgments ``a`` and ``b`` of one response."""

    prompt: str
    response: str
    a: int
    b: int
    judgment_a: str
    judgment_b: str


class MetaComparison(TypedDict):
    """Judgments ``a`` and ``b`` compared in both orders (verdicts as plain data).

    ``first`` saw ``a`` as judgment A; ``swapped`` saw ``b`` as judgment A (None when only one
    order was asked, e.g. for a degenerate judgment); ``outcome`` is the combined result in the
    labels of ``first``.
    """

    a: int
    b: int
    first: dict[str, Any]
    swapped: dict[str, Any] | None
    outcome: dict[str, Any]


class MetaSelection(TypedDict):
    """The Bradley–Terry fit over one response's judgments.

    Attributes:
        response_index: The response whose judgments were ranked.
        judgments: The judgment indices (into that response's verdicts) that took part.
        ratings: Log-strength per judgment index (as a string key).
        ranking: Judgment indices, best first.
        position_weights: ``(w1, w2)`` of the position weighting.
        n_battles: Battles fitted (scored per-order meta verdicts).
        converged: Whether the fit converged.
        chosen: The best judgment, or None when the fit cannot separate best and worst.
        rejected: The worst judgment, or None likewise.
    """

    response_index: int
    judgments: list[int]
    ratings: dict[str, float]
    ranking: list[int]
    position_weights: list[float] | None
    n_battles: int
    converged: bool
    chosen: int | None
    rejected: int | None


class MetaRewardState(RewardState, total=False):
    """``RewardState`` plus the judge-pair steps.

    Attributes:
        meta_target: The response chosen for meta-judging (most varied judgments), or None.
        comparisons: The meta-judge comparisons (one per unordered pair of judgments).
        meta: The Bradley–Terry selection, when there were battles to fit.
    """

    meta_target: int | None
    comparisons: Annotated[list[MetaComparison], operator.add]
    meta: MetaSelection | None


def pick_target(scores: list[ResponseScore]) -> int | None:
    """The response with the highest variance of scored judgments (> 0); lowest index on ties."""
    varied = [(v, s["index"]) for s in scores if (v := s["variance"]) is not None and v > 0]
    if not varied:
        return None
    return max(varied, key=lambda item: (item[0], -item[1]))[1]


def scored_judgments(judgments: list[ResponseJudgments], index: int) -> dict[int, str]:
    """Judgment index to text for the scored judgments of response ``index``."""
    for entry in judgments:
        if entry["index"] == index:
            verdicts = [Verdict.model_validate(v) for v in entry["verdicts"]]
            return {j: v.raw for j, v in enumerate(verdicts) if v.is_scored}
    return {}


def battles_from(comparisons: list[MetaComparison]) -> list[Battle]:
    """One battle per scored per-order verdict; the first-shown judgment is ``first``."""
    out: list[Battle] = []
    for c in comparisons:
        a, b = str(c["a"]), str(c["b"])
        first = Verdict.model_validate(c["first"])
        if first.is_scored:
            out.append(Battle(a, b, _OUTCOME[first.require_choice()]))
        if c["swapped"] is not None:
            swapped = Verdict.model_validate(c["swapped"])
            if swapped.is_scored:
                out.append(Battle(b, a, _OUTCOME[swapped.require_choice()]))
    return out


def fit_judgments(
    battles: list[Battle], judgments: list[int], response_index: int
) -> MetaSelection:
    """Fit Bradley–Terry with position weights; best and worst judgment when they differ.

    Equal ratings are ordered by judgment index (the lowest first), so a tie at the top goes to
    the lowest index and a tie at the bottom to the highest.

    Args:
        battles: At least one battle.
        judgments: Every judgment index that took part (rated even without a battle).
        response_index: The response the judgments are about.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # convergence is recorded instead
        fit = bradley_terry(battles, position_weighted=True, items=[str(j) for j in judgments])
    # best first; equal ratings (to 12 decimals) by judgment index, numerically
    ranking = sorted(judgments, key=lambda j: (-round(fit.scores[str(j)], 12), j))
    best, worst = ranking[0], ranking[-1]
    separated = fit.scores[str(best)] - fit.scores[str(worst)] > 1e-9
    return {
        "response_index": response_index,
        "judgments": list(judgments),
        "ratings": dict(fit.scores),
        "ranking": ranking,
        "position_weights": list(fit.position_weights) if fit.position_weights else None,
        "n_battles": fit.n_battles,
        "converged": fit.converged,
        "chosen": best if separated else None,
        "rejected": worst if separated else None,
    }


def judge_messages(
    judge: Judge, question: str, response: str, reference: str | None
) -> list[ChatMessage]:
    """The judge prompt exactly as ``Judge.score`` renders it (nonces are content-keyed)."""
    return judge.messages(question, response, reference=reference)


def _message(messages: list[ChatMessage], role: Literal["system", "user"]) -> str:
    return "\n\n".join(m["content"] for m in messages if m["role"] == role)


class MetaNodes:
    """The Meta-Rewarding steps on top of ``RewardNodes``.

    Args:
        base: The shared steps (roles, options, actor and judge).
        judge_pairs: Whether to meta-judge and emit judgment pairs.
        max_judgment_chars: Refuse judgment pairs whose chosen judgment is longer (None: no
            cap).
        meta_prompt: The meta-judge's template; one that declares ``rubric`` is shown the
            rubric the judge grades with (the judge's own rubric template, not a copy).
    """

    def __init__(
        self,
        base: RewardNodes,
        *,
        judge_pairs: bool,
        max_judgment_chars: int | None,
        meta_prompt: str = "meta_judge/rubric",
    ):
        self.base, self.judge_pairs, self.max_judgment_chars = base, judge_pairs, max_judgment_chars
        self.meta_judge = MetaJudge(base.roles, prompt=meta_prompt, rubric=base.judge.rubric)
        self.models = {
            "judge": base.models["judge"],
            "meta_judge": base.roles.resolve("meta_judge").name,
        }

    async def select(self, state: MetaRewardState) -> dict[str, Any]:
        """Score, emit the actor pair, and pick the response whose judgments to rank."""
        update = await self.base.select_pair(state)
        target = pick_target(update["scores"]) if self.judge_pairs else None
        update["meta_target"] = target
        if self.judge_pairs and target is None:
            refused = {_PREFIX + "no varied judgments": 1}
            update["refused"] = merge_counts(update.get("refused"), refused)
        return update

    def route_meta(self, state: MetaRewardState) -> list[Send] | str:
        """One meta-judge branch per unordered pair of the target's scored judgments."""
        target = state.get("meta_target")
        if target is None:
            return END
        texts = scored_judgments(state.get("judgments") or [], target)
        response = state["responses"][target]
        return [
            Send(
                META_JUDGE,
                MetaTask(
                    prompt=state["prompt"],
                    response=response,
                    a=a,
                    b=b,
                    judgment_a=texts[a],
                    judgment_b=texts[b],
                ),
            )
            for a, b in combinations(sorted(texts), 2)
        ]

    async def compare(self, task: MetaTask) -> dict[str, Any]:
        """Meta-judge two judgments in both orders (unscored on failure, never raised)."""
        judged = await self.meta_judge.compare(
            task["prompt"],
            task["response"],
            task["judgment_a"],
            task["judgment_b"],
            **self.base.sampling(self.base.options.judge_temperature),
        )
        outcome = judged.outcome
        entry = MetaComparison(
            a=task["a"],
            b=task["b"],
            first=judged.first.model_dump(),
            swapped=judged.swapped.model_dump() if judged.swapped is not None else None,
            outcome=outcome.model_dump(),
        )
        update: dict[str, Any] = {"comparisons": [entry]}
        update.update(verdict_counts("meta_judge", judged.verdicts))
        if outcome.is_scored and judged.swapped is not None:
            update.update(swaps=1, swap_agreed=int(outcome.swap_agreement is True))
        return update

    async def judgment_pair(self, state: MetaRewardState) -> dict[str, Any]:
        """Fit the battles and emit the best-vs-worst judgment pair (or count why not)."""
        target = state.get("meta_target")
        comparisons = state.get("comparisons") or []
        battles = battles_from(comparisons)
        if target is None or not battles:
            return {"refused": {_PREFIX + "meta-judge unscored": 1}}
        texts = scored_judgments(state.get("judgments") or [], target)
        selection = fit_judgments(battles, sorted(texts), target)
        update: dict[str, Any] = {"meta": selection}
        chosen, rejected = selection["chosen"], selection["rejected"]
        if chosen is None or rejected is None:
            update["refused"] = {_PREFIX + "tie": 1}
            return update
        if self.max_judgment_chars is not None and len(texts[chosen]) > self.max_judgment_chars:
            update["refused"] = {_PREFIX + "chosen too long": 1}
            return update
        update.update(self._pair(state, target, texts, selection, comparisons))
        return update

    def _pair(
        self,
        state: MetaRewardState,
        target: int,
        texts: dict[int, str],
        selection: MetaSelection,
        comparisons: list[MetaComparison],
    ) -> dict[str, Any]:
        chosen, rejected = selection["chosen"], selection["rejected"]
        assert chosen is not None
        assert rejected is not None
        messages = judge_messages(
            self.base.judge, state["prompt"], state["responses"][target], state.get("reference")
        )
        scores = next(s for s in state.get("scores") or [] if s["index"] == target)
        judge_scores = _judge_scores(state.get("judgments") or [], target)
        try:
            pair = make_pair(
                _message(messages, "user"),
                texts[chosen],
                texts[rejected],
                technique=self.base.options.technique,
                kind="judgment",
                models=dict(self.models),
                chosen_score=selection["ratings"][str(chosen)],
                rejected_score=selection["ratings"][str(rejected)],
                unscored=_meta_unscored(comparisons),
                seed=self.base.seed,
                item_id=state.get("item_id"),
                extra={
                    "judge_system": _message(messages, "system"),
                    "response_index": target,
                    "response_variance": scores["variance"],
                    "chosen_judgment": chosen,
                    "rejected_judgment": rejected,
                    "chosen_judge_score": judge_scores.get(chosen),
                    "rejected_judge_score": judge_scores.get(rejected),
                    "ratings": selection["ratings"],
                    "position_weights": selection["position_weights"],
                    "n_battles": selection["n_battles"],
                },
            )
        except RecordRefused as exc:
            return {"refused": {_PREFIX + exc.reason: 1}}
        return {"pairs": [pair]}


def _meta_unscored(comparisons: list[MetaComparison]) -> int:
    raw = [v for c in comparisons for v in (c["first"], c["swapped"]) if v is not None]
    return sum(not Verdict.model_validate(v).is_scored for v in raw)


def _judge_scores(judgments: list[ResponseJudgments], index: int) -> dict[int, float]:
    for entry in judgments:
        if entry["index"] == index:
            verdicts = [Verdict.model_validate(v) for v in entry["verdicts"]]
            return {j: v.require_score() for j, v in enumerate(verdicts) if v.is_scored}
    return {}
