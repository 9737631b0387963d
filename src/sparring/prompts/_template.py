"""Prompt templates as package data files, loaded by name and rendered strictly.

A template file (``prompts/<role>/<name>.md``) has a front matter and one or more message
sections::

    ---
    description: what the prompt asks for
    variables: question, response
    ---
    [system]
    You are ...
    [user]
    ... {{question}} ... {{response}} ...

Placeholders are ``{{name}}``. The declared variables must be exactly the placeholders used
(checked at load). Rendering with a missing or an unexpected variable raises ``PromptError``.
A variable given as ``Untrusted(text)`` is fenced (see ``_blocks``) with the prompt's nonce.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sparring.errors import PromptError
from sparring.models._types import ChatMessage
from sparring.prompts._blocks import fence, nonce_for

__all__ = ["PromptTemplate", "Untrusted", "load_prompt", "parse_template"]

_VAR_RE = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_SECTION_RE = re.compile(r"^\[(system|user|assistant)\]\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Untrusted:
    """Text from outside the prompt (a candidate, a question): fenced when rendered."""

    text: str
    label: str


@dataclass(frozen=True)
class PromptTemplate:
    """A loaded template: its messages with placeholders and the variables it declares."""

    name: str
    description: str
    variables: frozenset[str]
    sections: tuple[tuple[str, str], ...]
    sha256: str = field(compare=False)

    def render(self, *, nonce: str | None = None, **values: str | Untrusted) -> list[ChatMessage]:
        """Fill the placeholders and return chat messages (see ``render_values``)."""
        return self.render_values(values, nonce=nonce)

    def render_values(
        self, values: Mapping[str, str | Untrusted], *, nonce: str | None = None
    ) -> list[ChatMessage]:
        """Fill the placeholders from a mapping and return chat messages.

        Raises:
            PromptError: A declared variable is missing or an undeclared one is given.
        """
        given = set(values)
        if missing := sorted(self.variables - given):
            raise PromptError(f"prompt {self.name!r}: missing variable(s) {missing}")
        if extra := sorted(given - self.variables):
            raise PromptError(f"prompt {self.name!r}: unexpected variable(s) {extra}")
        tag = nonce or nonce_for(
            json.dumps(
                {k: v.text if isinstance(v, Untrusted) else v for k, v in sorted(values.items())}
            )
            + self.sha256
        )
        text = {
            k: fence(v.label, v.text, tag) if isinstance(v, Untrusted) else v
            for k, v in values.items()
        }
        return [
            {"role": role, "content": _VAR_RE.sub(lambda m: text[m.group(1)], body)}  # type: ignore[typeddict-item]
            for role, body in self.sections
        ]


def parse_template(name: str, source: str) -> PromptTemplate:
    """Parse a template file's text; check its declared variables against its placeholders."""
    if not source.startswith("---\n"):
        raise PromptError(f"prompt {name!r}: must start with a '---' front matter")
    try:
        head, body = source[4:].split("\n---\n", 1)
    except ValueError:
        raise PromptError(f"prompt {name!r}: front matter is not closed by '---'") from None
    meta = {
        k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in head.splitlines() if ln)
    }
    declared = frozenset(v.strip() for v in meta.get("variables", "").split(",") if v.strip())
    parts = _SECTION_RE.split(body)
    if len(parts) < 3 or parts[0].strip():
        raise PromptError(f"prompt {name!r}: body must start with a [system] or [user] section")
    sections = tuple((parts[i], parts[i + 1].strip("\n")) for i in range(1, len(parts), 2))
    used = frozenset(m.group(1) for _, b in sections for m in _VAR_RE.finditer(b))
    if used != declared:
        raise PromptError(
            f"prompt {name!r}: declared variables {sorted(declared)} but uses {sorted(used)}"
        )
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return PromptTemplate(name, meta.get("description", ""), declared, sections, digest)


@lru_cache(maxsize=256)
def _load_packaged(name: str) -> PromptTemplate:
    path = resources.files("sparring.prompts").joinpath(f"{name}.md")
    if not path.is_file():
        raise PromptError(f"no packaged prompt named {name!r} (looked for prompts/{name}.md)")
    return parse_template(name, path.read_text(encoding="utf-8"))


def load_prompt(name_or_path: str | Path) -> PromptTemplate:
    """Load a packaged template by name (``judge/pointwise``) or a template file by path."""
    path = Path(name_or_path)
    if path.suffix == ".md" and path.is_file():
        return parse_template(str(path), path.read_text(encoding="utf-8"))
    return _load_packaged(str(name_or_path))
