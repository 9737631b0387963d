"""The ``prompts`` export's records: each item's question as the actor saw it, with its gold answer.

GRPO and PPO generate their own completions, so what they need from a run is the prompt (system
turn included, as chat messages) and the gold label a verifiable reward checks against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sparring.agents._workers import GSM8K_FORMAT
from sparring.memory._store import ItemRow
from sparring.prompts import load_prompt

__all__ = ["PROMPT_TEMPLATE", "prompt_records"]

PROMPT_TEMPLATE = "actor/solve"


def prompt_records(
    items: Iterable[ItemRow], options: dict[str, Any], refuse: Callable[[str], None]
) -> Iterator[dict[str, Any]]:
    """One record per item with a prompt and a gold answer, rendered like the actor's prompt.

    Args:
        items: The run's items.
        options: The run's graph options; ``answer_format`` (if set) is the answer instruction.
        refuse: Called with a reason for each item left out.
    """
    template = load_prompt(PROMPT_TEMPLATE)
    answer_format = str(options.get("answer_format") or GSM8K_FORMAT)
    for item in items:
        data = item["input"]
        prompt, gold = str(data.get("prompt") or ""), data.get("answer")
        if not prompt.strip():
            refuse("empty prompt")
            continue
        if gold is None or not str(gold).strip():
            refuse("no gold answer")
            continue
        messages = template.render(question=prompt, answer_format=answer_format)
        yield {
            "prompt": [{"role": m["role"], "content": m["content"]} for m in messages],
            "answer": str(gold),
            "meta": {"item_id": item["item_id"], "template": PROMPT_TEMPLATE},
        }
