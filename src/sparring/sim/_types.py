"""What the simulator is asked and what it answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SimChoice", "SimRequest", "SimResponse", "SimToken", "TokenText"]


@dataclass(frozen=True, slots=True)
class SimRequest:
    """One chat request to the simulator.

    Attributes:
        model: The model name after ``sim/`` (``actor``, ``judge``, ...): the persona asked.
        messages: The chat messages, OpenAI shape.
        n: Samples wanted.
        sample_index: Index of the first sample; with temperature > 0 each index differs.
        temperature: Sampling temperature (None means the default, 0.7).
        seed: The world and sampling seed (None means 0).
        max_tokens: Completion cap in tokens (the text is cut and finish_reason is "length").
        stop: Stop sequences.
        profile: Skill overrides (a ``SimProfile`` as a dict), merged over the defaults.
        task: The purpose, if the caller names it (``judge.pointwise``, ...); else detected.
        gold: Hidden ground truth for external tasks (never shown in any prompt).
        logprobs: Whether per-token log probabilities are wanted.
        top_logprobs: Alternatives per token to return with ``logprobs`` (0: none).
    """

    model: str
    messages: list[dict[str, Any]]
    n: int = 1
    sample_index: int = 0
    temperature: float | None = None
    seed: int | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    profile: dict[str, Any] | None = None
    task: str | None = None
    gold: str | None = None
    logprobs: bool = False
    top_logprobs: int = 0


@dataclass(frozen=True, slots=True)
class SimToken:
    """One token a behaviour wrote, with its log probability and the alternatives it weighed."""

    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


class TokenText(str):
    """A behaviour's output that carries its own token distribution.

    Most behaviours return plain text and the engine draws word log probabilities from the
    text's quality; a behaviour whose answer *is* a probability (a True/False self-rating)
    returns this instead, so the log probabilities a caller reads are the ones it sampled from.
    """

    tokens: tuple[SimToken, ...]

    def __new__(cls, text: str, tokens: Sequence[SimToken]) -> TokenText:
        obj = super().__new__(cls, text)
        obj.tokens = tuple(tokens)
        return obj


@dataclass(slots=True)
class SimChoice:
    """One simulated completion (``top_logprobs``: per token, when asked for and known)."""

    text: str
    finish_reason: str = "stop"
    logprobs: list[tuple[str, float]] | None = None
    top_logprobs: list[list[tuple[str, float]]] | None = None


@dataclass(slots=True)
class SimResponse:
    """The simulator's answer: one choice per sample, plus token counts."""

    choices: list[SimChoice]
    prompt_tokens: int
    completion_tokens: int
    purpose: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
