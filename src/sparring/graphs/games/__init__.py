"""Self-play game graphs: deceptive feedback, prover-verifier, debate.

Each module holds one game's graph (``create_<game>_graph``), its state, outcome and scoreboard;
the SPC game's graph is ``sparring.graphs.spc_game``. Playing games over several runs
(SPC iterations with learning players, defences, prover-verifier rounds, training hooks between
them) lives one layer up, in ``sparring.iterate``: graphs never import the run layer.
"""

from sparring.graphs._spc_rules import SUBTLE_ERRORS

__all__ = ["SUBTLE_ERRORS"]
