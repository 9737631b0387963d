"""Build simulator requests the way sparring's prompts do (fenced blocks)."""

from __future__ import annotations

from typing import Any

from sparring.prompts import fence
from sparring.sim import SimEngine, SimRequest


def ask(engine: SimEngine, model: str, content: str, **kw: Any) -> list[str]:
    request = SimRequest(model=model, messages=[{"role": "user", "content": content}], **kw)
    return [c.text for c in engine.respond(request).choices]


def blocks(**parts: str) -> str:
    return "\n".join(
        fence(label.replace("_", " ").upper(), text, "ab12cd34") for label, text in parts.items()
    )
