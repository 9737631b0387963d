"""Principles for principle-driven critique: the packaged set, or a user's file or folder.

A principle is a short text with a name. A file holds one principle (named by its ``# Title``
line, else by the file's name) or several, each starting with a ``# Title`` line; a folder
holds one or more such files (``*.md`` or ``*.txt``, read in name order). The packaged set is
``sparring/prompts/principles/*.txt`` (plain text, not prompt templates: the ``.md`` files
beside them are templates and are loaded as such).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sparring.errors import ConfigError

__all__ = ["Principle", "load_principles", "principles_text"]

_HEADING_RE = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)
_SUFFIXES = (".md", ".txt")


@dataclass(frozen=True, slots=True)
class Principle:
    """One principle: its name and what it asks of a response."""

    name: str
    text: str


def _parse(stem: str, content: str, where: str) -> list[Principle]:
    heads = list(_HEADING_RE.finditer(content))
    if not heads:
        body = content.strip()
        return [Principle(stem, body)] if body else []
    out = []
    for head, nxt in zip(heads, [*heads[1:], None], strict=True):
        body = content[head.end() : nxt.start() if nxt else len(content)].strip()
        if not body:
            raise ConfigError(f"principles: {where}: principle {head[1]!r} has no text")
        out.append(Principle(head[1], body))
    return out


def _packaged() -> list[Principle]:
    folder = resources.files("sparring.prompts").joinpath("principles")
    files = sorted(
        (f for f in folder.iterdir() if f.name.endswith(_SUFFIXES)), key=lambda f: f.name
    )
    return [
        p
        for f in files
        for p in _parse(f.name.rsplit(".", 1)[0], f.read_text(encoding="utf-8"), f.name)
    ]


def load_principles(source: str | Path | None = None) -> list[Principle]:
    """The principles in ``source`` (a file or folder), or the packaged set when None.

    Raises:
        ConfigError: The path does not exist, holds no principle, or a principle is empty or
            named twice.
    """
    if source is None:
        found = _packaged()
    else:
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in _SUFFIXES and p.is_file())
        elif path.is_file():
            files = [path]
        else:
            raise ConfigError(f"principles: no file or folder at {str(path)!r}")
        found = [p for f in files for p in _parse(f.stem, f.read_text(encoding="utf-8"), str(f))]
        if not found:
            raise ConfigError(f"principles: {str(path)!r} holds no principle (*.md or *.txt)")
    names = [p.name.lower() for p in found]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise ConfigError(f"principles: named more than once: {', '.join(dupes)}")
    return found


def principles_text(principles: list[Principle]) -> str:
    """The principles as the critique and revision prompts show them."""
    return "\n\n".join(f"Principle: {p.name}\n{p.text}" for p in principles)
