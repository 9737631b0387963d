"""``Roles``: graphs ask for roles; the caller binds roles to models once.

Precedence when a call resolves a role: an explicit model > the role's binding > the default.
When no default is given, the default is the offline simulator (``sim/<role>``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sparring.errors import ConfigError
from sparring.models._gateway import Gateway, default_gateway
from sparring.models._model import Model
from sparring.models._types import ChatMessage, CompletionSet

__all__ = ["ROLE_NAMES", "ModelLike", "Roles", "as_model"]

ROLE_NAMES = ("actor", "judge", "meta_judge", "critic", "sneaky", "planner")
ModelLike = str | Model | Any  # Any: a LangChain BaseChatModel
_ROLE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
Source = Literal["explicit", "bound", "default", "simulator"]


def as_model(value: ModelLike) -> Model:
    """Accept a model string, a ``Model`` or a LangChain chat model."""
    if isinstance(value, Model):
        return value
    if isinstance(value, str):
        return Model(name=value)
    return Model.from_langchain(value)


def _check_role(role: str) -> str:
    if not _ROLE_RE.match(role):
        raise ConfigError(
            f"role name {role!r} is not valid: use lowercase letters, digits and underscores "
            f"(known roles: {', '.join(ROLE_NAMES)})"
        )
    return role


class Roles:
    """Bindings from role names to models, plus the gateway their calls go through.

    Example:
        >>> roles = Roles(actor="hosted_vllm/qwen", judge="openai/gpt-4o-mini")
        >>> roles.resolve("judge").name
        'openai/gpt-4o-mini'

    Args:
        bindings: Role name to model, as a mapping (merged with the keyword bindings).
        default: The model for roles with no binding; the simulator when None.
        gateway: The gateway calls go through; the process default when None.
        sim_seed: Seed of the simulator models used as the fallback default.
        **roles: Role name to model (``actor=``, ``judge=``, ``meta_judge=``, ...).
    """

    def __init__(
        self,
        bindings: Mapping[str, ModelLike] | None = None,
        /,
        *,
        default: ModelLike | None = None,
        gateway: Gateway | None = None,
        sim_seed: int = 0,
        **roles: ModelLike,
    ) -> None:
        merged = {**(bindings or {}), **roles}
        self._bindings = {_check_role(k): as_model(v) for k, v in merged.items()}
        self._default = as_model(default) if default is not None else None
        self._gateway = gateway
        self.sim_seed = sim_seed

    @classmethod
    def sim(
        cls,
        seed: int = 0,
        *,
        profile: Mapping[str, Any] | None = None,
        roles: Sequence[str] = ROLE_NAMES,
        gateway: Gateway | None = None,
    ) -> Roles:
        """Bind every role to the offline simulator.

        Args:
            seed: The simulator's seed (world and sampling).
            profile: Skill overrides for the simulated roles (see ``sparring.sim.SimProfile``).
            roles: The role names to bind (others fall back to ``sim/<role>`` too).
            gateway: The gateway calls go through.
        """
        extra = {"sim_profile": dict(profile)} if profile else {}
        bound = {r: Model(name=f"sim/{r}", seed=seed, extra=extra) for r in roles}
        return cls(bound, gateway=gateway, sim_seed=seed)

    @property
    def gateway(self) -> Gateway:
        """The gateway calls go through."""
        return self._gateway or default_gateway()

    @property
    def default(self) -> Model | None:
        """The default model for unbound roles (None: the simulator)."""
        return self._default

    @property
    def names(self) -> list[str]:
        """Role names with an explicit binding."""
        return sorted(self._bindings)

    def bind(self, **roles: ModelLike) -> Roles:
        """A copy with some roles bound (or rebound)."""
        return Roles(
            {**self._bindings, **roles},
            default=self._default,
            gateway=self._gateway,
            sim_seed=self.sim_seed,
        )

    def with_gateway(self, gateway: Gateway) -> Roles:
        """A copy whose calls go through ``gateway``."""
        return Roles(self._bindings, default=self._default, gateway=gateway, sim_seed=self.sim_seed)

    def resolve(self, role: str, model: ModelLike | None = None) -> Model:
        """The model a call for ``role`` uses (explicit > binding > default > simulator)."""
        return self.source(role, model)[0]

    def source(self, role: str, model: ModelLike | None = None) -> tuple[Model, Source]:
        """The model for ``role`` and where it came from."""
        _check_role(role)
        if model is not None:
            return as_model(model), "explicit"
        if role in self._bindings:
            return self._bindings[role], "bound"
        if self._default is not None:
            return self._default, "default"
        return Model(name=f"sim/{role}", seed=self.sim_seed), "simulator"

    def uses_simulator(self, role: str) -> bool:
        """Whether ``role`` resolves to the offline simulator."""
        return self.resolve(role).is_simulated

    async def complete(
        self,
        role: str,
        messages: Sequence[ChatMessage] | str,
        *,
        model: ModelLike | None = None,
        n: int = 1,
        sample_index: int = 0,
        **overrides: Any,
    ) -> CompletionSet:
        """Call the model bound to ``role`` (see ``Model.complete`` for the arguments)."""
        resolved = self.resolve(role, model)
        return await self.gateway.complete(
            resolved, messages, n=n, role=role, sample_index=sample_index, **overrides
        )

    def __repr__(self) -> str:
        parts = [f"{k}={v.name!r}" for k, v in sorted(self._bindings.items())]
        parts.append(f"default={self._default.name if self._default else 'sim'!r}")
        return f"Roles({', '.join(parts)})"
