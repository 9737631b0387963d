"""Self-Rewarding (Yuan et al., 2024): the model judges its own responses to make DPO pairs.

Per prompt::

    START -> sample (actor: K responses) -> judge x K (N judgments each, Send fan-out)
          -> select_pair (mean of scored judgments; best vs worst) -> END

The judge uses the additive 5-point rubric (``judge/pointwise``). A response's score is the
mean of its *scored* judgments; unscored judgments are counted, never averaged, and a response
without any scored judgment takes no part. The best and the worst response form the pair
(``rho > 0`` applies the Meta-Rewarding length-control tiers instead); equal means, identical
sides and the like are refused and counted in ``refused``.

With ``self_instruct > 0`` (off by default) the graph also runs the paper's self-instruction
step beside the pair step: the actor writes new prompts from the item's prompt and seed prompts
of ``instruct_pool`` (few-shot), the judge filters them, and the accepted ones are
``instructions`` records for the next iteration (see ``_reward_instruct``)::

    START -> self_instruct (actor: new tasks; judge: filter) -> END

Example:
    >>> from sparring import Roles
    >>> graph = create_self_rewarding_graph(Roles.sim(seed=0))
    >>> # out = await graph.ainvoke({"prompt": "Explain photosynthesis to a child."})
    >>> # out["pairs"], out["scores"], out["judgments"], out["unscored"], out["refused"]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore

from sparring.errors import ConfigError
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
    RewardState,
    add_reward_steps,
    add_traced,
)
from sparring.graphs._reward_instruct import (
    INSTRUCT,
    InstructionCandidate,
    InstructionRecord,
    InstructOptions,
    InstructState,
    SelfInstruct,
)
from sparring.models import Roles

__all__ = [
    "INSTRUCT",
    "JUDGE",
    "SAMPLE",
    "SELECT",
    "InstructionCandidate",
    "InstructionRecord",
    "JudgeTask",
    "ResponseJudgments",
    "ResponseScore",
    "SelfRewardingState",
    "create_self_rewarding_graph",
]

TECHNIQUE = "self-rewarding"


class SelfRewardingState(RewardState, InstructState, total=False):
    """Input (``prompt``, ``reference``, ``item_id``), responses, judgments, scores, records.

    See ``RewardState`` for the per-response fields and ``RecordsState`` for ``pairs``,
    ``refused``, ``judged`` and ``unscored``; ``InstructState`` for the self-instruction
    step's ``instructions`` and ``instruction_candidates``.
    """


def create_self_rewarding_graph(
    roles: Roles,
    *,
    n_responses: int = 4,
    n_judgments: int = 3,
    temperature: float = 0.7,
    top_p: float | None = 0.9,
    judge_temperature: float = 0.7,
    rho: float = 0.0,
    dedupe: bool = True,
    max_chosen_chars: int | None = None,
    answer_format: str = ANSWER_FORMAT,
    seed: int | None = None,
    self_instruct: int = 0,
    instruct_pool: Sequence[str] = (),
    instruct_shots: int = 8,
    instruct_min_score: float = 4.0,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the Self-Rewarding graph (roles ``actor`` and ``judge``).

    Args:
        roles: The role bindings.
        n_responses: Responses sampled per prompt, >= 2 (paper: 4).
        n_judgments: Judgments per response, >= 1 (paper: 3, averaged).
        temperature: Actor sampling temperature in [0, 2] (paper: 0.7).
        top_p: Nucleus sampling for actor and judge, in (0, 1] (paper: 0.9); None sends
            none (some providers refuse both temperature and top_p).
        judge_temperature: Judge sampling temperature in [0, 2] (paper: 0.7, as the actor).
        rho: Length-control tier width in [0, 1]; 0 is plain best vs worst (the paper), 0.1
            is the "Self-Rewarding + LC" baseline of the Meta-Rewarding paper.
        dedupe: Drop exact duplicate responses before judging.
        max_chosen_chars: Refuse pairs whose chosen response is longer (None: no cap).
        answer_format: The answer-format line of the actor prompt.
        seed: Sampling seed sent with every call (None: each model's own seed) and recorded
            in the pairs' provenance.
        self_instruct: New prompts the actor writes per item (0, the default: no
            self-instruction); the judge's accepted ones become ``instructions`` records.
        instruct_pool: Seed prompts for the few-shot examples, beside the item's own prompt
            (paper: 8-shot from the seed set).
        instruct_shots: Examples shown per call, the item's prompt included (1 to 32).
        instruct_min_score: The filter's lowest accepted score on its 1-5 scale.
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
    options.validate()
    if isinstance(instruct_pool, str) or not all(isinstance(p, str) for p in instruct_pool):
        raise ConfigError("instruct_pool must be a list of prompt strings")
    instruct = InstructOptions(
        self_instruct, instruct_shots, tuple(instruct_pool), instruct_min_score
    )
    instruct.validate()
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(SelfRewardingState)
    add_reward_steps(builder, RewardNodes(roles, options))
    builder.add_edge(SELECT, END)
    if instruct.n:
        add_traced(builder, INSTRUCT, SelfInstruct(roles, instruct, TECHNIQUE), roles)
        builder.add_edge(START, INSTRUCT)
        builder.add_edge(INSTRUCT, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name)
