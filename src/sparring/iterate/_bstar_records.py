"""A B-STaR iteration's training data: the samples its reward selected, as an SFT dataset.

The folder (``FOLDER/iter-<k>/records``) is what a training hook is given: ``data/train.jsonl``
with one row per selected sample and a ``README.md`` whose front matter declares it, so
``datasets.load_dataset(records)`` reads it. Rows are in TRL's prompt-completion form:

- ``prompt``: the problem (the item's prompt); ``completion``: the selected solution;
- ``answer``: its final answer; ``reward``: its vote share (what selected it, never gold);
- ``item_id`` and ``sample``: where it came from (the iteration's run, ``sparring view``).

The folder is written beside itself and renamed into place, so a killed write never leaves a
half-written dataset for a hook to train on.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

from sparring.graphs._reasoning_common import Sample
from sparring.iterate._balance import vote_rewards
from sparring.run import Run

__all__ = ["DATA_FILE", "SelectedRow", "selected_rows", "write_selection"]

DATA_FILE = "data/train.jsonl"

_CARD = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: {data}
---
# B-STaR iteration {iteration}: the selected samples

{rows} samples whose reward (the share of the problem's samples agreeing with their answer)
reached the threshold {threshold:g}, from the self-consistency run `{run}`. Gold answers played
no part in the selection.

Columns: `prompt`, `completion` (the selected solution), `answer`, `reward`, `item_id`, `sample`.
`trl.SFTTrainer` reads prompt-completion rows as they are and, by default, computes the loss on
the completion only. Load with a fresh `datasets.load_dataset(DIR, cache_dir=...)`: datasets
caches a local folder by its name.
"""


class SelectedRow(TypedDict):
    """One selected sample, as a training row."""

    prompt: str
    completion: str
    answer: str | None
    reward: float
    item_id: str | None
    sample: int


def _rows_of(
    prompt: str, item_id: str | None, samples: list[Sample], threshold: float
) -> Iterator[SelectedRow]:
    for sample, reward in zip(samples, vote_rewards(samples), strict=True):
        if reward >= threshold and sample["text"].strip():
            yield SelectedRow(
                prompt=prompt, completion=sample["text"], answer=sample["answer"],
                reward=reward, item_id=item_id, sample=sample["index"],
            )  # fmt: skip


def selected_rows(run: Run, threshold: float) -> list[SelectedRow]:
    """The samples of ``run``'s finished items whose vote share reaches ``threshold``.

    The rule is ``item_balance``'s (reward >= threshold), so the rows are the selection the
    iteration's monitors counted; an empty solution is never a training target.
    """
    outputs = dict(run.outputs())
    rows: list[SelectedRow] = []
    for item in run.store.items(("done",)):
        samples: list[Sample] = (outputs.get(item["index"]) or {}).get("samples") or []
        prompt = str(item["input"].get("prompt", ""))
        rows.extend(_rows_of(prompt, item.get("item_id"), samples, threshold))
    return rows


def _write_jsonl(target: Path, rows: Iterable[SelectedRow]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_selection(
    folder: Path, rows: list[SelectedRow], *, iteration: int, threshold: float, run: str
) -> Path:
    """Write ``rows`` as a ``datasets`` folder at ``folder`` (replacing one there); returns it.

    Args:
        folder: The records folder.
        rows: The selected samples.
        iteration: The iteration they come from (named in the card).
        threshold: The reward threshold that selected them.
        run: The iteration's run directory name.
    """
    tmp = folder.with_name(f"{folder.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    _write_jsonl(tmp / DATA_FILE, rows)
    card: dict[str, Any] = {"data": DATA_FILE, "iteration": iteration, "rows": len(rows),
                            "threshold": threshold, "run": run}  # fmt: skip
    (tmp / "README.md").write_text(_CARD.format(**card), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder
