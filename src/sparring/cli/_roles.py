"""Role bindings from the command line and from a TOML file (``--roles roles.toml``).

The file has one table per role (and an optional ``[default]``)::

    [actor]
    model = "hosted_vllm/Qwen2.5-7B-Instruct"
    api_base = "http://127.0.0.1:8000/v1"
    temperature = 0.7

    [judge]
    model = "openai/gpt-4o-mini"

Flags beat the file; the file beats the simulator default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from sparring.errors import ConfigError
from sparring.models import ROLE_NAMES, Gateway, Model, Roles

__all__ = ["load_roles_file", "role_options", "roles_from_options"]

F = TypeVar("F", bound=Callable[..., Any])


def role_options(func: F) -> F:
    """Add the role flags, ``--default-model``, ``--api-base``, ``--roles`` and ``--seed``."""
    options = [
        click.option(
            f"--{role.replace('_', '-')}",
            f"role_{role}",
            metavar="MODEL",
            help=f"Model for the {role} role (LiteLLM string).",
        )
        for role in ROLE_NAMES
    ]
    options += [
        click.option(
            "--default-model",
            metavar="MODEL",
            help="Model for every role not bound otherwise (default: simulator).",
        ),
        click.option(
            "--api-base",
            metavar="URL",
            help="API base for the models named on the command line (vLLM, Ollama).",
        ),
        click.option(
            "--roles",
            "roles_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="TOML file binding roles to models.",
        ),
        click.option(
            "--seed",
            type=int,
            default=0,
            show_default=True,
            help="Seed of the simulator and of sampling where the backend supports it.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _model_from_table(path: Path, name: str, table: Any) -> Model:
    if not isinstance(table, dict) or "model" not in table:
        raise ConfigError(f"{path}: [{name}] needs a 'model' key (a LiteLLM model string)")
    fields = dict(table)
    fields["name"] = fields.pop("model")
    if "api_key" in fields:
        raise ConfigError(
            f"{path}: [{name}] must not hold an api_key; use api_key_env = "
            f'"NAME_OF_ENV_VAR" instead'
        )
    try:
        return Model(**fields)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise ConfigError(f"{path}: [{name}] {problems}") from None


def load_roles_file(path: Path) -> tuple[dict[str, Model], Model | None]:
    """Read a roles file: the role bindings and the optional default model."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    default = _model_from_table(path, "default", data.pop("default")) if "default" in data else None
    return {name: _model_from_table(path, name, table) for name, table in data.items()}, default


def roles_from_options(options: dict[str, Any], gateway: Gateway | None = None) -> Roles:
    """Build ``Roles`` from the parsed flags (and the roles file they name)."""
    seed = int(options.get("seed") or 0)
    bindings: dict[str, Model] = {}
    default: Model | None = None
    if options.get("roles_file"):
        bindings, default = load_roles_file(options["roles_file"])
    api_base = options.get("api_base")

    def named(value: str) -> Model:
        model = Model(name=value, api_base=api_base)
        return model.with_options(seed=seed) if model.is_simulated else model

    for role in ROLE_NAMES:
        if options.get(f"role_{role}"):
            bindings[role] = named(options[f"role_{role}"])
    if options.get("default_model"):
        default = named(options["default_model"])
    return Roles(bindings, default=default, gateway=gateway, sim_seed=seed)
