"""The technique graphs: ``create_<technique>_graph(roles, ...)`` factories and ``REGISTRY``.

Importing this package is cheap; a graph's module (and LangGraph) loads on first use of its
factory. Type checkers see every factory with its real signature (the imports under
``TYPE_CHECKING``), so a bad option such as ``max_questions="five"`` fails type checking.
Every graph supports ``invoke``/``stream`` as well as ``ainvoke``/``astream``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparring.graphs._registry import REGISTRY, GraphSpec, Registry
from sparring.graphs._state import ItemInput, RecordsState, merge_counts

if TYPE_CHECKING:
    from sparring.graphs.branch_solve_merge import create_branch_solve_merge_graph
    from sparring.graphs.cove import create_cove_graph
    from sparring.graphs.eval_planner import create_eval_planner_graph
    from sparring.graphs.fobar import create_fobar_graph
    from sparring.graphs.games.debate import create_debate_graph
    from sparring.graphs.games.deceptive import create_deceptive_feedback_graph
    from sparring.graphs.games.prover_verifier import create_prover_verifier_graph
    from sparring.graphs.irpo import create_irpo_graph
    from sparring.graphs.meta_rewarding import create_meta_rewarding_graph
    from sparring.graphs.p_true import create_p_true_graph
    from sparring.graphs.pairwise_judge import create_pairwise_judge_graph
    from sparring.graphs.principle_critique import create_principle_critique_graph
    from sparring.graphs.refine import create_refine_graph
    from sparring.graphs.reflexion import create_reflexion_graph
    from sparring.graphs.s2a import create_s2a_graph
    from sparring.graphs.search.critic_search import create_critic_search_graph
    from sparring.graphs.self_consistency import create_self_consistency_graph
    from sparring.graphs.self_rewarding import create_self_rewarding_graph
    from sparring.graphs.spc_game import create_spc_game_graph
    from sparring.graphs.tpo import create_tpo_graph
    from sparring.graphs.try_again import create_try_again_graph

__all__ = [
    "REGISTRY",
    "GraphSpec",
    "ItemInput",
    "RecordsState",
    "Registry",
    "create_branch_solve_merge_graph",
    "create_cove_graph",
    "create_critic_search_graph",
    "create_debate_graph",
    "create_deceptive_feedback_graph",
    "create_eval_planner_graph",
    "create_fobar_graph",
    "create_irpo_graph",
    "create_meta_rewarding_graph",
    "create_p_true_graph",
    "create_pairwise_judge_graph",
    "create_principle_critique_graph",
    "create_prover_verifier_graph",
    "create_refine_graph",
    "create_reflexion_graph",
    "create_s2a_graph",
    "create_self_consistency_graph",
    "create_self_rewarding_graph",
    "create_spc_game_graph",
    "create_tpo_graph",
    "create_try_again_graph",
    "merge_counts",
]


def __getattr__(name: str) -> Any:
    # create_<technique>_graph: import the technique's module on first use.
    for spec in REGISTRY.planned():
        if spec.factory == name and spec.available:
            factory = spec.load()
            globals()[name] = factory  # later look-ups skip the search
            return factory
    raise AttributeError(f"module 'sparring.graphs' has no attribute {name!r}")


def __dir__() -> list[str]:
    factories = [s.factory for s in REGISTRY.planned() if s.available]
    return sorted({*globals(), *__all__, *factories})
