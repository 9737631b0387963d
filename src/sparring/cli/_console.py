"""Terminal output shared by the commands: one console, the simulator banner."""

from __future__ import annotations

from rich.console import Console

from sparring.models import ROLE_NAMES, Roles

__all__ = ["console", "err_console", "simulator_banner"]

console = Console()
err_console = Console(stderr=True)


def simulator_banner(roles: Roles, names: tuple[str, ...] = ROLE_NAMES) -> str | None:
    """A warning line when some roles run on the simulator, else None."""
    simulated = [r for r in names if roles.uses_simulator(r)]
    if not simulated:
        return None
    which = "every role" if len(simulated) == len(names) else ", ".join(simulated)
    return (
        f"[bold yellow]SIMULATOR[/] for {which}: an offline stochastic world with known "
        "answers and simulated skills, not a language model. Bind real models with "
        "--actor/--judge/... or --roles FILE."
    )
