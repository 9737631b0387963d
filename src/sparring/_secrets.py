"""Keep secrets out of everything sparring writes: events, logs, exports and error messages.

A secret is the value of an environment variable whose name looks like a credential
(``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``, ...), or a key handed to a ``Model`` directly.
``redact`` replaces every known secret, and anything shaped like a common provider key,
with ``[REDACTED]``.
"""

from __future__ import annotations

import json
import os
import re

__all__ = ["REDACTED", "redact", "register_secret", "secret_env_names"]

REDACTED = "[REDACTED]"
_NAME_RE = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|ACCESS_KEY)", re.IGNORECASE)
# Shapes of provider keys, so a key pasted somewhere unexpected is still caught.
_SHAPE_RE = re.compile(
    r"\b(sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}|AKIA[0-9A-Z]{16}|hf_[A-Za-z0-9]{20,}"
    r"|gsk_[A-Za-z0-9]{20,}|xai-[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_\-]{30,})"
)
_MIN_LEN = 8
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret handed over in code (not through the environment)."""
    if value and len(value) >= _MIN_LEN:
        _registered.add(value)


_names_cache: dict[tuple[str, ...], list[str]] = {}


def secret_env_names() -> list[str]:
    """Names (never values) of environment variables that look like credentials."""
    names = tuple(os.environ)
    found = _names_cache.get(names)
    if found is None:  # the environment's names changed: scan them again
        _names_cache.clear()
        found = _names_cache[names] = sorted(n for n in names if _NAME_RE.search(n))
    return list(found)


def _forms(secret: str) -> set[str]:
    """The secret as written, and as it appears inside a JSON string."""
    return {secret, json.dumps(secret)[1:-1]}


def _known() -> list[str]:
    found: set[str] = set()
    for value in (*_registered, *(os.environ.get(n, "") for n in secret_env_names())):
        if len(value) >= _MIN_LEN:
            found |= _forms(value)
    # Longest first, so a key that contains another is replaced whole.
    return sorted(found, key=len, reverse=True)


def redact(text: str) -> str:
    """Return ``text`` with every known secret (also JSON-escaped) and key-shaped token replaced."""
    for secret in _known():
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _SHAPE_RE.sub(REDACTED, text)
