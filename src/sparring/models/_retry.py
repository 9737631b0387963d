"""Retry policy and the failure classifier: which errors are worth another attempt.

LiteLLM's exception classes do not say what happened on the network (a refused connection
and a malformed body both arrive as ``InternalServerError(500)``), so the classifier reads
the status code, the class name and the message together.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from sparring._secrets import redact
from sparring.errors import ErrorKind

__all__ = ["Failure", "RetryPolicy", "classify", "is_fatal"]

_RETRYABLE: frozenset[ErrorKind] = frozenset(
    {"rate_limit", "timeout", "server", "connection", "malformed"}
)
_CONNECTION_HINTS = (
    "connection error",
    "connection refused",
    "errno 111",
    "connecterror",
    "remoteprotocolerror",
    "server disconnected",
    "connection reset",
    "cannot connect to host",
    "connect call failed",
    "name or service not known",
    "nodename nor servname",
)
# A missing or rejected key, whatever status the SDK wraps it in (openai's client raises a
# bare error that LiteLLM reports as 500).
_AUTH_HINTS = (
    "missing credentials",
    "api_key client option must be set",
    "incorrect api key",
    "invalid api key",
    "invalid x-api-key",
    "no api key",
    "api key not valid",
)
# Bad requests that no other item will get past either: the model or provider is wrong.
_FATAL_REQUEST_HINTS = (
    "llm provider not provided",
    "model not found",
    "does not exist",
    "unknown model",
    "no such model",
)
# Transport errors as raised by httpx (and re-raised bare by the openai SDK mid-stream).
_CONNECTION_NAMES = frozenset({
    "APIConnectionError", "ConnectError", "ConnectionError", "RemoteProtocolError", "ReadError",
    "WriteError", "NetworkError",
    "MidStreamFallbackError",
})
_TIMEOUT_NAMES = frozenset({"Timeout", "APITimeoutError", "ReadTimeout", "ConnectTimeout",
                            "PoolTimeout", "WriteTimeout", "TimeoutException"})
_MALFORMED_HINTS = (
    "unterminated string",
    "expecting value",
    "jsondecodeerror",
    "invalid json",
    "received response",
    "extra data",
    "incomplete chunked",
    "decode",
)


@dataclass(frozen=True, slots=True)
class Failure:
    """What one failed attempt tells us."""

    kind: ErrorKind
    message: str
    status_code: int | None = None
    retry_after_s: float | None = None

    @property
    def retryable(self) -> bool:
        """Whether another attempt may succeed."""
        return self.kind in _RETRYABLE

    @property
    def fatal(self) -> bool:
        """Whether every later call to this model will fail the same way (key, model name)."""
        return is_fatal(self.kind, self.status_code, self.message)


def is_fatal(kind: ErrorKind, status_code: int | None, message: str) -> bool:
    """Whether a failure is the model's, not the item's: auth, unknown model or provider.

    A run stops early on one of these (its remaining items stay pending), while a bad request
    that only one item triggers (a prompt too long for the context) fails just that item.
    """
    if kind == "auth":
        return True
    if kind != "bad_request":
        return False
    low = message.lower()
    return status_code == 404 or any(h in low for h in _FATAL_REQUEST_HINTS)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter.

    Attributes:
        max_attempts: Attempts in total, the first included.
        initial_delay_s: Wait before the second attempt.
        multiplier: Growth of the wait per attempt.
        max_delay_s: Cap on one wait.
        jitter: Random extra wait, as a fraction of the wait (0 disables).
        max_retry_after_s: Cap on a server's ``Retry-After``.
    """

    max_attempts: int = 6
    initial_delay_s: float = 0.5
    multiplier: float = 2.0
    max_delay_s: float = 30.0
    jitter: float = 0.25
    max_retry_after_s: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")

    def delay(self, attempt: int, failure: Failure, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        base = min(self.max_delay_s, self.initial_delay_s * self.multiplier ** (attempt - 1))
        base += base * self.jitter * (rng or random).random()
        if failure.retry_after_s is not None:
            base = max(base, min(failure.retry_after_s, self.max_retry_after_s))
        return base


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _retry_after_of(exc: BaseException) -> float | None:
    headers = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    try:
        value = headers.get("retry-after")
    except (AttributeError, TypeError):
        return None
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _kind_from_status(status: int, text: str) -> ErrorKind:
    if status < 400:  # a success status that still raised: the body could not be read
        return "malformed"
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limit"
    if status == 408:
        return "timeout"
    if status >= 500:
        if any(h in text for h in _CONNECTION_HINTS):
            return "connection"
        if any(h in text for h in _MALFORMED_HINTS):
            return "malformed"
        return "server"
    if status in (400, 404, 409, 413, 422):
        return "bad_request"
    return "unknown"


def classify(exc: BaseException) -> Failure:
    """Turn any exception from a backend into a redacted ``Failure``."""
    name = type(exc).__name__
    text = f"{name}: {exc}"
    low = text.lower()
    status = _status_of(exc)
    if isinstance(exc, asyncio.TimeoutError | TimeoutError) or name in _TIMEOUT_NAMES:
        kind: ErrorKind = "timeout"
    elif name in ("AuthenticationError", "PermissionDeniedError") or any(
        h in low for h in _AUTH_HINTS
    ):
        kind = "auth"
    elif name == "RateLimitError":
        kind = "rate_limit"
    elif name in (
        "BadRequestError",
        "NotFoundError",
        "UnprocessableEntityError",
        "ContextWindowExceededError",
        "ContentPolicyViolationError",
        "UnsupportedParamsError",
        "InvalidRequestError",
    ):
        kind = "bad_request"
    elif name in _CONNECTION_NAMES or isinstance(exc, ConnectionError):
        kind = "connection"
    elif status is not None:
        kind = _kind_from_status(status, low)
    elif any(h in low for h in _MALFORMED_HINTS):
        kind = "malformed"
    else:
        kind = "unknown"
    message = redact(" ".join(text.split()))[:500]
    return Failure(
        kind=kind, message=message, status_code=status, retry_after_s=_retry_after_of(exc)
    )
