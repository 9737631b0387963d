"""sparring: importable LangGraph graphs for self-improving LLM loops.

Roles (actor, judge, meta-judge, critic, sneaky generator, planner) are graph nodes; every
model call goes through LiteLLM, so a role can be a hosted API, a local vLLM or Ollama server,
or the built-in offline simulator (``sim/<role>``).

Importing sparring is cheap: LiteLLM is imported on first use, and the simulator registers
itself as the LiteLLM provider ``sim`` as soon as LiteLLM is imported, by anyone.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# Before anything imports litellm: use its bundled price map, never fetch one at import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from sparring._hook import install_litellm_hook

install_litellm_hook()

if TYPE_CHECKING:
    from sparring.models import Model, Roles

    __version__: str

__all__ = ["Model", "Roles", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy: ``import sparring`` stays fast; the model layer and metadata load on first use.
    if name == "__version__":
        from importlib import metadata

        try:
            return metadata.version("sparring")
        except metadata.PackageNotFoundError:  # running from a source tree
            return "0.0.0+local"
    if name in ("Model", "Roles"):
        from sparring import models

        return getattr(models, name)
    raise AttributeError(f"module 'sparring' has no attribute {name!r}")
