"""A LangChain ``BaseChatModel`` as a role backend (one sample per request)."""

from __future__ import annotations

from typing import Any

from sparring.models._backend import BackendRequest, BackendResult
from sparring.models._model import Model
from sparring.models._types import Completion, Usage

__all__ = ["LangChainBackend"]


class LangChainBackend:
    """Calls ``chat_model.ainvoke``; sampling settings live on the chat model itself."""

    def __init__(self, model: Model) -> None:
        self.model = model

    async def generate(self, request: BackendRequest) -> BackendResult:
        """One ``ainvoke`` per request (the gateway never asks this backend for n > 1)."""
        if request.n != 1:
            raise ValueError("LangChainBackend answers one sample per request")
        from langchain_core.messages import convert_to_messages

        chat = self.model.chat_model
        kwargs: dict[str, Any] = {}
        if request.params.get("stop"):
            kwargs["stop"] = request.params["stop"]
        raw: list[Any] = list(request.messages)
        message = await chat.ainvoke(convert_to_messages(raw), **kwargs)
        content = message.content
        text = (
            content
            if isinstance(content, str)
            else "".join(
                part if isinstance(part, str) else str(part.get("text", "")) for part in content
            )
        )
        meta = getattr(message, "usage_metadata", None) or {}
        usage = Usage(
            prompt_tokens=int(meta.get("input_tokens", 0) or 0),
            completion_tokens=int(meta.get("output_tokens", 0) or 0),
        )
        finish = (getattr(message, "response_metadata", None) or {}).get("finish_reason")
        return BackendResult(
            completions=[Completion(text=text, index=request.sample_index, finish_reason=finish)],
            usage=usage,
        )
