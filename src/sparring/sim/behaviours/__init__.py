"""Built-in simulated behaviours; importing this package registers every one with the engine.

Each module here calls ``register_behaviour`` at import; new modules are picked up by name, so
adding a behaviour never means editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__: list[str] = []

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_info.name}")
