"""A run's summary, computed from its store (so ``sparring view`` shows the same as the run).

Health monitors follow B-STaR's split: exploration (how varied the candidates are, pass@k) and
exploitation (how well the judge or verifier separates correct from incorrect candidates).
They are read from items' outputs: ``candidates`` or ``samples`` with ``answer`` / ``correct`` /
``score``, or a judging graph's ``responses`` and mean ``scores`` checked against the item's gold.
Graphs with rounds or turns (debate, try-again) report ``rounds_correct``: for each trajectory
(a debater, an episode) whether its answer was right after each round; the summary gives the
accuracy by round and the right-to-wrong and wrong-to-right flips into each round.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from pydantic import BaseModel, Field

from sparring.memory._store import RunStore
from sparring.run._calibration import calibration_counters, calibration_metrics

__all__ = ["ModelUsage", "RoleUsage", "RoundHealth", "RunSummary", "item_health", "summarize"]


class RoleUsage(BaseModel):
    """Tokens, cost and verdict health for one role."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0
    judged: int = 0
    unscored: int = 0
    swaps: int = 0
    swap_agreed: int = 0

    @property
    def swap_agreement(self) -> float | None:
        """Share of this role's both-order comparisons whose orders agreed."""
        return self.swap_agreed / self.swaps if self.swaps else None

    @property
    def unscored_rate(self) -> float | None:
        """Unscored verdicts over verdicts asked (None when the role judged nothing)."""
        return self.unscored / self.judged if self.judged else None


class ModelUsage(BaseModel):
    """Calls, retries and failures for one model."""

    calls: int = 0
    retries: int = 0
    failed: int = 0
    cache_hits: int = 0


class RoundHealth(BaseModel):
    """Accuracy in one round (or turn) and the flips into it, over every trajectory.

    Attributes:
        round: The round (0 is the first answer).
        trajectories: Trajectories (debaters, episodes) that reached it.
        correct: Those right in it.
        right_wrong: Those right in the round before and wrong in it.
        wrong_right: Those wrong in the round before and right in it.
        from_right: Those right in the round before (the flips' denominator).
    """

    round: int
    trajectories: int
    correct: int = 0
    right_wrong: int = 0
    wrong_right: int = 0
    from_right: int = 0

    @property
    def accuracy(self) -> float | None:
        """Share right in this round."""
        return self.correct / self.trajectories if self.trajectories else None

    @property
    def right_wrong_rate(self) -> float | None:
        """Share of those right the round before that went wrong (None in round 0)."""
        return self.right_wrong / self.from_right if self.round and self.from_right else None

    @property
    def wrong_right_rate(self) -> float | None:
        """Share of those wrong the round before that went right (None in round 0)."""
        wrong = self.trajectories - self.from_right
        return self.wrong_right / wrong if self.round and wrong else None


class RunSummary(BaseModel):
    """Everything ``sparring view`` prints."""

    status: str
    detail: str | None
    graph: str
    items: dict[str, int]
    unscored_items: int
    input_errors: int
    records: dict[str, int]
    refused: dict[str, int]
    roles: dict[str, RoleUsage]
    models: dict[str, ModelUsage]
    swaps: int
    swap_agreed: int
    exploration: dict[str, float]
    exploitation: dict[str, float]
    length_ratio: float | None
    by_round: list[RoundHealth] = Field(default_factory=list)
    calibration: dict[str, float] = Field(default_factory=dict)
    answer_extraction: str = "strict"

    @property
    def swap_agreement(self) -> float | None:
        """Share of both-order comparisons whose orders agreed."""
        return self.swap_agreed / self.swaps if self.swaps else None


def _usage(store: RunStore) -> tuple[dict[str, RoleUsage], dict[str, ModelUsage]]:
    roles: dict[str, RoleUsage] = defaultdict(RoleUsage)
    models: dict[str, ModelUsage] = defaultdict(ModelUsage)
    for t in store.call_totals():
        model = models[t.model]
        model.calls += t.calls
        model.cache_hits += t.cache_hits
        model.failed += t.failed
        model.retries += t.retries
        if not t.calls:  # retries only (the call itself is still running)
            continue
        role = roles[t.role]
        role.calls += t.calls
        role.prompt_tokens += t.prompt_tokens
        role.completion_tokens += t.completion_tokens
        role.cost_usd += t.cost_usd
        role.unpriced_calls += t.unpriced
    return dict(roles), dict(models)


