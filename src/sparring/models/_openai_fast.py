"""The fast path for OpenAI-compatible servers: one aiohttp session per event loop.

``hosted_vllm/<served name>`` and ``openai/<served name>`` with an ``api_base`` (vLLM, SGLang,
llama.cpp, ``sparring serve-sim``...) need none of LiteLLM's routing, parameter mapping or
pricing, yet LiteLLM spends 1-2 ms of CPU on each of their calls, more than the request itself.
This backend posts the same JSON body straight to ``{api_base}/chat/completions`` on a session
kept per event loop, so a graph drives a local server faster than the raw ``openai`` SDK.

Why not the SDK's own client: its httpx pool costs 2-6 ms of CPU per request once dozens of
connections are open (it scans them per request), and its typed-parameter walk and response
models cost about 1 ms more. aiohttp (a LiteLLM dependency) has neither cost. Failures are
still raised as the SDK's own exception classes (``RateLimitError``, ``AuthenticationError``,
``APIConnectionError``, ``APITimeoutError``...), built the way the SDK builds them, so
``classify`` reads them exactly as it reads the SDK's (Retry-After included).

Routes LiteLLM would price or rewrite keep going through LiteLLM: an ``openai/`` name that
LiteLLM's price map knows (``openai/gpt-4o-mini`` at a proxy), and any model with ``extra``
keyword arguments (those are LiteLLM's to interpret).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparring.models._backend import BackendRequest, BackendResult
from sparring.models._model import Model
from sparring.models._openai_shape import PLACEHOLDER_KEY, PROVIDER_KEY_ENV, logprobs_of
from sparring.models._types import Completion, Usage

if TYPE_CHECKING:
    import aiohttp
    import openai

__all__ = ["OpenAICompatBackend", "aclose_clients", "is_fast_route"]

_FAST_PROVIDERS = frozenset({"hosted_vllm", "openai"})
# As many connections per process as the openai SDK's own default pool allows.
_MAX_CONNECTIONS = 1000
_COST_MAP_FILE = "model_prices_and_context_window_backup.json"
_USER_AGENT = "sparring (OpenAI-compatible fast path)"


def is_fast_route(model: Model) -> bool:
    """Whether ``model`` is served by the fast path rather than by LiteLLM.

    Args:
        model: The model a call is for.

    Returns:
        True for ``hosted_vllm/...`` and ``openai/...`` with an ``api_base``, no ``extra``
        arguments, and a name LiteLLM would not price.
    """
    if model.chat_model is not None or not model.api_base or model.extra:
        return False
    provider, _, served = model.name.partition("/")
    if provider not in _FAST_PROVIDERS or not served:
        return False
    return not _litellm_prices(provider, served)


_priced: dict[tuple[str, str], bool] = {}
_priced_size = -1


def _litellm_prices(provider: str, served: str) -> bool:
    """Whether LiteLLM has a price for this model (then it keeps the call, to keep the price).

    LiteLLM prices an ``openai/`` route by the bare name too (``openai/gpt-4o`` at any
    ``api_base``), and a ``hosted_vllm/`` route only by its full name (``register_model``).
    The answer is cached until LiteLLM's map changes size (a ``register_model`` call).
    """
    global _priced_size
    names = _price_map_names()
    if len(names) != _priced_size:
        _priced.clear()
        _priced_size = len(names)
    key = (provider, served)
    hit = _priced.get(key)
    if hit is None:
        candidates = {f"{provider}/{served}"}
        if provider == "openai":
            candidates |= {served, served.rsplit("/", 1)[-1]}
        hit = _priced[key] = any(name in names for name in candidates)
    return hit


_bundled_names: frozenset[str] | None = None


def _price_map_names() -> frozenset[str] | dict[str, Any]:
    """LiteLLM's live price map once it is imported, else the names in its bundled copy.

    Reading the bundled file (as ``LITELLM_LOCAL_MODEL_COST_MAP`` makes LiteLLM do) keeps
    ``import litellm`` (about 2 s) off a run that only talks to local servers.
    """
    global _bundled_names
    module = sys.modules.get("litellm")
    cost = getattr(module, "model_cost", None) if module is not None else None
    if isinstance(cost, dict):
        return cost
    if _bundled_names is None:
        _bundled_names = _read_bundled_names()
    return _bundled_names


def _read_bundled_names() -> frozenset[str]:
    spec = importlib.util.find_spec("litellm")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / _COST_MAP_FILE
        if path.exists():
            return frozenset(json.loads(path.read_text(encoding="utf-8")))
    return frozenset()


def _api_key(model: Model) -> str:
    """The key LiteLLM would send: given, named env var, provider env var, or a placeholder."""
    if model.api_key is not None:
        return model.api_key.get_secret_value()
    if model.api_key_env and (key := os.environ.get(model.api_key_env)):
        return key
    return os.environ.get(PROVIDER_KEY_ENV[model.provider]) or PLACEHOLDER_KEY


class OpenAICompatBackend:
    """Posts chat completions to an OpenAI-compatible server; no retries of its own.

    Args:
        model: A model for which ``is_fast_route`` holds.
    """

    def __init__(self, model: Model) -> None:
        self.model = model

    def body(self, request: BackendRequest) -> dict[str, Any]:
        """The JSON body LiteLLM sends for this request (``n`` only when above 1)."""
        body: dict[str, Any] = {
            "messages": request.messages,
            "model": self.model.name.partition("/")[2],
            **request.params,
        }
        if request.n > 1:
            body["n"] = request.n
        return body

    async def generate(self, request: BackendRequest) -> BackendResult:
        """One chat completion; failures are raised as the ``openai`` SDK's exceptions."""
        import aiohttp

        assert self.model.api_base is not None  # is_fast_route checked it
        url = self.model.api_base.rstrip("/") + "/chat/completions"
        headers = {
            "Authorization": f"Bearer {_api_key(self.model)}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
        }
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=request.timeout_s, sock_read=request.timeout_s
        )
        data = json.dumps(self.body(request)).encode()
        try:
            async with _sessions().get().post(
                url, data=data, headers=headers, timeout=timeout, allow_redirects=True
            ) as response:
                content = await response.read()
                status, reply_headers = response.status, list(response.headers.items())
        except aiohttp.ClientError as exc:
            raise _transport_error(exc, url) from exc
        except TimeoutError as exc:
            raise _sdk().APITimeoutError(request=_http_request(url)) from exc
        if status >= 400:
            raise _status_error(status, reply_headers, content, url)
        return _result(json.loads(content), request)


