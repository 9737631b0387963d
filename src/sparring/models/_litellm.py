"""The one place that talks to LiteLLM (imported lazily: ``import litellm`` takes ~2 s)."""

from __future__ import annotations

import os
import warnings
from types import ModuleType
from typing import Any

from sparring.models._backend import BackendRequest, BackendResult
from sparring.models._model import Model
from sparring.models._openai_shape import PLACEHOLDER_KEY, PROVIDER_KEY_ENV, logprobs_of
from sparring.models._types import Completion, Usage

__all__ = ["LiteLLMBackend", "litellm_module"]

_module: ModuleType | None = None


def litellm_module() -> ModuleType:
    """Import LiteLLM once, offline and quiet, with the simulator registered."""
    global _module
    if _module is None:
        # Before the import: use the bundled price map instead of fetching one from GitHub.
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        from sparring.sim import register_provider

        litellm.suppress_debug_info = True
        # A call our timeout cancels while litellm's thread hands back its coroutine leaves
        # that coroutine unawaited: harmless, but Python warns at garbage collection.
        warnings.filterwarnings(
            "ignore", message="coroutine '.*acompletion' was never awaited",
            category=RuntimeWarning,
        )
        register_provider(litellm)
        _module = litellm
    return _module


def _placeholder_key(model: Model) -> str | None:
    env = PROVIDER_KEY_ENV.get(model.provider)
    if env is None or os.environ.get(env):
        return None
    return PLACEHOLDER_KEY


class LiteLLMBackend:
    """Calls ``litellm.acompletion`` with every hidden retry layer turned off."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def _kwargs(self, request: BackendRequest) -> dict[str, Any]:
        model = self.model
        kwargs: dict[str, Any] = {
            "model": model.name,
            "messages": request.messages,
            "timeout": request.timeout_s,
            "max_retries": 0,  # the OpenAI SDK's own retries: off, we retry in one layer
            "drop_params": True,
            **request.params,
            **model.extra,
        }
        if request.n > 1:
            kwargs["n"] = request.n
        if model.api_base:
            kwargs["api_base"] = model.api_base
        key = model.api_key.get_secret_value() if model.api_key else None
        if key is None and model.api_key_env:
            key = os.environ.get(model.api_key_env)
        if key is None and model.api_base:
            key = _placeholder_key(model)
        if key is not None:
            kwargs["api_key"] = key
        if model.is_simulated:
            kwargs["sample_index"] = request.sample_index
        return kwargs

    async def generate(self, request: BackendRequest) -> BackendResult:
        """One ``acompletion`` call; LiteLLM's exceptions propagate for the classifier."""
        litellm = litellm_module()
        response = await litellm.acompletion(**self._kwargs(request))
        choices = list(response.choices)
        if not choices:
            raise ValueError("malformed response: no choices")
        # Fewer choices than asked (a server that ignores ``n``) is not an error here: the
        # gateway asks for the rest one by one.
        completions = []
        for offset, choice in enumerate(choices[: request.n]):
            content = getattr(choice.message, "content", None)
            if content is None:
                content = ""
            completions.append(
                Completion(
                    text=str(content),
                    index=request.sample_index + offset,
                    finish_reason=getattr(choice, "finish_reason", None),
                    logprobs=logprobs_of(choice),
                )
            )
        usage_obj = getattr(response, "usage", None)
        usage = Usage(
            prompt_tokens=int(getattr(usage_obj, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage_obj, "completion_tokens", 0) or 0),
        )
        hidden = getattr(response, "_hidden_params", None) or {}
        cost = hidden.get("response_cost")
        return BackendResult(
            completions=completions,
            usage=usage,
            cost_usd=float(cost) if isinstance(cost, int | float) else None,
        )
