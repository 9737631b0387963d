"""The data file of a game: problems with gold answers, checked before anything is played."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sparring.errors import ConfigError
from sparring.run import FieldMap, InputProblem, read_items

__all__ = ["check_game_data"]


def check_game_data(path: str | Path, fields: Mapping[str, str]) -> int:
    """Check that every row of a game's data file has a prompt and a gold answer.

    Returns:
        The number of rows.

    Raises:
        ConfigError: The file is missing, unreadable, empty, or a row lacks a field (the
            message names the field and the line).
    """
    fmap = FieldMap(**{**fields, "answer_required": True})  # type: ignore[arg-type]
    count = 0
    try:
        for _ in read_items(path, fmap, strict=True):
            count += 1
    except InputProblem as err:
        e = err.error
        why = "a game needs a gold answer in every row" if e["field"] == fmap.answer else ""
        hint = f" ({why}; name the field with --answer-field)" if why else ""
        raise ConfigError(
            f"{e['file']} line {e['line']}: field {e['field']!r} {e['message']}{hint}"
        ) from None
    if count == 0:
        raise ConfigError(f"{path}: no rows to play")
    return count
