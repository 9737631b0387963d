"""Self-play games: SPC over iterations with learning players, and their training hooks.

The single-game graph is ``sparring.graphs.spc_game.create_spc_game_graph``; this package plays
it over iterations (``SpcSelfPlay``), with simulated learning on the simulator and a training
hook (``TrainingHook``, ``shell_hook``) on real models.
"""

from sparring.graphs.games._hooks import (
    HookFailed,
    ModelSpec,
    TrainingHook,
    TrainingRequest,
    shell_hook,
)
from sparring.graphs.games._spc_iterations import (
    SUBTLE_ERRORS,
    GameStopped,
    SpcIteration,
    SpcPlan,
    SpcSelfPlay,
    check_game_data,
    tally_of,
)

__all__ = [
    "SUBTLE_ERRORS",
    "GameStopped",
    "HookFailed",
    "ModelSpec",
    "SpcIteration",
    "SpcPlan",
    "SpcSelfPlay",
    "TrainingHook",
    "TrainingRequest",
    "check_game_data",
    "shell_hook",
    "tally_of",
]