def _sdk() -> Any:
    import openai

    return openai


def _http_request(url: str) -> Any:
    import httpx

    return httpx.Request("POST", url)


def _transport_error(exc: aiohttp.ClientError, url: str) -> openai.APIConnectionError:
    """What the SDK raises for the same transport failure (a read timeout is a timeout)."""
    import aiohttp

    sdk = _sdk()
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return sdk.APITimeoutError(request=_http_request(url))  # type: ignore[no-any-return]
    return sdk.APIConnectionError(request=_http_request(url))  # type: ignore[no-any-return]


def _status_error(
    status: int, headers: list[tuple[str, str]], content: bytes, url: str
) -> openai.APIStatusError:
    """The SDK's exception for an error status, with its message, body and response."""
    import httpx

    sdk = _sdk()
    response = httpx.Response(status, headers=headers, content=content, request=_http_request(url))
    text = response.text.strip()
    body: object = text
    try:
        body = json.loads(text)
        message = f"Error code: {status} - {body}"
    except ValueError:
        message = text or f"Error code: {status}"
    data = body.get("error", body) if isinstance(body, dict) else body
    cls = _STATUS_ERRORS.get(status) or ("InternalServerError" if status >= 500 else "")
    error_class = getattr(sdk, cls) if cls else sdk.APIStatusError
    return error_class(message, response=response, body=data)  # type: ignore[no-any-return]


# The SDK's exception class for each status, as its client picks them.
_STATUS_ERRORS = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}


def _result(data: Any, request: BackendRequest) -> BackendResult:
    """Completions and usage of a response (fewer choices than asked is the gateway's to fix)."""
    choices = data.get("choices") if isinstance(data, dict) else None
    if not choices or not isinstance(choices, list):
        raise ValueError("malformed response: no choices")
    completions = [
        Completion(
            text=str((choice.get("message") or {}).get("content") or ""),
            index=request.sample_index + offset,
            finish_reason=choice.get("finish_reason"),
            logprobs=logprobs_of(choice),
        )
        for offset, choice in enumerate(choices[: request.n])
    ]
    usage = data.get("usage") or {}
    return BackendResult(
        completions=completions,
        usage=Usage(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        ),
        cost_usd=None,  # only models LiteLLM leaves unpriced take this path
    )


class _LoopSession:
    """The aiohttp session of one event loop, closed with the loop.

    Connections belong to the loop that opened them, so each loop gets its own session.
    """

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None
        self._closer: AsyncIterator[None] | None = None

    def get(self) -> aiohttp.ClientSession:
        """The shared session (made on first use)."""
        if self.session is None or self.session.closed:
            import aiohttp

            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=_MAX_CONNECTIONS), trust_env=True
            )
            self._close_with_loop()
        return self.session

    def _close_with_loop(self) -> None:
        """Close the session when the loop shuts down, so no connection is left unclosed.

        ``asyncio.run`` (and pytest-asyncio) close every suspended async generator of the
        loop before closing it; a generator parked on ``yield`` is that hook.
        """
        if self._closer is not None:
            return
        self._closer = self._until_shutdown()
        asyncio.get_running_loop().create_task(_start(self._closer))

    async def _until_shutdown(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the session and its connections."""
        session, self.session = self.session, None
        if session is not None:
            await session.close()


async def _start(gen: AsyncIterator[None]) -> None:
    await gen.__anext__()


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopSession] = (
    weakref.WeakKeyDictionary()
)


def _sessions() -> _LoopSession:
    loop = asyncio.get_running_loop()
    sessions = _by_loop.get(loop)
    if sessions is None:
        sessions = _by_loop[loop] = _LoopSession()
    return sessions


async def aclose_clients() -> None:
    """Close the fast path's connections of the running loop (they also close with the loop)."""
    sessions = _by_loop.pop(asyncio.get_running_loop(), None)
    if sessions is not None:
        await sessions.aclose()
