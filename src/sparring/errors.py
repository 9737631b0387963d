"""The sparring exception tree.

SparringError
├── ConfigError            bad arguments, unknown role, bad config file
│   ├── MissingGoldError          an item lacks the gold answer its graph needs
│   └── LogprobsUnavailableError  self-certainty on a backend without log probabilities
├── PromptError            missing template, missing or unexpected variable
├── UnscoredVerdictError   a value was asked of an unscored verdict
├── StoreError             the run store cannot be opened or used
│   └── StoreVersionError      written by a newer sparring
└── ModelCallError         a model call failed for good (after retries); names model and cause
    ├── ModelAuthError         401/403: a key is missing or wrong (never retried)
    ├── ModelBadRequestError   400/404/422: the request itself is wrong (never retried)
    ├── ModelRateLimitError    429 until the retry budget ran out
    ├── ModelTimeoutError      the per-call timeout passed on every attempt
    ├── ModelServerError       5xx or a malformed body until the retry budget ran out
    └── ModelConnectionError   the server could not be reached
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "ConfigError",
    "ErrorKind",
    "LogprobsUnavailableError",
    "MissingGoldError",
    "ModelAuthError",
    "ModelBadRequestError",
    "ModelCallError",
    "ModelConnectionError",
    "ModelRateLimitError",
    "ModelServerError",
    "ModelTimeoutError",
    "PromptError",
    "SparringError",
    "StoreError",
    "StoreVersionError",
    "UnscoredVerdictError",
]

ErrorKind = Literal[
    "auth", "bad_request", "rate_limit", "timeout", "server", "connection", "malformed", "unknown"
]


class SparringError(Exception):
    """Base class of every error sparring raises on purpose."""


class ConfigError(SparringError, ValueError):
    """A configuration value, argument or file is invalid."""


class MissingGoldError(ConfigError):
    """An item has no gold ``answer`` but the graph (or the chosen option) needs one.

    Raised before any model call, so the runner records the item as failed without cost.
    """


class LogprobsUnavailableError(ConfigError):
    """The actor's backend returned no token log probabilities (self-certainty needs them)."""


class PromptError(SparringError, ValueError):
    """A prompt template is missing or was rendered with wrong variables."""


class UnscoredVerdictError(SparringError, ValueError):
    """A value was required from a verdict that is unscored."""


class StoreError(SparringError):
    """The run store cannot be opened or used."""


class StoreVersionError(StoreError):
    """The store was written by a newer sparring with a schema this version cannot read."""


class ModelCallError(SparringError):
    """A model call failed for good.

    Attributes:
        model: The model string that was called (never a key).
        role: The role the call was made for, if any.
        kind: What went wrong, as a short category.
        attempts: How many attempts were made.
        status_code: The HTTP-like status of the last failure, if any.
        cause: A one-line, redacted description of the last failure.
    """

    def __init__(
        self,
        *,
        model: str,
        kind: ErrorKind,
        cause: str,
        attempts: int = 1,
        role: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.model = model
        self.role = role
        self.kind: ErrorKind = kind
        self.attempts = attempts
        self.status_code = status_code
        self.cause = cause
        who = f"{role} model {model!r}" if role else f"model {model!r}"
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        status = f" (HTTP {status_code})" if status_code else ""
        super().__init__(f"{who} failed after {tries}: {kind}{status}: {cause}")


class ModelAuthError(ModelCallError):
    """The provider refused the credentials (401/403)."""


class ModelBadRequestError(ModelCallError):
    """The provider rejected the request as invalid (400/404/422)."""


class ModelRateLimitError(ModelCallError):
    """The provider kept answering 429 until the retry budget ran out."""


class ModelTimeoutError(ModelCallError):
    """Every attempt ran past the per-call timeout."""


class ModelServerError(ModelCallError):
    """The provider kept failing with 5xx or malformed bodies."""


class ModelConnectionError(ModelCallError):
    """The provider could not be reached."""


_BY_KIND: dict[ErrorKind, type[ModelCallError]] = {
    "auth": ModelAuthError,
    "bad_request": ModelBadRequestError,
    "rate_limit": ModelRateLimitError,
    "timeout": ModelTimeoutError,
    "server": ModelServerError,
    "malformed": ModelServerError,
    "connection": ModelConnectionError,
    "unknown": ModelCallError,
}


def model_error(
    *,
    model: str,
    kind: ErrorKind,
    cause: str,
    attempts: int = 1,
    role: str | None = None,
    status_code: int | None = None,
) -> ModelCallError:
    """Build the ModelCallError subclass that matches ``kind``."""
    cls = _BY_KIND[kind]
    return cls(
        model=model, kind=kind, cause=cause, attempts=attempts, role=role, status_code=status_code
    )
