"""The simulator as the LiteLLM custom provider ``sim``: ``litellm.acompletion(model="sim/actor")``.

LiteLLM calls the handler with keyword arguments named as in ``CustomLLM.completion``; simulator
knobs (``sample_index``, ``sim_profile``, ``sim_task``, ``sim_gold``) arrive in
``optional_params`` like any other extra argument.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

from sparring.sim._engine import SimEngine
from sparring.sim._types import SimRequest, SimResponse

__all__ = ["register_provider", "request_from_params"]

_ENGINE = SimEngine()


def request_from_params(
    model: str, messages: list[dict[str, Any]], params: dict[str, Any]
) -> SimRequest:
    """Build a ``SimRequest`` from OpenAI-style parameters (shared by the provider and server)."""
    stop = params.get("stop")
    return SimRequest(
        model=model.split("/", 1)[-1],
        messages=messages,
        n=int(params.get("n") or 1),
        sample_index=int(params.get("sample_index") or 0),
        temperature=params.get("temperature"),
        seed=params.get("seed"),
        max_tokens=params.get("max_tokens") or params.get("max_completion_tokens"),
        stop=[stop] if isinstance(stop, str) else stop,
        profile=params.get("sim_profile"),
        task=params.get("sim_task"),
        gold=None if params.get("sim_gold") is None else str(params.get("sim_gold")),
        logprobs=bool(params.get("logprobs")),
        top_logprobs=int(params.get("top_logprobs") or 0),
    )


def _fill(model_response: Any, model: str, result: SimResponse) -> Any:
    from litellm.types.utils import (
        ChatCompletionTokenLogprob,
        ChoiceLogprobs,
        Choices,
        Message,
        TopLogprob,
        Usage,
    )

    choices = []
    for i, choice in enumerate(result.choices):
        logprobs = None
        if choice.logprobs is not None:
            tops = choice.top_logprobs or [[] for _ in choice.logprobs]
            logprobs = ChoiceLogprobs(
                content=[
                    ChatCompletionTokenLogprob(
                        token=t,
                        logprob=lp,
                        top_logprobs=[TopLogprob(token=a, logprob=alp) for a, alp in alts],
                    )
                    for (t, lp), alts in zip(choice.logprobs, tops, strict=False)
                ]
            )
        choices.append(
            Choices(
                index=i,
                finish_reason=choice.finish_reason,
                logprobs=logprobs,
                message=Message(content=choice.text, role="assistant"),
            )
        )
    model_response.choices = choices
    model_response.model = model
    model_response.usage = Usage(
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        total_tokens=result.prompt_tokens + result.completion_tokens,
    )
    return model_response


def _make_handler_class(litellm: ModuleType) -> type:
    from litellm.types.utils import GenericStreamingChunk

    class SimProvider(litellm.CustomLLM):  # type: ignore[name-defined,misc]
        """LiteLLM handler that answers from the simulator engine."""

        def completion(
            self,
            model: str,
            messages: list[dict[str, Any]],
            api_base: str,
            custom_prompt_dict: dict[str, Any],
            model_response: Any,
            print_verbose: Any,
            encoding: Any,
            api_key: Any,
            logging_obj: Any,
            optional_params: dict[str, Any],
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            result = _ENGINE.respond(request_from_params(model, messages, optional_params))
            return _fill(model_response, model, result)

        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            return self.completion(*args, **kwargs)

        def streaming(
            self, model: str, messages: list[dict[str, Any]], *args: Any, **kwargs: Any
        ) -> Iterator[Any]:
            params = kwargs.get("optional_params") or {}
            result = _ENGINE.respond(request_from_params(model, messages, {**params, "n": 1}))
            words = result.choices[0].text.split(" ")
            for i, word in enumerate(words):
                last = i == len(words) - 1
                yield GenericStreamingChunk(
                    text=word if i == 0 else " " + word,
                    is_finished=last,
                    finish_reason=result.choices[0].finish_reason if last else None,
                    index=0,
                    tool_use=None,
                    usage={
                        "prompt_tokens": result.prompt_tokens,
                        "completion_tokens": result.completion_tokens,
                        "total_tokens": result.prompt_tokens + result.completion_tokens,
                    }
                    if last
                    else None,
                )

        async def astreaming(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            for chunk in self.streaming(*args, **kwargs):
                yield chunk

    return SimProvider


_HANDLER_CLASS: type | None = None


def register_provider(litellm: ModuleType) -> None:
    """Register ``sim`` in ``litellm.custom_provider_map`` (idempotent)."""
    global _HANDLER_CLASS
    if any(item.get("provider") == "sim" for item in litellm.custom_provider_map):
        return
    if _HANDLER_CLASS is None:
        _HANDLER_CLASS = _make_handler_class(litellm)
    litellm.custom_provider_map.append({"provider": "sim", "custom_handler": _HANDLER_CLASS()})
