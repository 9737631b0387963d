"""Conversions for the formats no current trainer takes as they are (rl, prm).

Both are plain row functions, for ``datasets.Dataset.map``; the export cards name them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["IGNORE_INDEX", "prm_as_token_labels", "rl_as_kto"]

IGNORE_INDEX = -100  # the label transformers' losses skip


def rl_as_kto(row: dict[str, Any]) -> dict[str, Any]:
    """An rl row as a KTO row: the answer is the completion, desirable when its reward is > 0.

    Use it on one role's rows (``--role``): KTO learns from unpaired good and bad outputs,
    which is what a game's +1/-1 rewards give. A conversational rl export keeps its system turn
    in ``prompt``; a string export's ``system`` column is prepended to the prompt.
    """
    prompt, system = row["prompt"], row.get("system") or ""
    if isinstance(prompt, str) and system:
        prompt = f"{system}\n\n{prompt}"
    return {"prompt": prompt, "completion": row["answer"], "label": float(row["reward"]) > 0}


def prm_as_token_labels(
    row: dict[str, Any], tokenize: Callable[[str], Sequence[int]], separator: str = "\n"
) -> dict[str, Any]:
    """A prm row as token classification: each step's last token labelled 1 (good) or 0 (bad).

    The text is the prompt, then each step after ``separator``; every other token gets
    ``IGNORE_INDEX``. Train ``AutoModelForTokenClassification(num_labels=2)`` on
    ``input_ids``/``labels`` (TRL 1.16 has no PRMTrainer; this is what TRL 0.29's did).

    Args:
        row: A prm export row (``prompt``, ``completions``, ``labels``).
        tokenize: Text to token ids, without special tokens.
        separator: Put before each step.

    Raises:
        ValueError: The row's steps and labels differ in number, or a step has no tokens.
    """
    steps, labels = row["completions"], row["labels"]
    if len(steps) != len(labels):
        raise ValueError(f"prm row has {len(steps)} steps but {len(labels)} labels")
    ids = list(tokenize(row["prompt"]))
    targets = [IGNORE_INDEX] * len(ids)
    for step, good in zip(steps, labels, strict=True):
        step_ids = list(tokenize(separator + step))
        if not step_ids:
            raise ValueError(f"prm step {step!r} has no tokens")
        ids += step_ids
        targets += [IGNORE_INDEX] * (len(step_ids) - 1) + [int(bool(good))]
    return {"input_ids": ids, "labels": targets}
