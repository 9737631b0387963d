"""The model layer: ``Model``, ``Roles`` and the ``Gateway`` every call goes through.

LiteLLM is imported on the first call that needs it, not here (it takes about two seconds);
calls to an OpenAI-compatible server (``hosted_vllm/...``, ``openai/...`` with an ``api_base``)
are posted directly (``_openai_fast``) and never import it.
"""

from sparring.models._backend import Backend, BackendRequest, BackendResult
from sparring.models._cache import ResponseCache, cache_key, is_cacheable
from sparring.models._gateway import (
    SIM_PRICE_PER_TOKEN,
    Gateway,
    backend_for,
    default_gateway,
    litellm_backend,
    set_default_gateway,
)
from sparring.models._limiter import AdaptiveLimiter, ConcurrencyPolicy
from sparring.models._model import Model
from sparring.models._openai_fast import OpenAICompatBackend, aclose_clients, is_fast_route
from sparring.models._retry import Failure, RetryPolicy, classify
from sparring.models._roles import ROLE_NAMES, ModelLike, Roles, as_model
from sparring.models._types import (
    ChatMessage,
    Completion,
    CompletionSet,
    TokenLogprob,
    TopLogprob,
    Usage,
)
from sparring.models._usage import UsageRow, UsageTotals

__all__ = [
    "ROLE_NAMES",
    "SIM_PRICE_PER_TOKEN",
    "AdaptiveLimiter",
    "Backend",
    "BackendRequest",
    "BackendResult",
    "ChatMessage",
    "Completion",
    "CompletionSet",
    "ConcurrencyPolicy",
    "Failure",
    "Gateway",
    "Model",
    "ModelLike",
    "OpenAICompatBackend",
    "ResponseCache",
    "RetryPolicy",
    "Roles",
    "TokenLogprob",
    "TopLogprob",
    "Usage",
    "UsageRow",
    "UsageTotals",
    "aclose_clients",
    "as_model",
    "backend_for",
    "cache_key",
    "classify",
    "default_gateway",
    "is_cacheable",
    "is_fast_route",
    "litellm_backend",
    "set_default_gateway",
]
