"""A game folder's settings, pinned on the first play so a resume cannot change them.

A run directory keeps its graph options, but some of a game's settings live above its runs:
how many games each condition plays, the simulated learning rate between rounds, the training
hook. Playing a folder again with different values would mix two games in one folder (a larger
``--games`` silently extends finished conditions; another learning rate changes the later
rounds only), so the first play writes them to ``settings.json`` and later plays must match.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sparring.errors import ConfigError

__all__ = ["SETTINGS_FILE", "pin_settings"]

SETTINGS_FILE = "settings.json"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def pin_settings(game_dir: Path, settings: Mapping[str, Any]) -> None:
    """Save ``settings`` in a new game folder, or check them against the saved ones.

    Args:
        game_dir: The game folder.
        settings: JSON-able settings, named as their CLI options (``games``, ``learning_rate``).

    Raises:
        ConfigError: The folder was played with other values (each named with both values).
    """
    path = game_dir / SETTINGS_FILE
    wanted = json.loads(json.dumps(dict(settings)))  # the saved form, so tuples compare as lists
    if not path.exists():
        game_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(wanted, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
        return
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: cannot read the game's saved settings: {err}") from None
    differ = [
        f"{_flag(k)} {saved.get(k)!r} (asked: {wanted.get(k)!r})"
        for k in sorted(set(saved) | set(wanted))
        if saved.get(k) != wanted.get(k)
    ]
    if differ:
        raise ConfigError(
            f"{game_dir} was played with other settings: {'; '.join(differ)}; "
            "play it with those settings or use another --out"
        )