def _auc(pairs: list[tuple[float, bool]]) -> float | None:
    pos = [s for s, ok in pairs if ok]
    neg = [s for s, ok in pairs if not ok]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _from_responses(output: dict[str, Any], gold: str | None) -> list[dict[str, Any]]:
    """Candidates of judging graphs (``responses`` + mean ``scores``), checked against gold."""
    from sparring.verify import extract_answer, is_equiv

    responses = output.get("responses") or []
    means = {
        s.get("index"): s.get("mean") for s in output.get("scores") or [] if isinstance(s, dict)
    }
    out = []
    for i, text in enumerate(responses):
        if not isinstance(text, str):
            continue
        answer = extract_answer(text)
        correct = None if gold is None or answer is None else is_equiv(answer, gold)
        out.append({"answer": answer, "correct": correct, "score": means.get(i)})
    return out


def _candidates(output: dict[str, Any], gold: str | None) -> list[dict[str, Any]]:
    """What an item's output says about its candidates: answer, correct, score."""
    for key in ("candidates", "samples"):
        rows = [c for c in output.get(key) or [] if isinstance(c, dict) and "answer" in c]
        if rows:
            return [
                {
                    "answer": c.get("answer"),
                    "correct": c.get("correct"),
                    "score": c.get("score", c.get("weight")),
                }
                for c in rows
            ]
    return _from_responses(output, gold)


_MICRO = 1_000_000  # counters are integers: fractions are kept in millionths
_ROUND_RE = re.compile(r"^health/round(\d+)/(\w+)$")


def _trajectories(output: dict[str, Any]) -> list[list[bool]]:
    """The item's ``rounds_correct``: per trajectory, right or wrong after each round."""
    rows = output.get("rounds_correct")
    if not isinstance(rows, list):
        return []
    return [
        list(t) for t in rows if isinstance(t, list) and t and all(isinstance(x, bool) for x in t)
    ]


