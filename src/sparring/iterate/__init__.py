"""Iterated self-improvement runs with B-STaR's exploration / exploitation monitors.

``run_bstar(folder, BStarPlan(...))`` runs a self-taught reasoning loop on the simulator: each
iteration samples with the self-consistency graph, selects by a reward threshold, reports
exploration (distinct right samples), exploitation (the selection's accuracy) and B-STaR's
balance score, and lets the simulated actor learn from the selection. ``adjust=True`` chooses
each iteration's temperature and threshold by the balance score, as B-STaR does.

Self-play games over several runs live here too, above the run layer (their graphs are in
``sparring.graphs``): ``SpcSelfPlay`` plays the SPC game over iterations with learning players
and a ``TrainingHook`` (``shell_hook``) between them; ``play_deceptive_runs`` plays the
deceptive-feedback game once per defence; ``play_prover_verifier_runs`` (each round a run) and
``play_prover_verifier`` (in memory) play prover-verifier rounds whose learner alternates.
"""

from sparring.iterate._balance import BalanceTotals, ItemBalance, item_balance, vote_rewards
from sparring.iterate._bstar import (
    MANIFEST,
    BStarIteration,
    BStarPlan,
    load_bstar,
    run_bstar,
)
from sparring.iterate._bstar_view import render_bstar
from sparring.iterate._conditions import ConditionResult, play_condition
from sparring.iterate._game_data import check_game_data
from sparring.iterate._game_runs import play_deceptive_runs, play_prover_verifier_runs
from sparring.iterate._hooks import (
    HookFailed,
    ModelSpec,
    TrainingHook,
    TrainingRequest,
    shell_hook,
)
from sparring.iterate._practice import practice_problems, write_practice
from sparring.iterate._pv_rounds import PvRound, play_prover_verifier
from sparring.iterate._spc import SpcIteration, SpcPlan, SpcSelfPlay, tally_of
from sparring.iterate._stopped import GameStopped

__all__ = [
    "MANIFEST",
    "BStarIteration",
    "BStarPlan",
    "BalanceTotals",
    "ConditionResult",
    "GameStopped",
    "HookFailed",
    "ItemBalance",
    "ModelSpec",
    "PvRound",
    "SpcIteration",
    "SpcPlan",
    "SpcSelfPlay",
    "TrainingHook",
    "TrainingRequest",
    "check_game_data",
    "item_balance",
    "load_bstar",
    "play_condition",
    "play_deceptive_runs",
    "play_prover_verifier",
    "play_prover_verifier_runs",
    "practice_problems",
    "render_bstar",
    "run_bstar",
    "shell_hook",
    "tally_of",
    "vote_rewards",
    "write_practice",
]
