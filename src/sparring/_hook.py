"""Register the simulator with LiteLLM the moment LiteLLM is imported, without importing it.

``import sparring`` must stay fast, yet ``litellm.acompletion(model="sim/actor", ...)`` must
work for anyone who imported sparring. A meta-path finder wraps LiteLLM's loader so that the
simulator is registered right after ``litellm/__init__`` has run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["install_litellm_hook"]


# Plain classes, not importlib.abc subclasses: importing importlib.abc costs ~13 ms at startup.
class _RegisterAfterLoad:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        # Resource readers and the like: litellm reads package data while it imports.
        return getattr(self._inner, name)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self._inner.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        if module.__spec__ is not None:  # hand the real loader back once the module exists
            module.__spec__.loader = self._inner
        module.__loader__ = self._inner
        from sparring.sim import register_provider

        register_provider(module)


class _LiteLLMFinder:
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname != "litellm":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _RegisterAfterLoad(spec.loader)  # type: ignore[assignment]
                return spec
        return None


def install_litellm_hook() -> None:
    """Register the simulator now if LiteLLM is loaded, else as soon as it is."""
    if "litellm" in sys.modules:
        from sparring.sim import register_provider

        register_provider(sys.modules["litellm"])
        return
    if not any(isinstance(f, _LiteLLMFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _LiteLLMFinder())
