"""The seam between the gateway and a concrete client (LiteLLM or a LangChain chat model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sparring.models._types import ChatMessage, Completion, Usage

__all__ = ["Backend", "BackendRequest", "BackendResult"]


@dataclass(frozen=True, slots=True)
class BackendRequest:
    """One request to a backend: ``n`` samples starting at ``sample_index``."""

    messages: list[ChatMessage]
    params: dict[str, Any]
    n: int
    sample_index: int
    timeout_s: float


@dataclass(slots=True)
class BackendResult:
    """What a backend returned for one request."""

    completions: list[Completion]
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None


class Backend(Protocol):
    """Anything that can answer a ``BackendRequest``."""

    async def generate(self, request: BackendRequest) -> BackendResult:
        """Return ``request.n`` completions or raise the client's own exception."""
        ...
