r"""Rule-based rewards from the gold answer: ``answer_reward`` and R1-style ``verifiable_reward``.

``verifiable_reward`` adds two terms, as DeepSeek-R1's rule-based rewards do: *correctness*
(the completion's extracted answer equals the gold answer, by :func:`sparring.verify.is_equiv`)
and *format* (the completion states its final answer in the expected form). Extraction is
strict by default: a completion that states no answer is neither correct nor well formed,
whatever number it mentions last.

Final-answer forms (``answer_format``):

- ``"any"``: any form :func:`sparring.verify.extract_answer` reads strictly (``#### N``,
  ``\boxed{N}``, "The answer is N", ``Answer: N``, a ``# Answer`` section);
- ``"gsm8k"``: the last line is ``#### N``;
- ``"boxed"``: a ``\boxed{...}`` holds the answer;
- ``"think"``: reasoning in one ``<think>...</think>`` block first, then the answer stated
  after it in any strict form (the R1 template).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from sparring.rewards._function import RewardFunction, Unscored
from sparring.verify import answer_extraction_config, extract_answer, is_equiv

__all__ = ["AnswerFormat", "answer_reward", "format_ok", "verifiable_reward"]

AnswerFormat = Literal["any", "gsm8k", "boxed", "think"]
_FORMATS: tuple[str, ...] = ("any", "gsm8k", "boxed", "think")
_GSM8K_LAST_LINE_RE = re.compile(r"####[ \t]*\S[^\n]*\s*\Z")
_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*\{")
_THINK_RE = re.compile(r"\A\s*<think>(?P<thought>.*?)</think>(?P<rest>.*)\Z", re.DOTALL)


def format_ok(completion: str, answer_format: AnswerFormat = "any") -> bool:
    """Whether ``completion`` states a final answer in ``answer_format`` (see the module doc).

    Raises:
        ValueError: ``answer_format`` is not one of the forms.
    """
    if answer_format == "any":
        return extract_answer(completion) is not None
    if answer_format == "gsm8k":
        return (
            bool(_GSM8K_LAST_LINE_RE.search(completion)) and extract_answer(completion) is not None
        )
    if answer_format == "boxed":
        return bool(_BOXED_RE.search(completion)) and extract_answer(completion) is not None
    if answer_format == "think":
        match = _THINK_RE.match(completion)
        return bool(
            match
            and match.group("thought").strip()
            and "<think>" not in match.group("rest")
            and extract_answer(match.group("rest")) is not None
        )
    raise ValueError(f"answer_format must be one of {', '.join(_FORMATS)}; got {answer_format!r}")


def _gold(extra: Mapping[str, Any], column: str) -> str:
    gold = extra.get(column)
    if gold is None or not str(gold).strip():
        raise Unscored(f"no gold answer in column {column!r}")
    return str(gold)


def _answer_part(completion: str, answer_format: AnswerFormat) -> str:
    """Where the answer is read from: after the reasoning block in the ``think`` form."""
    if answer_format == "think" and (match := _THINK_RE.match(completion)):
        return match.group("rest")
    return completion


def verifiable_reward(
    *,
    answer_column: str = "answer",
    correct_weight: float = 1.0,
    format_weight: float = 0.2,
    answer_format: AnswerFormat = "any",
    last_number_fallback: bool = False,
    name: str = "verifiable_reward",
) -> RewardFunction:
    """An R1-style rule-based reward: correctness against the gold answer, plus format.

    The reward of a sample is ``correct_weight * correct + format_weight * formatted``, each
    term 0 or 1: with the defaults 1.2 for a right answer in form, 0.2 for a wrong one stated
    in form, 0.0 for no stated answer. A sample without a gold answer is unscored (None).

    Args:
        answer_column: The dataset column holding each sample's gold answer (OpenRLHF's
            ``labels`` fill it).
        correct_weight: Weight of the correctness term.
        format_weight: Weight of the format term (0 turns it off).
        answer_format: The expected final-answer form: ``any``, ``gsm8k``, ``boxed`` or
            ``think`` (see the module docstring).
        last_number_fallback: Grade a completion that states no answer by its last number
            (correctness only: such a completion never earns the format term).
        name: Shown in trainer logs.

    Raises:
        ValueError: An unknown ``answer_format``, or a negative or non-finite weight.
    """
    format_ok("", answer_format)  # validates the form now, not on the first batch
    for label, weight in (("correct_weight", correct_weight), ("format_weight", format_weight)):
        if not weight >= 0 or weight == float("inf"):
            raise ValueError(f"{label} must be a finite number >= 0; got {weight!r}")

    async def score(prompt: str, completion: str, extra: Mapping[str, Any]) -> float | None:
        gold = _gold(extra, answer_column)
        part = _answer_part(completion, answer_format)
        answer = extract_answer(part, last_number_fallback=last_number_fallback)
        correct = answer is not None and is_equiv(answer, gold)
        formatted = format_ok(completion, answer_format)
        return correct_weight * float(correct) + format_weight * float(formatted)

    config = {
        "reward": "verifiable",
        "correct_weight": correct_weight,
        "format_weight": format_weight,
        "answer_format": answer_format,
        **answer_extraction_config(last_number_fallback),
    }
    return RewardFunction(score, name=name, config=config, label_column=answer_column)


def answer_reward(
    *,
    answer_column: str = "answer",
    last_number_fallback: bool = False,
    name: str = "answer_reward",
) -> RewardFunction:
    """A verifiable reward: 1.0 when the completion's answer equals the gold answer, else 0.0.

    Args:
        answer_column: The dataset column holding each sample's gold answer (a sample
            without one is unscored, ``None``).
        last_number_fallback: Read the last number of a completion that states no answer
            (off by default: such a completion earns 0.0). Recorded in ``config``.
        name: Shown in trainer logs.
    """

    async def score(prompt: str, completion: str, extra: Mapping[str, Any]) -> float | None:
        gold = _gold(extra, answer_column)
        answer = extract_answer(completion, last_number_fallback=last_number_fallback)
        return 1.0 if answer is not None and is_equiv(answer, gold) else 0.0

    config = {"reward": "answer", **answer_extraction_config(last_number_fallback)}
    return RewardFunction(score, name=name, config=config, label_column=answer_column)
