"""Layering: graphs never import the run layer; the model class never imports its gateway."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

from sparring.models import (
    BackendRequest,
    BackendResult,
    Completion,
    Gateway,
    Model,
    default_gateway,
    set_default_gateway,
)

SRC = Path(__file__).resolve().parents[1] / "src" / "sparring"

# Layers above the graphs: the runs, the iterated games over runs, the viewer and the CLI.
ABOVE_GRAPHS = ("sparring.run", "sparring.iterate", "sparring.view", "sparring.cli")


def _imported(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (lazy and ``TYPE_CHECKING`` imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _reaches(names: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in packages))


def test_the_import_scan_sees_lazy_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from sparring.run import Run\n", encoding="utf-8")
    assert _reaches(_imported(probe), ABOVE_GRAPHS) == ["sparring.run", "sparring.run.Run"]


@pytest.mark.parametrize(
    "path", sorted((SRC / "graphs").rglob("*.py")), ids=lambda p: str(p.relative_to(SRC))
)
def test_no_graph_module_imports_a_layer_above_the_graphs(path: Path) -> None:
    assert _reaches(_imported(path), ABOVE_GRAPHS) == []


def test_the_model_class_imports_no_gateway_or_backend() -> None:
    below = ("sparring.models._gateway", "sparring.models._litellm", "sparring.models._roles")
    assert _reaches(_imported(SRC / "models" / "_model.py"), below) == []


def test_the_fast_path_takes_nothing_from_the_litellm_backend() -> None:
    names = _imported(SRC / "models" / "_openai_fast.py")
    assert _reaches(names, ("sparring.models._litellm",)) == []


class _Echo:
    """A backend that answers with the last message, so a call needs no server."""

    async def generate(self, request: BackendRequest) -> BackendResult:
        text = str(request.messages[-1]["content"])
        return BackendResult([Completion(text=text, index=request.sample_index)])


def test_model_complete_goes_through_the_default_gateway_when_none_is_named() -> None:
    gateway = Gateway(backend_factory=lambda _m: _Echo())
    set_default_gateway(gateway)
    try:
        assert default_gateway() is gateway
        result = asyncio.run(Model("local/echo").complete("hello", role="actor"))
    finally:
        set_default_gateway(None)
    assert result.texts == ["hello"]
    assert gateway.usage.by_role["actor"].calls == 1
    assert default_gateway() is not gateway  # reset: a fresh process-wide gateway
