"""The sparring exception tree.

SparringError
├── ConfigError            bad arguments, unknown role, bad config file
│   ├── OptionError               a graph option is unknown or out of range (nothing written)
│   ├── MissingGoldError          an item lacks the gold answer its graph needs
│   └── LogprobsUnavailableError  self-certainty on a backend without log probabilities
├── PreflightError         a role's model cannot be used (unknown, key missing, no answer)
├── PromptError            missing template, missing or unexpected variable
├── UnscoredVerdictError   a value was asked of an unscored verdict
├── StoreError             the run store cannot be opened or used
│   ├── StoreVersionError      written by a newer sparring
│   └── RunBusyError           another process holds the run directory's lock
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
    "OptionError",
    "PreflightError",
    "PromptError",
    "RunBusyError",
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


class OptionError(ConfigError):
    """A graph option is unknown or has a bad value; raised before anything is written."""


class PreflightError(SparringError):
    """A role's model cannot be used: unknown model string, missing key, or no answer.

    Attributes:
        problems: One line per problem, naming the role, the model and what is wrong.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


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


class RunBusyError(StoreError):
    """Another live process is running this run directory.

    Attributes:
        pid: The other process's id, when its lock file names one.
    """

    def __init__(self, message: str, pid: int | None = None) -> None:
        self.pid = pid
        super().__init__(message)


class ModelCallError(SparringError):
    """A model call failed for good.

    Attributes:
        model: The model string that was called (never a key).
        role: The role the call was made for, if any.
        kind: What went wrong, as a short category.
        attempts: How many attempts were made.
        status_code: The HTTP-like status of the last failure, if any.
        cause: A one-line, redacted description of the last failure.
        fatal: Every later call to this model would fail the same way (a missing or rejected
            key, an unknown model or provider): a run stops instead of failing each item.
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
        fatal: bool = False,
    ) -> None:
        self.model = model
        self.fatal = fatal
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
    fatal: bool = False,
) -> ModelCallError:
    """Build the ModelCallError subclass that matches ``kind``."""
    cls = _BY_KIND[kind]
    return cls(
        model=model,
        kind=kind,
        cause=cause,
        attempts=attempts,
        role=role,
        status_code=status_code,
        fatal=fatal,
    )
