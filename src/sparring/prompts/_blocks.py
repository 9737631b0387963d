"""Fenced blocks: how untrusted text (a question, a candidate response) sits inside a prompt.

A block is ``[BEGIN LABEL #nonce]`` ... ``[END LABEL #nonce]``. The nonce is a keyed hash of
the prompt's content: unpredictable to a candidate (the key is secret), yet the same prompt gets
the same nonce within a run, so seeded runs and resumed runs send identical requests. Fence
markers inside the candidate are defused as well. The simulator reads prompts with
``find_blocks``.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = ["Block", "defuse", "fence", "find_blocks", "new_nonce", "nonce_for", "set_nonce_key"]

_BLOCK_RE = re.compile(
    r"\[BEGIN ([A-Z][A-Z0-9 _]*?) #([0-9a-z]{4,16})\]\n(.*?)\n?\[END \1 #\2\]", re.DOTALL
)
_MARKER_RE = re.compile(r"\[(BEGIN|END)(?= )")


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced block found in a prompt."""

    label: str
    nonce: str
    body: str


_PROCESS_KEY = secrets.token_bytes(16)  # bytes are immutable: a safe shared default
_KEY: contextvars.ContextVar[bytes] = contextvars.ContextVar(
    "sparring_nonce_key",
    default=_PROCESS_KEY,
)


def new_nonce() -> str:
    """A fresh random nonce (8 hex digits)."""
    return secrets.token_hex(4)


def nonce_for(content: str) -> str:
    """The nonce of a prompt with this content (8 hex digits, keyed by the current key)."""
    return hmac.new(_KEY.get(), content.encode("utf-8"), hashlib.sha256).hexdigest()[:8]


def set_nonce_key(key: bytes) -> contextvars.Token[bytes]:
    """Use ``key`` for nonces in this context (a run stores one so resumed runs agree)."""
    if len(key) < 16:
        raise ValueError("a nonce key needs at least 16 bytes")
    return _KEY.set(key)


def defuse(text: str) -> str:
    """Make fence markers inside untrusted text inert (``[BEGIN`` becomes ``[begin``)."""
    return _MARKER_RE.sub(lambda m: "[" + m.group(1).lower(), text)


def fence(label: str, text: str, nonce: str) -> str:
    """Wrap ``text`` in a block labelled ``label`` (upper case) with ``nonce``."""
    if not re.fullmatch(r"[A-Z][A-Z0-9 _]*", label):
        raise ValueError(f"block label must be upper case letters, digits, spaces: {label!r}")
    return f"[BEGIN {label} #{nonce}]\n{defuse(text)}\n[END {label} #{nonce}]"


def find_blocks(text: str) -> list[Block]:
    """Every well-formed block in ``text``, in order."""
    return [Block(m.group(1), m.group(2), m.group(3)) for m in _BLOCK_RE.finditer(text)]