def _round_counters(trajectories: list[list[bool]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for path in trajectories:
        for t, right in enumerate(path):
            key = f"health/round{t}"
            out[f"{key}/n"] += 1
            out[f"{key}/correct"] += right
            if t:
                before = path[t - 1]
                out[f"{key}/from_right"] += before
                out[f"{key}/right_wrong"] += before and not right
                out[f"{key}/wrong_right"] += right and not before
    return out


def item_health(
    output: dict[str, Any], gold: str | None, pairs: list[dict[str, Any]]
) -> dict[str, int]:
    """One item's share of the health monitors, as counters summed over the run.

    ``health/distinct`` / ``health/candidate_items`` is the mean number of distinct answers;
    ``health/passed`` / ``health/flagged_items`` is pass@k; ``health/auc_micro`` /
    ``health/auc_items`` the judge's mean AUC (millionths); ``health/len_ratio_micro`` /
    ``health/len_pairs`` the mean chosen/rejected length ratio of the pairs (millionths).
    """
    out: dict[str, int] = {"health/items": 1}  # marks items counted this way
    # One candidate has nothing to explore or to rank: the monitors would only restate accuracy.
    if len(cands := _candidates(output, gold)) > 1:
        out["health/candidate_items"] = 1
        out["health/distinct"] = len({c["answer"] for c in cands if c.get("answer") is not None})
        flags = [c["correct"] for c in cands if c.get("correct") is not None]
        if flags:
            out["health/flagged_items"], out["health/passed"] = 1, int(any(flags))
        scored = [
            (float(c["score"]), bool(c["correct"]))
            for c in cands
            if c.get("score") is not None and c.get("correct") is not None
        ]
        if (auc := _auc(scored)) is not None:
            out["health/auc_items"], out["health/auc_micro"] = 1, round(auc * _MICRO)
    out.update(_round_counters(_trajectories(output)))
    out.update(calibration_counters(output))
    ratios = [
        p["meta"]["chosen_len"] / max(p["meta"]["rejected_len"], 1)
        for p in pairs
        if isinstance(p.get("meta"), dict) and "chosen_len" in p["meta"]
    ]
    if ratios:
        out["health/len_pairs"] = len(ratios)
        out["health/len_ratio_micro"] = round(sum(ratios) * _MICRO)
    return {k: v for k, v in out.items() if v}


def _health_counters(store: RunStore, counters: dict[str, int]) -> dict[str, int]:
    """The run's health counters; rebuilt from outputs for a run written before they existed."""
    if "health/items" in counters or not counters:
        return counters
    totals: dict[str, int] = defaultdict(int)
    for index, output in store.outputs():
        item = store.item(index)
        gold = item["input"].get("answer") if item is not None else None
        for key, value in item_health(output, gold, []).items():
            totals[key] += value
    for key, value in item_health({}, None, list(store.records("pairs"))).items():
        totals[key] += value
    return dict(totals)


def _ratio(counters: dict[str, int], top: str, bottom: str, scale: float = 1.0) -> float | None:
    # Zero counters are not stored: a missing top is 0 (no distinct answer, none passed).
    return counters.get(top, 0) / counters[bottom] / scale if counters.get(bottom) else None


def _health(counters: dict[str, int]) -> tuple[dict[str, float], dict[str, float], float | None]:
    """Exploration, exploitation and the length ratio, from the health counters."""
    exploration: dict[str, float] = {}
    if (distinct := _ratio(counters, "health/distinct", "health/candidate_items")) is not None:
        exploration["distinct_answers_per_item"] = distinct
    if (passed := _ratio(counters, "health/passed", "health/flagged_items")) is not None:
        exploration["pass_at_k"] = passed
    exploitation: dict[str, float] = {}
    if (auc := _ratio(counters, "health/auc_micro", "health/auc_items", _MICRO)) is not None:
        exploitation = {"judge_auc": auc, "items": float(counters["health/auc_items"])}
    length = _ratio(counters, "health/len_ratio_micro", "health/len_pairs", _MICRO)
    return exploration, exploitation, length


def _by_round(counters: dict[str, int]) -> list[RoundHealth]:
    """Accuracy and flips by round, from the ``health/round<t>/...`` counters."""
    fields: dict[int, dict[str, int]] = defaultdict(dict)
    for key, value in counters.items():
        if (m := _ROUND_RE.match(key)) is not None:
            fields[int(m[1])][m[2]] = value
    return [
        RoundHealth(
            round=t,
            trajectories=f.get("n", 0),
            correct=f.get("correct", 0),
            right_wrong=f.get("right_wrong", 0),
            wrong_right=f.get("wrong_right", 0),
            from_right=f.get("from_right", 0),
        )
        for t, f in sorted(fields.items())
        if f.get("n")
    ]


def _attribute_swaps(roles: dict[str, RoleUsage], counters: dict[str, int], graph: str) -> None:
    """Credit the run's swap counters to the role its graph compares with."""
    from sparring.graphs import REGISTRY

    role = REGISTRY[graph].compares if graph in REGISTRY else None
    if role is not None and counters.get("swaps"):
        row = roles.setdefault(role, RoleUsage())
        row.swaps, row.swap_agreed = counters["swaps"], counters.get("swap_agreed", 0)


def summarize(store: RunStore) -> RunSummary:
    """Compute the summary of the run in ``store`` (answers read by the run's own rule)."""
    from sparring.verify import use_answer_extraction

    rule = str((store.load_config() or {}).get("answer_extraction", "strict"))
    with use_answer_extraction(rule):
        return _summarize(store, rule)


def _summarize(store: RunStore, rule: str) -> RunSummary:
    counters = store.counters()
    roles, models = _usage(store)
    for key, value in counters.items():
        group, _, role = key.partition("/")
        if group in ("judged", "unscored"):
            row = roles.setdefault(role, RoleUsage())
            setattr(row, group, getattr(row, group) + value)
    health = _health_counters(store, counters)
    exploration, exploitation, length = _health(health)
    _attribute_swaps(roles, counters, str((store.load_config() or {}).get("graph", "")))
    status, detail = store.status()
    config = store.load_config() or {}
    return RunSummary(
        status=status,
        detail=detail,
        graph=str(config.get("graph", "?")),
        items=dict(store.counts()),
        unscored_items=store.unscored_count(),
        input_errors=len(store.input_errors()),
        records=dict(store.record_counts()),
        refused={k.split("/", 1)[1]: v for k, v in counters.items() if k.startswith("refused/")},
        roles=roles,
        models=models,
        swaps=counters.get("swaps", 0),
        swap_agreed=counters.get("swap_agreed", 0),
        exploration=exploration,
        exploitation=exploitation,
        length_ratio=length,
        by_round=_by_round(health),
        calibration=calibration_metrics(health),
        answer_extraction=rule,
    )
