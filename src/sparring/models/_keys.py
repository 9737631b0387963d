"""Which credentials a model needs, by environment variable name (never by value)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sparring.models._model import Model

__all__ = ["KeyStatus", "key_status"]

# Providers that run locally or in process and take no key.
_NO_KEY_PROVIDERS = frozenset(
    {"sim", "hosted_vllm", "ollama", "ollama_chat", "langchain", "lm_studio"}
)


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """The key situation of one model.

    Attributes:
        source: ``code`` (given as ``api_key``), ``env`` (found in the environment),
            ``none`` (none needed) or ``unknown`` (LiteLLM cannot tell: unknown provider).
        names: The environment variables that hold (or should hold) the key.
        missing: Those of ``names`` that are needed and not set.
    """

    source: str
    names: tuple[str, ...] = ()
    missing: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether nothing the model needs is missing."""
        return not self.missing


def key_status(model: Model) -> KeyStatus:
    """What key ``model`` needs and whether it is there.

    A model with an ``api_base`` (a local OpenAI-compatible server) needs no key: the backend
    sends a placeholder when none is set.
    """
    if model.api_key is not None:
        return KeyStatus("code")
    if model.api_key_env:
        found = bool(os.environ.get(model.api_key_env))
        names = (model.api_key_env,)
        return KeyStatus("env", names) if found else KeyStatus("env", names, names)
    if model.provider in _NO_KEY_PROVIDERS or model.api_base:
        return KeyStatus("none")
    from sparring.models._litellm import litellm_module

    try:
        env = litellm_module().validate_environment(model=model.name)
    except Exception:
        return KeyStatus("unknown")
    missing = tuple(env.get("missing_keys") or ())
    if missing:
        return KeyStatus("env", missing, missing)
    return KeyStatus("env" if env.get("keys_in_environment") else "none")
