"""``Model``: a LiteLLM model string (or a LangChain chat model) plus sampling defaults."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from sparring._secrets import register_secret
from sparring.models._types import ChatMessage, CompletionSet

__all__ = ["NATIVE_N_PROVIDERS", "SAMPLING_FIELDS", "Completer", "Model", "use_default_gateway"]

# Providers whose chat endpoint returns n samples from one request; others get n single calls.
NATIVE_N_PROVIDERS = frozenset({"openai", "azure", "hosted_vllm", "sim", "together_ai", "deepseek"})
SAMPLING_FIELDS = ("temperature", "top_p", "max_tokens", "seed", "stop", "logprobs", "top_logprobs")


class Model(BaseModel):
    """A model a role can be bound to.

    ``name`` is any LiteLLM model string: ``openai/gpt-4o-mini``, ``anthropic/claude-...``,
    ``hosted_vllm/<served name>`` (with ``api_base``), ``ollama/llama3``, or ``sim/<role>`` for
    the offline simulator. Sampling fields are defaults; a call may override them.

    Attributes:
        name: The LiteLLM model string (or a label, for a LangChain chat model).
        api_base: Base URL of an OpenAI-compatible server (vLLM, Ollama, serve-sim).
        api_key: A key given in code; kept secret and never written anywhere.
        api_key_env: Name of the environment variable that holds the key, if not the
            provider's usual one.
        temperature: Sampling temperature.
        top_p: Nucleus sampling.
        max_tokens: Completion length limit.
        seed: Sampling seed; with ``n`` single calls, sample ``i`` is sent ``seed + i``.
        stop: Stop sequences.
        logprobs: Ask for token log probabilities.
        top_logprobs: How many alternatives per token to return with ``logprobs``.
        timeout_s: Per-attempt timeout, enforced by sparring for every backend.
        max_concurrency: Ceiling of the adaptive concurrency for this model.
        native_n: Whether one request may ask for ``n`` samples; None decides by provider.
        input_cost_per_token: Price override in USD (e.g. 0 for a local server).
        output_cost_per_token: Price override in USD.
        extra: Further keyword arguments passed to ``litellm.acompletion`` as they are.
        chat_model: A LangChain ``BaseChatModel`` to use instead of LiteLLM.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    api_base: str | None = None
    api_key: SecretStr | None = Field(default=None, repr=False, exclude=True)
    api_key_env: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    stop: list[str] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    timeout_s: float = 120.0
    max_concurrency: int | None = None
    native_n: bool | None = None
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    chat_model: Any = Field(default=None, repr=False, exclude=True)

    def __init__(self, name: str | None = None, /, **data: Any) -> None:
        """Accept the model string positionally: ``Model("openai/gpt-4o-mini", temperature=0)``."""
        if name is not None:
            data["name"] = name
        super().__init__(**data)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not value or value != value.strip():
            raise ValueError(f"model name must be a non-empty string without spaces: {value!r}")
        return value

    @field_validator("api_key")
    @classmethod
    def _remember_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            register_secret(value.get_secret_value())
        return value

    @field_validator("chat_model")
    @classmethod
    def _check_chat_model(cls, value: Any) -> Any:
        if value is None:
            return None
        from langchain_core.language_models import BaseChatModel

        if not isinstance(value, BaseChatModel):
            raise TypeError(f"chat_model must be a LangChain BaseChatModel, got {type(value)!r}")
        return value

    @classmethod
    def from_langchain(cls, chat_model: Any, *, name: str | None = None, **kwargs: Any) -> Model:
        """Wrap a LangChain ``BaseChatModel`` as a role backend."""
        label = name or f"langchain/{type(chat_model).__name__}"
        return cls(name=label, chat_model=chat_model, **kwargs)

    @property
    def provider(self) -> str:
        """The LiteLLM provider prefix (``openai``, ``sim``, ...), or ``langchain``."""
        if self.chat_model is not None:
            return "langchain"
        return self.name.split("/", 1)[0] if "/" in self.name else "openai"

    @property
    def is_simulated(self) -> bool:
        """Whether this model is sparring's offline simulator (in process)."""
        return self.provider == "sim"

    @property
    def uses_native_n(self) -> bool:
        """Whether ``n`` samples are asked for in one request."""
        if self.native_n is not None:
            return self.native_n
        return self.provider in NATIVE_N_PROVIDERS

    def sampling(self) -> dict[str, Any]:
        """The sampling defaults that are set, by name."""
        return {k: getattr(self, k) for k in SAMPLING_FIELDS if getattr(self, k) is not None}

    def with_options(self, **changes: Any) -> Model:
        """A copy with some fields changed (validated)."""
        data = self.model_dump(exclude={"api_key", "chat_model"})
        data.update(changes)
        data.setdefault("api_key", self.api_key)
        data.setdefault("chat_model", self.chat_model)
        return Model(**data)

    async def complete(
        self,
        messages: Sequence[ChatMessage] | str,
        *,
        n: int = 1,
        role: str | None = None,
        sample_index: int = 0,
        gateway: Completer | None = None,
        **overrides: Any,
    ) -> CompletionSet:
        """Call the model once for ``n`` samples.

        Args:
            messages: Chat messages, or a bare string sent as one user message.
            n: How many samples.
            role: The role this call is made for (for events and usage totals).
            sample_index: Index of the first sample (samples are ``sample_index`` ...
                ``sample_index + n - 1``); part of the cache key.
            gateway: The gateway to go through; the process default when None.
            **overrides: Sampling fields (``temperature``, ``seed``, ...) or ``timeout_s``
                for this call only.

        Returns:
            The completions, with usage, cost and latency.

        Raises:
            ModelCallError: The call failed after the retries the policy allows.
        """
        gw = gateway or _default_gateway()
        return await gw.complete(
            self, messages, n=n, role=role, sample_index=sample_index, **overrides
        )

    def __str__(self) -> str:
        return self.name


class Completer(Protocol):
    """What ``Model.complete`` calls through: a ``Gateway``, or anything with its ``complete``."""

    async def complete(
        self,
        model: Model,
        messages: Sequence[ChatMessage] | str,
        *,
        n: int = 1,
        role: str | None = None,
        sample_index: int = 0,
        **overrides: Any,
    ) -> CompletionSet:
        """Call ``model`` for ``n`` samples."""
        ...


# Set by ``_gateway`` as it loads (``sparring.models`` always loads it), so this module need not
# import the gateway, which imports this module.
_default_source: Callable[[], Completer] | None = None


def use_default_gateway(source: Callable[[], Completer]) -> None:
    """Name the function that gives ``Model.complete`` its gateway when a call names none."""
    global _default_source
    _default_source = source


def _default_gateway() -> Completer:
    if _default_source is None:  # only if ``_model`` was loaded without ``sparring.models``
        raise RuntimeError("no default gateway: import sparring.models before calling a model")
    return _default_source()
