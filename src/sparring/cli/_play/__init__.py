"""``sparring play GAME``: self-play games with a live scoreboard.

``spc`` plays the Self-Play Critic game over iterations, with learning players between them
(simulated learning on the simulator, a training hook on real models). ``deceptive`` plays the
deceptive-feedback game once per defence and ``prover-verifier`` plays rounds whose learner
alternates. Every game plays through the run store: each iteration, defence or round is a run
directory under the game folder (``--out``), shown by ``sparring view``, and playing the same
folder again resumes the game without replaying finished games.
"""

from sparring.cli._play import _deceptive, _pv, _spc  # noqa: F401  (they add the commands)
from sparring.cli._play._common import play
from sparring.cli._play._deceptive import deception_table
from sparring.cli._play._pv import pv_table
from sparring.cli._play._spc_tables import iterations_table, scoreboard_table

__all__ = ["deception_table", "iterations_table", "play", "pv_table", "scoreboard_table"]
