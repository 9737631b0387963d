"""Built-in simulated behaviours; importing this package registers them with the engine."""

from sparring.sim.behaviours import (  # noqa: F401 - imported for their registrations
    _actor,
    _critic,
    _judge,
    _meta,
    _planner,
    _sneaky,
)

__all__: list[str] = []
