"""What both OpenAI-shaped backends share: the keyless-server placeholder and logprob reading.

LiteLLM (``_litellm``) and the direct HTTP path (``_openai_fast``) send the same placeholder key
to a server that wants none, and read token log probabilities from the same response shape
(an object from LiteLLM, a plain JSON dict from the direct path).
"""

from __future__ import annotations

from typing import Any

from sparring.models._types import TokenLogprob, TopLogprob

__all__ = ["PLACEHOLDER_KEY", "PROVIDER_KEY_ENV", "logprobs_of"]

# OpenAI-compatible servers (vLLM, serve-sim, llama.cpp...) usually want no key, but the openai
# client refuses to send a request without one: send this non-secret word instead of making
# the user invent a key. A server that does check keys answers 401, reported as an auth error.
PLACEHOLDER_KEY = "no-key"
PROVIDER_KEY_ENV = {"openai": "OPENAI_API_KEY", "hosted_vllm": "HOSTED_VLLM_API_KEY"}
"""The environment variable each OpenAI-shaped provider reads its key from."""


def logprobs_of(choice: Any) -> list[TokenLogprob] | None:
    """Token log probabilities of a choice, as an object (LiteLLM) or a plain JSON dict."""
    raw = choice.get("logprobs") if isinstance(choice, dict) else getattr(choice, "logprobs", None)
    content = getattr(raw, "content", None) if raw is not None else None
    if content is None and isinstance(raw, dict):
        content = raw.get("content")
    if not content:
        return None
    out: list[TokenLogprob] = []
    for tok in content:
        get = tok.get if isinstance(tok, dict) else lambda k, t=tok: getattr(t, k, None)
        tops = [
            TopLogprob(token=str(_field(t, "token")), logprob=float(_field(t, "logprob")))
            for t in (get("top_logprobs") or [])
        ]
        logprob = get("logprob")
        out.append(
            TokenLogprob(token=str(get("token")), logprob=float(logprob or 0.0), top_logprobs=tops)
        )
    return out


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name)
