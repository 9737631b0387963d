"""Training hooks: what trains real players between self-play iterations.

A hook is given one iteration's exported records and answers with the models to play the next
iteration (for example: a TRL run on the critic's records, then a vLLM restart serving the new
weights). It is a Python callable, or a shell command wrapped by ``shell_hook``.

The shell protocol: the command runs with these environment variables set

- ``SPARRING_ITERATION``: the iteration just played (0-based);
- ``SPARRING_RECORDS``: the folder of its exported records (``critic.jsonl``, ``sneaky.jsonl``,
  ``rl/`` and ``pairs/`` as Hugging Face ``datasets`` folders; ``rl/`` has one config per
  role: ``load_dataset(records / "rl", "critic")``);
- ``SPARRING_MODELS``: the models it was played with, as JSON (``{"critic": "...", ...}``);
- ``SPARRING_MODELS_OUT``: a file to write the next iteration's models to, as a JSON object of
  role to model string (or to model settings: ``{"name": ..., "api_base": ...}``).

If the command writes no such file, the last line of its standard output is read as that JSON
object; a role it does not name keeps its model. A non-zero exit stops the game with the
command's exit code and the end of its output.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparring._secrets import redact
from sparring.errors import ConfigError, SparringError
from sparring.models import Model

__all__ = [
    "HookFailed",
    "ModelSpec",
    "TrainingHook",
    "TrainingRequest",
    "apply_models",
    "call_hook",
    "model_settings",
    "shell_hook",
]

ModelSpec = str | dict[str, Any]
"""A model for the next iteration: a LiteLLM model string, or ``Model`` settings."""

_TAIL = 2000


@dataclass(frozen=True, slots=True)
class TrainingRequest:
    """What a training hook is given after an iteration.

    Attributes:
        iteration: The iteration just played (0-based).
        records: The folder of its exported records.
        models: The model string of each role in that iteration.
        game_dir: The game's folder.
    """

    iteration: int
    records: Path
    models: dict[str, str]
    game_dir: Path


TrainingHook = Callable[[TrainingRequest], Mapping[str, ModelSpec] | None]
"""Trains the players on ``request.records``; returns role -> next model (None: unchanged)."""


class HookFailed(SparringError):
    """The training hook failed; earlier iterations are kept and the game can resume.

    Attributes:
        exit_code: The hook's exit code (1 for a Python hook that raised).
        output: The end of its output.
    """

    def __init__(self, iteration: int, exit_code: int, output: str) -> None:
        output = redact(output)  # a training script may print a token it was given
        self.iteration, self.exit_code, self.output = iteration, exit_code, output
        last = output.strip().splitlines()[-1] if output.strip() else "(no output)"
        super().__init__(
            f"training hook failed after iteration {iteration} (exit code {exit_code}): {last}"
        )


def model_settings(model: Model) -> dict[str, Any]:
    """A model's settings as a manifest keeps them (never its key).

    Raises:
        ConfigError: It is a LangChain chat model, which cannot be saved.
    """
    if model.chat_model is not None:
        raise ConfigError(f"{model.name}: a LangChain chat model cannot play an iterated game")
    return model.model_dump(exclude={"api_key", "chat_model"}, exclude_defaults=True)


def call_hook(hook: TrainingHook, request: TrainingRequest) -> Mapping[str, ModelSpec]:
    """Run ``hook`` on ``request``; whatever it raises becomes ``HookFailed``."""
    try:
        answer = hook(request)
    except HookFailed:
        raise
    except Exception as err:
        raise HookFailed(request.iteration, 1, f"{type(err).__name__}: {err}") from err
    return answer or {}


def apply_models(
    iteration: int, current: Mapping[str, dict[str, Any]], answer: Mapping[str, ModelSpec]
) -> dict[str, dict[str, Any]]:
    """The next iteration's model settings: ``current`` with the hook's answer applied.

    A model string keeps the role's other settings (``api_base``, sampling); settings replace
    them whole. A role not named keeps its model.

    Raises:
        HookFailed: The answer names a role that is not playing, or a bad model.
    """
    out = dict(current)
    for role, spec in answer.items():
        if role not in out:
            raise HookFailed(
                iteration, 1, f"the hook named an unknown role {role!r}; use {tuple(current)}"
            )
        try:
            if isinstance(spec, str):
                keep = {k: v for k, v in out[role].items() if k not in ("name", "extra")}
                out[role] = model_settings(Model(spec, **keep))
            else:
                out[role] = model_settings(Model(**spec))
        except (TypeError, ValueError) as err:
            why = " ".join(str(err).split())
            raise HookFailed(iteration, 1, f"the hook's model for {role!r} is bad: {why}") from None
    return out


def _models_from(text: str, iteration: int) -> dict[str, ModelSpec] | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        raise HookFailed(iteration, 1, f"the hook's models are not a JSON object: {text[:200]}")
    return data


def _read_models(out_file: Path, stdout: str, iteration: int) -> dict[str, ModelSpec] | None:
    if out_file.exists():
        text = out_file.read_text(encoding="utf-8")
        models = _models_from(text, iteration)
        if models is None:
            raise HookFailed(iteration, 1, f"{out_file}: not valid JSON: {text[:200]}")
        return models
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    return _models_from(lines[-1], iteration) if lines else None


def shell_hook(command: str, *, timeout_s: float | None = None) -> TrainingHook:
    """A training hook that runs ``command`` in a shell (see the module docstring).

    Args:
        command: The shell command.
        timeout_s: Seconds to wait for it (None: no limit).

    Returns:
        The hook.
    """

    def hook(request: TrainingRequest) -> Mapping[str, ModelSpec] | None:
        out_file = request.records / "next_models.json"
        out_file.unlink(missing_ok=True)
        env = {
            **os.environ,
            "SPARRING_ITERATION": str(request.iteration),
            "SPARRING_RECORDS": str(request.records),
            "SPARRING_MODELS": json.dumps(request.models),
            "SPARRING_MODELS_OUT": str(out_file),
        }
        try:
            done = subprocess.run(
                command,
                shell=True,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise HookFailed(request.iteration, 124, f"timed out after {timeout_s} s") from None
        output = (done.stdout or "") + (done.stderr or "")
        if done.returncode != 0:
            raise HookFailed(request.iteration, done.returncode, output[-_TAIL:])
        return _read_models(out_file, done.stdout or "", request.iteration)

    return hook
