"""Meta-Rewarding (Wu et al., 2024): the model also judges its own judgments.

Per prompt::

    START -> sample (actor: K responses) -> judge x K (N judgments each, Send fan-out)
          -> select_pair (mean of scored judgments; length-controlled actor pair;
                          pick the response whose judgments vary most)
          -> meta_judge x N(N-1)/2 (each pair of its judgments, both orders)
          -> judge_pair (Bradley–Terry with position weights; best vs worst judgment) -> END

Two kinds of preference pair come out: actor pairs (``kind="response"``), chosen with the
length-control tier rule (``length_controlled_pair``), and judge pairs (``kind="judgment"``)
whose prompt is the judge prompt the judge saw and whose sides are two of its judgments.
Unscored judgments and meta verdicts are counted, never turned into numbers; every refusal is
counted in ``refused`` (judge-pair reasons start with ``judgment:``); ``swaps`` and
``swap_agreed`` count the meta-judge comparisons scored in both orders and those that agreed.

Example:
    >>> from sparring import Roles
    >>> graph = create_meta_rewarding_graph(Roles.sim(seed=0), n_responses=4, n_judgments=3)
    >>> # out = await graph.ainvoke({"prompt": "Explain photosynthesis to a child."})
    >>> # out["pairs"], out["scores"], out["meta"], out["swaps"], out["refused"]
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore

from sparring.errors import ConfigError
from sparring.graphs._nodes import add_route
from sparring.graphs._options import check_range
from sparring.graphs._reward_common import (
    ANSWER_FORMAT,
    JUDGE,
    SAMPLE,
    SELECT,
    JudgeTask,
    ResponseJudgments,
    ResponseScore,
    RewardNodes,
    RewardOptions,
    add_reward_steps,
    add_traced,
)
from sparring.graphs._reward_length import length_controlled_pair
from sparring.graphs._reward_meta import (
    JUDGE_PAIR,
    META_JUDGE,
    MetaComparison,
    MetaNodes,
    MetaRewardState,
    MetaSelection,
    MetaTask,
)
from sparring.models import Roles

__all__ = [
    "JUDGE",
    "JUDGE_PAIR",
    "META_JUDGE",
    "SAMPLE",
    "SELECT",
    "JudgeTask",
    "MetaComparison",
    "MetaRewardingState",
    "MetaSelection",
    "MetaTask",
    "ResponseJudgments",
    "ResponseScore",
    "create_meta_rewarding_graph",
    "length_controlled_pair",
]

TECHNIQUE = "meta-rewarding"


class MetaRewardingState(MetaRewardState, total=False):
    """Input, responses, judgments, scores, meta-judge comparisons, the fit and the records.

    See ``RewardState`` (``responses``, ``judgments``, ``scores``), ``MetaRewardState``
    (``meta_target``, ``comparisons``, ``meta``) and ``RecordsState`` (``pairs``,
    ``refused``, ``judged``, ``unscored``, ``swaps``, ``swap_agreed``).
    """


def create_meta_rewarding_graph(
    roles: Roles,
    *,
    n_responses: int = 4,
    n_judgments: int = 3,
    temperature: float = 0.8,
    top_p: float | None = 0.95,
    judge_temperature: float = 0.8,
    rho: float = 0.4,
    judge_pairs: bool = True,
    dedupe: bool = True,
    max_chosen_chars: int | None = None,
    max_judgment_chars: int | None = None,
    meta_prompt: str = "meta_judge/rubric",
    answer_format: str = ANSWER_FORMAT,
    seed: int | None = None,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the Meta-Rewarding graph (roles ``actor``, ``judge`` and ``meta_judge``).

    Args:
        roles: The role bindings.
        n_responses: Responses sampled per prompt, >= 2 (paper: 7).
        n_judgments: Judgments per response, >= 2 (paper: 11); the meta-judge makes
            ``n_judgments * (n_judgments - 1)`` calls per prompt.
        temperature: Actor sampling temperature in [0, 2] (paper: 0.8).
        top_p: Nucleus sampling for every role, in (0, 1] (paper: 0.95); None sends none
            (some providers refuse both temperature and top_p).
        judge_temperature: Judge and meta-judge temperature in [0, 2] (paper: 0.8).
        rho: Length-control tier width in [0, 1] (paper: 0.4 in later iterations; 0 is plain
            best vs worst).
        judge_pairs: Meta-judge and emit judgment pairs (the paper stops after iteration 2).
        dedupe: Drop exact duplicate responses before judging (as the paper does).
        max_chosen_chars: Refuse actor pairs whose chosen response is longer (paper,
            iteration 1: about 2,500).
        max_judgment_chars: Refuse judge pairs whose chosen judgment is longer (paper: about
            1,100 then 1,000).
        meta_prompt: The meta-judge's template. The default shows the meta-judge the rubric
            the judge was given (``judge/rubric``, the same file the judge prompt is filled
            from), as the paper's meta-judge prompt does; ``meta_judge/compare`` leaves it out.
        answer_format: The answer-format line of the actor prompt.
        seed: Sampling seed sent with every call (None: each model's own seed) and recorded
            in the pairs' provenance.
        checkpointer: LangGraph checkpointer (per-item threads, resumable runs).
        store: LangGraph store.
        name: The compiled graph's name.

    Returns:
        The compiled graph; invoke it with ``{"prompt": ...}`` (``item_id`` and ``reference``
        optional; a reference is shown to the judge).

    Raises:
        ConfigError: An option is out of range.
    """
    options = RewardOptions(
        technique=TECHNIQUE,
        n_responses=n_responses,
        n_judgments=n_judgments,
        temperature=temperature,
        top_p=top_p,
        judge_temperature=judge_temperature,
        rho=rho,
        dedupe=dedupe,
        max_chosen_chars=max_chosen_chars,
        answer_format=answer_format,
        seed=seed,
    )
    options.validate(min_judgments=2)
    if not isinstance(judge_pairs, bool):
        raise ConfigError(f"judge_pairs must be True or False, got {judge_pairs!r}")
    if max_judgment_chars is not None:
        check_range("max_judgment_chars", max_judgment_chars, 1, integer=True)
    base = RewardNodes(roles, options, min_judged=1)
    meta = MetaNodes(
        base,
        judge_pairs=judge_pairs,
        max_judgment_chars=max_judgment_chars,
        meta_prompt=meta_prompt,
    )
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(MetaRewardingState)
    add_reward_steps(builder, base, select=meta.select)
    add_traced(builder, META_JUDGE, meta.compare, roles, input_schema=MetaTask)
    add_traced(builder, JUDGE_PAIR, meta.judgment_pair, roles)
    add_route(builder, SELECT, meta.route_meta, [META_JUDGE, END])
    builder.add_edge(META_JUDGE, JUDGE_PAIR)
    builder.add_edge(JUDGE_PAIR, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name)
