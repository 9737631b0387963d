"""Training records of a search tree: step labels (PRM) and preference pairs.

With a gold answer a step is labelled by the outcomes found under it (Math-Shepherd's hard
estimate): right when some finished solution below it is right, wrong when solutions were
finished below it and none is. Without gold the labels are the critic's step verdicts (the
record says so) and no pair is written, since nothing was verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sparring.graphs._reasoning_records import merge_refusals
from sparring.graphs.search._moves import solution_text, split_step
from sparring.graphs.search._tree import (
    SearchNode,
    children_of,
    path_to,
    path_value,
    q_value,
    subtree_leaves,
)
from sparring.records import (
    PreferencePair,
    PrmRecord,
    RecordRefused,
    make_pair,
    make_prm_record,
)

__all__ = ["TreeRecords", "step_label", "tree_records"]

TreeRecords = tuple[list[PrmRecord], list[PreferencePair], dict[str, int]]


def step_label(tree: Sequence[SearchNode], node: SearchNode, gold: str | None) -> bool | None:
    """Whether the step is right: by the outcomes under it (gold), else by the critic."""
    if gold is None:
        return None if node["value"] is None else node["value"] >= 0.5
    outcomes = [leaf["correct"] for leaf in subtree_leaves(tree, node)]
    if not outcomes:
        return None
    return any(bool(ok) for ok in outcomes)


def _prm(
    tree: Sequence[SearchNode],
    leaf: SearchNode,
    question: str,
    gold: str | None,
    meta: dict[str, Any],
) -> PrmRecord:
    steps: list[str] = []
    labels: list[bool] = []
    for node in path_to(tree, leaf):
        label = step_label(tree, node, gold)
        parts = split_step(node["step"])
        if parts and label is None:
            raise RecordRefused("unlabelled step")
        steps += parts
        labels += [bool(label)] * len(parts)
    return make_prm_record(
        question,
        steps,
        labels,
        labelled_by="critic" if gold is None else "gold",
        final_answer=leaf["answer"],
        correct=leaf["correct"],
        **meta,
    )


def _prompt(tree: Sequence[SearchNode], node: SearchNode, question: str) -> str:
    prefix = solution_text([n["step"] for n in path_to(tree, node)])
    return f"{question}\n\n{prefix}" if prefix else question


def _step_pairs(
    tree: Sequence[SearchNode],
    question: str,
    gold: str,
    meta: dict[str, Any],
    refused: dict[str, int],
) -> list[PreferencePair]:
    pairs: list[PreferencePair] = []
    for node in tree:
        kids = children_of(tree, node)
        good = [c for c in kids if step_label(tree, c, gold) is True]
        bad = [c for c in kids if step_label(tree, c, gold) is False]
        if not good or not bad:
            continue
        chosen, rejected = max(good, key=q_value), max(bad, key=q_value)
        try:
            pairs.append(
                make_pair(
                    _prompt(tree, node, question),
                    chosen["step"],
                    rejected["step"],
                    kind="step",
                    chosen_score=1.0,
                    rejected_score=0.0,
                    extra={"labelled_by": "gold", "depth": chosen["depth"]},
                    **meta,
                )
            )
        except RecordRefused as exc:
            merge_refusals(refused, exc.reason)
    return pairs


def _solution_pair(
    tree: Sequence[SearchNode], question: str, meta: dict[str, Any], refused: dict[str, int]
) -> list[PreferencePair]:
    leaves = [n for n in tree if n["terminal"]]
    right = [n for n in leaves if n["correct"] is True]
    wrong = [n for n in leaves if n["correct"] is False]
    if not right or not wrong:
        return []
    # The best right solution against the wrong one the search rated highest (a hard negative).
    chosen = max(right, key=lambda n: path_value(tree, n))
    rejected = max(wrong, key=lambda n: path_value(tree, n))
    try:
        return [
            make_pair(
                question,
                solution_text([n["step"] for n in path_to(tree, chosen)]),
                solution_text([n["step"] for n in path_to(tree, rejected)]),
                kind="response",
                chosen_score=1.0,
                rejected_score=0.0,
                extra={"labelled_by": "gold"},
                **meta,
            )
        ]
    except RecordRefused as exc:
        merge_refusals(refused, exc.reason)
        return []


def tree_records(
    tree: Sequence[SearchNode], question: str, gold: str | None, meta: dict[str, Any]
) -> TreeRecords:
    """PRM records for every finished path, and (with gold) step and solution pairs.

    Args:
        tree: The search tree.
        question: The item's prompt.
        gold: The gold answer, if known.
        meta: Provenance for every record (``technique``, ``models``, ``item_id``).
    """
    refused: dict[str, int] = {}
    prm: list[PrmRecord] = []
    for leaf in (n for n in tree if n["terminal"]):
        try:
            prm.append(_prm(tree, leaf, question, gold, meta))
        except RecordRefused as exc:
            merge_refusals(refused, exc.reason)
    pairs: list[PreferencePair] = []
    if gold is not None:
        pairs = _step_pairs(tree, question, gold, meta, refused)
        pairs += _solution_pair(tree, question, meta, refused)
    return prm, pairs, refused
