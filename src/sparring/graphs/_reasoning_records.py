"""Records the reasoning graphs emit: verified SFT targets and per-sample RL rewards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sparring.graphs._reasoning_common import Sample
from sparring.records import RecordRefused, make_rl_record, make_sft_record

__all__ = ["merge_refusals", "outcome_records", "sft_target"]


def merge_refusals(into: dict[str, int], reason: str) -> None:
    """Count one refused record under ``reason``."""
    into[reason] = into.get(reason, 0) + 1


def sft_target(
    prompt: str, text: str, refused: dict[str, int], **meta: Any
) -> list[dict[str, Any]]:
    """An SFT record (user prompt, assistant ``text``) as a one-item list, or none if refused."""
    try:
        record = make_sft_record(
            [{"role": "user", "content": prompt}, {"role": "assistant", "content": text}], **meta
        )
    except RecordRefused as exc:
        merge_refusals(refused, exc.reason)
        return []
    return [dict(record)]


def outcome_records(
    state: Mapping[str, Any],
    samples: Sequence[Sample],
    best: Sample | None,
    *,
    technique: str,
    models: dict[str, str],
    **meta: Any,
) -> dict[str, Any]:
    """RL records for every graded sample and an SFT record of ``best`` when it is correct.

    Nothing is emitted without a gold answer: an unverified selection is not training data.

    Args:
        state: The graph state (``prompt``, ``answer``, ``item_id``).
        samples: The graded samples.
        best: The selected sample, if any.
        technique: The graph's name.
        models: Role name to model string.
        **meta: Further provenance for every record.

    Returns:
        A state update with ``rl``, ``sft`` and ``refused`` (only the keys that apply).
    """
    gold = state.get("answer")
    if gold is None:
        return {}
    prompt, item_id = state["prompt"], state.get("item_id")
    base = {"technique": technique, "models": models, "item_id": item_id, "gold": gold, **meta}
    refused: dict[str, int] = {}
    rl: list[dict[str, Any]] = []
    for s in samples:
        reward = 1.0 if s["correct"] else -1.0
        extra = {"sample": s["index"], "final_answer": s["answer"], **base}
        try:
            rl.append(dict(make_rl_record(prompt, s["text"], reward, **extra)))
        except RecordRefused as exc:
            merge_refusals(refused, exc.reason)
    sft: list[dict[str, Any]] = []
    if best is not None and best["correct"]:
        sft = sft_target(prompt, best["text"], refused, sample=best["index"], **base)
    update: dict[str, Any] = {"rl": rl, "sft": sft}
    if refused:
        update["refused"] = refused
    return update
