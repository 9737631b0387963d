"""A run's configuration: everything needed to start it again, and nothing secret.

Saved in the run store when the run is created and read back by ``sparring resume``. Models are
kept as their settings (name, API base, sampling, the *name* of the env var holding a key); a
key given in code is never saved, so a resumed run reads keys from the environment again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sparring.models import Model, Roles
from sparring.verify import AnswerExtraction

__all__ = ["Budget", "RunConfig", "nonce_key_for", "roles_from_config", "roles_to_config"]


class Budget(BaseModel):
    """Limits that stop a run cleanly (and resumably) when reached; None means no limit."""

    model_config = ConfigDict(frozen=True)

    max_cost_usd: float | None = Field(default=None, gt=0)
    max_calls: int | None = Field(default=None, gt=0)


class RunConfig(BaseModel):
    """How a run was started.

    Attributes:
        graph: The graph's CLI name.
        options: Keyword options for the graph's factory.
        roles: Role name to model settings.
        default_model: Settings of the default model, if any (else the simulator).
        seed: The run's seed (simulator, sampling where supported, step choices).
        data: The data file, if the run reads one.
        fields: The field mapping used to read it.
        concurrency: Items in flight at once.
        budget: Cost and call limits.
        cache: Whether the response cache is on (seeded and greedy calls only).
        nonce_key: Key of prompt nonces (derived from the seed and graph by ``Run.create``),
            so resumed and same-seed runs send identical prompts.
        created: Unix time of creation.
        version: sparring's version at creation.
        answer_extraction: How the run reads final answers (``verify.extract_answer``):
            ``strict`` (a stated answer only, the default) or ``last_number_fallback`` (the
            last number of a text that states none). ``Run.execute`` puts it in force for
            every graph and verifier of the run, and the summary reads with it, so a run's
            correctness figures say which rule produced them.
    """

    model_config = ConfigDict(frozen=True)

    graph: str
    options: dict[str, Any] = Field(default_factory=dict)
    roles: dict[str, dict[str, Any]] = Field(default_factory=dict)
    default_model: dict[str, Any] | None = None
    seed: int = 0
    data: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    concurrency: int = Field(default=8, ge=1, le=1024)
    budget: Budget = Budget()
    cache: bool = True
    nonce_key: str = Field(default_factory=lambda: secrets.token_hex(16), repr=False)
    created: float = Field(default_factory=time.time)
    version: str = ""
    answer_extraction: AnswerExtraction = "strict"


def nonce_key_for(seed: int, graph: str) -> str:
    """The prompt-nonce key of a run: a keyed hash of its graph and seed.

    Same-seed runs then send byte-identical prompts (and give byte-identical exports), while
    the nonces stay unguessable to the models whose text is fenced: a nonce is a keyed hash
    of the whole prompt, and untrusted text is defused before fencing anyway.
    """
    message = f"{graph}|{seed}".encode()
    return hmac.new(b"sparring run nonce key v1", message, hashlib.sha256).hexdigest()[:32]


def _model_settings(model: Model) -> dict[str, Any]:
    if model.chat_model is not None:
        raise ValueError(f"{model.name}: a LangChain chat model cannot be saved in a run config")
    return model.model_dump(exclude={"api_key", "chat_model"}, exclude_defaults=True)


def roles_to_config(
    roles: Roles, names: tuple[str, ...]
) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """The settings of the models ``names`` resolve to (bound roles only) and the default."""
    bound = {
        name: _model_settings(roles.resolve(name))
        for name in names
        if roles.source(name)[1] == "bound"
    }
    return bound, _model_settings(roles.default) if roles.default is not None else None


def roles_from_config(config: RunConfig) -> Roles:
    """Rebuild the role bindings of a saved run."""
    bindings = {name: Model(**settings) for name, settings in config.roles.items()}
    default = Model(**config.default_model) if config.default_model else None
    return Roles(bindings, default=default, sim_seed=config.seed)
