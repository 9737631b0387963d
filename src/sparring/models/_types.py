"""Typed values of the model layer: messages, usage, completions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal, TypedDict

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ChatMessage",
    "Completion",
    "CompletionSet",
    "TokenLogprob",
    "TopLogprob",
    "Usage",
    "as_messages",
]


class ChatMessage(TypedDict):
    """One chat message in the OpenAI shape."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str


class Usage(BaseModel):
    """Token counts of a call (zero when served from the cache)."""

    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class TopLogprob(BaseModel):
    """An alternative token and its log probability."""

    model_config = ConfigDict(frozen=True)

    token: str
    logprob: float


class TokenLogprob(BaseModel):
    """A generated token, its log probability and the backend's top alternatives."""

    model_config = ConfigDict(frozen=True)

    token: str
    logprob: float
    top_logprobs: list[TopLogprob] = []


class Completion(BaseModel):
    """One sampled completion.

    Attributes:
        text: The generated text.
        index: The sample index (stable across cache hits and retries).
        finish_reason: Why generation stopped ("stop", "length", ...), if the backend says.
        logprobs: Per-token log probabilities, when the backend returned them.
        cache_hit: Whether this completion came from the response cache.
    """

    model_config = ConfigDict(frozen=True)

    text: str
    index: int = 0
    finish_reason: str | None = None
    logprobs: list[TokenLogprob] | None = None
    cache_hit: bool = False


class CompletionSet(BaseModel):
    """The completions of one call, with what the call cost.

    Attributes:
        model: The model string that answered.
        role: The role the call was made for, if any.
        completions: The samples, ordered by index.
        usage: Tokens spent (cache hits spend none).
        cost_usd: Dollars spent, or None when the price of the model is unknown.
        latency_s: Wall time of the whole call, retries and waits included.
        attempts: Backend attempts made (1 when nothing failed, 0 on a full cache hit).
        retries: Attempts that failed and were retried.
    """

    model_config = ConfigDict(frozen=True)

    model: str
    role: str | None = None
    completions: list[Completion]
    usage: Usage = Usage()
    cost_usd: float | None = None
    latency_s: float = 0.0
    attempts: int = 1
    retries: int = 0

    @property
    def text(self) -> str:
        """The first completion's text."""
        return self.completions[0].text

    @property
    def texts(self) -> list[str]:
        """Every completion's text, by index."""
        return [c.text for c in self.completions]

    @property
    def cache_hit(self) -> bool:
        """Whether every completion came from the cache."""
        return all(c.cache_hit for c in self.completions)

    def __len__(self) -> int:
        return len(self.completions)

    def __iter__(self) -> Iterator[Completion]:  # type: ignore[override]
        return iter(self.completions)

    def __getitem__(self, index: int) -> Completion:
        return self.completions[index]


def as_messages(messages: Sequence[ChatMessage] | str) -> list[ChatMessage]:
    """Accept a bare prompt string as a single user message; check the shape of the rest."""
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    out: list[ChatMessage] = []
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, dict) else None
        content = msg.get("content") if isinstance(msg, dict) else None
        if role not in ("system", "user", "assistant", "tool") or not isinstance(content, str):
            raise TypeError(
                f"messages[{i}] must be a dict with a role (system/user/assistant/tool) "
                f"and a string content, got {msg!r:.120}"
            )
        out.append(msg)
    if not out:
        raise ValueError("messages is empty: a call needs at least one message")
    return out
