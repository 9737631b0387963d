"""Principle-driven critique and revision (Constitutional AI's supervised stage; Bai et al. 2022).

One item::

    respond -> critique --(a principle violated)--> revise --(rounds left)--> critique ...
    critique --(nothing violated)--> compare;  revise --(last round)--> compare
    (with principles drawn per round, a critique finding nothing draws again while rounds last)

1. **respond**: the actor answers the prompt.
2. **critique**: the actor checks its own current response against every principle (the
   packaged set in ``prompts/principles/*.txt``, or a file or folder given by ``principles``) and
   says, per principle, whether the response violates it. With ``per_round=k`` each round
   draws k of them instead, as Constitutional AI draws one principle per revision; the draw
   is seeded by the item and round, so a resumed or repeated run draws the same ones.
3. **revise**: when one is violated, the actor rewrites the response to fix what the critique
   found. Up to ``rounds`` critique-revision rounds; a critique that finds nothing ends them.
4. **compare**: what decides the pair. ``decide="judge"`` (default): a pairwise judge
   compares the original with the final revision in both orders; the winner is chosen (a
   revision the judge finds worse gives the reverse pair), a tie or a flip between orders is
   refused. ``decide="revision"``: the revision is taken as better, as in the paper's
   supervised stage, without a check.

Records: the (original, revision) preference pair; an SFT record of the prompt with the final
revision when the revision is chosen. An item whose response did not change gives no pair
(``refused/unchanged``).
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from typing_extensions import TypedDict

from sparring.agents import Actor, PairwiseJudge
from sparring.graphs._judging_common import (
    JudgmentState,
    answer_format_for,
    judgment_state,
    judgment_update,
    outcome_pair,
    provenance,
)
from sparring.graphs._nodes import add_route, add_traced
from sparring.graphs._options import check_choice, check_range
from sparring.graphs._principles import Principle, load_principles, principles_text
from sparring.graphs._state import ItemInput, RecordsState
from sparring.models import Roles
from sparring.prompts import Untrusted, load_prompt
from sparring.records import RecordRefused, make_pair, make_sft_record

__all__ = [
    "DECISIONS",
    "Decision",
    "PrincipleCheck",
    "PrincipleCritiqueState",
    "Revision",
    "create_principle_critique_graph",
    "parse_principle_critique",
]

TECHNIQUE = "principle-critique"
RESPOND, CRITIQUE, REVISE, COMPARE = "respond", "critique", "revise", "compare"
Decision = Literal["judge", "revision"]
DECISIONS: tuple[Decision, ...] = ("judge", "revision")
_ENTRY_RE = re.compile(r"^\W*Principle\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_VIOLATED_RE = re.compile(r"^\W*Violated\s*:\s*\**\s*(yes|no)\b", re.IGNORECASE | re.MULTILINE)


class PrincipleCheck(TypedDict):
    """What a critique said about one principle.

    Attributes:
        principle: The principle's name.
        violated: Whether the response violates it (None: the critique did not say).
    """

    principle: str
    violated: bool | None


class Revision(TypedDict):
    """One critique-revision round.

    Attributes:
        round: The round (1-based).
        critique: The critique's text.
        checks: Its call on every principle.
        principles: The principles this round checked (all, or the ``per_round`` drawn).
        revised: Whether a revision followed (some principle was violated).
        response: The response after the round.
    """

    round: int
    critique: str
    checks: list[PrincipleCheck]
    principles: list[str]
    revised: bool
    response: str


class PrincipleCritiqueState(ItemInput, RecordsState, total=False):
    """State of one item.

    Attributes:
        original: The first response.
        response: The current response.
        revisions: Every critique-revision round.
        judgment: The judge's comparison of original and final (``decide="judge"``).
        chosen: ``revision``, ``original`` or ``none`` (no pair).
    """

    original: str
    response: str
    revisions: list[Revision]
    judgment: JudgmentState | None
    chosen: Literal["revision", "original", "none"]


def parse_principle_critique(text: str, principles: list[Principle]) -> list[PrincipleCheck]:
    """Read a critique: for each principle, whether the critique marks it violated.

    The critique is read entry by entry (a ``Principle:`` line, then a ``Violated:`` line);
    an entry names its principle (case-insensitive). A principle with no readable entry is
    ``violated=None``.
    """
    calls: dict[str, bool] = {}
    heads = list(_ENTRY_RE.finditer(text))
    for head, nxt in zip(heads, [*heads[1:], None], strict=True):
        body = text[head.end() : nxt.start() if nxt else len(text)]
        found = _VIOLATED_RE.findall(body)
        if found:
            calls.setdefault(head[1].strip("*_ ").lower(), found[-1].lower() == "yes")
    return [{"principle": p.name, "violated": calls.get(p.name.lower())} for p in principles]


class _Nodes:
    """The graph's nodes, bound to the roles and options."""

    def __init__(
        self,
        roles: Roles,
        principles: list[Principle],
        *,
        rounds: int,
        decide: Decision,
        answer_format: str | None,
        per_round: int,
    ) -> None:
        self.roles, self.principles, self.rounds, self.decision = roles, principles, rounds, decide
        self.answer_format, self.per_round = answer_format, per_round

    def drawn(self, state: PrincipleCritiqueState, round_: int) -> list[Principle]:
        """The principles round ``round_`` checks: all, or ``per_round`` of them drawn."""
        if not self.per_round or self.per_round >= len(self.principles):
            return self.principles
        key = f"{state.get('item_id') or state['prompt']}|{round_}".encode()
        rng = random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))
        picked = set(rng.sample(range(len(self.principles)), self.per_round))
        return [p for i, p in enumerate(self.principles) if i in picked]  # in file order

    async def respond(self, state: PrincipleCritiqueState) -> dict[str, Any]:
        fmt = answer_format_for(state, self.answer_format)
        result = await Actor(self.roles).answer(state["prompt"], answer_format=fmt)
        text = result.texts[0]
        return {"original": text, "response": text, "revisions": []}

    async def critique(self, state: PrincipleCritiqueState) -> dict[str, Any]:
        round_ = len(state["revisions"]) + 1
        drawn = self.drawn(state, round_)
        messages = load_prompt("actor/principle_critique").render(
            question=Untrusted(state["prompt"], "QUESTION"),
            response=Untrusted(state["response"], "RESPONSE"),
            principles=Untrusted(principles_text(drawn), "PRINCIPLES"),
        )
        text = (await self.roles.complete("actor", messages)).texts[0]
        checks = parse_principle_critique(text, drawn)
        entry: Revision = {
            "round": round_,
            "critique": text,
            "checks": checks,
            "principles": [p.name for p in drawn],
            "revised": any(c["violated"] for c in checks),
            "response": state["response"],
        }
        return {"revisions": [*state["revisions"], entry]}

    def after_critique(self, state: PrincipleCritiqueState) -> str:
        if state["revisions"][-1]["revised"]:
            return REVISE
        # A drawn principle the response keeps says nothing of the others: draw again.
        drawing = 0 < self.per_round < len(self.principles)
        return CRITIQUE if drawing and len(state["revisions"]) < self.rounds else COMPARE

    async def revise(self, state: PrincipleCritiqueState) -> dict[str, Any]:
        last = state["revisions"][-1]
        drawn = self.drawn(state, last["round"])
        messages = load_prompt("actor/principle_revise").render(
            question=Untrusted(state["prompt"], "QUESTION"),
            response=Untrusted(state["response"], "RESPONSE"),
            principles=Untrusted(principles_text(drawn), "PRINCIPLES"),
            critique=Untrusted(last["critique"], "CRITIQUE"),
        )
        text = (await self.roles.complete("actor", messages)).texts[0]
        revisions = [*state["revisions"][:-1], {**last, "response": text}]
        return {"response": text, "revisions": revisions}

    def after_revise(self, state: PrincipleCritiqueState) -> str:
        return CRITIQUE if len(state["revisions"]) < self.rounds else COMPARE

    async def compare(self, state: PrincipleCritiqueState) -> dict[str, Any]:
        original, final = state["original"], state["response"]
        if original.strip() == final.strip():
            return {"chosen": "none", "judgment": None, "refused": {"unchanged": 1}}
        roles = ("actor", "judge") if self.decision == "judge" else ("actor",)
        meta = {**provenance(state, self.roles, roles), "kind": "response"}
        meta["extra"] = {"rounds": len(state["revisions"]), "decide": self.decision}
        if self.decision == "revision":
            try:
                pair = make_pair(state["prompt"], final, original, technique=TECHNIQUE, **meta)
            except RecordRefused as why:
                return {"chosen": "none", "judgment": None, "refused": {why.reason: 1}}
            return {"chosen": "revision", "judgment": None, "pairs": [pair], **self._sft(state)}
        judgment = await PairwiseJudge(self.roles).compare(state["prompt"], original, final)
        update = {
            "judgment": judgment_state(judgment),
            **judgment_update("judge", [judgment]),
            **outcome_pair(
                state["prompt"], original, final, judgment.outcome, technique=TECHNIQUE, meta=meta
            ),
        }
        choice = judgment.outcome.choice
        update["chosen"] = {"B": "revision", "A": "original"}.get(str(choice), "none")
        if update["chosen"] == "revision":
            update.update(self._sft(state))
        return update

    def _sft(self, state: PrincipleCritiqueState) -> dict[str, Any]:
        try:
            record = make_sft_record(
                [
                    {"role": "user", "content": state["prompt"]},
                    {"role": "assistant", "content": state["response"]},
                ],
                technique=TECHNIQUE,
                item_id=state.get("item_id"),
                principles=[p.name for p in self.principles],
            )
        except RecordRefused:
            return {}
        return {"sft": [record]}


def create_principle_critique_graph(
    roles: Roles,
    *,
    principles: str | None = None,
    rounds: int = 1,
    decide: Decision = "judge",
    per_round: int = 0,
    answer_format: str | None = None,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    store: BaseStore | None = None,
    name: str | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the principle-driven critique graph (input ``prompt``).

    Args:
        roles: Role bindings: ``actor`` (answers, critiques, revises), ``judge`` (compares
            original and revision under ``decide="judge"``).
        principles: A file or folder of principles (see ``_principles``); None: the packaged
            set (accuracy, completeness, concision, harmlessness).
        rounds: Critique-revision rounds at most.
        decide: ``judge`` (both-order pairwise comparison picks the chosen side) or
            ``revision`` (the revision is always chosen).
        per_round: Principles drawn for each round's critique and revision (0: all of
            them every round; 1: one per round, as Constitutional AI draws).
        answer_format: The answer instruction; None: a math answer line when the item has a
            gold answer, else a direct complete answer.
        checkpointer: LangGraph checkpointer (per-item threads).
        store: LangGraph store.
        name: Graph name.

    Raises:
        ConfigError: An option is out of range, or the principles cannot be read.
    """
    check_range("rounds", rounds, 1, 10, integer=True)
    check_choice("decide", decide, DECISIONS)
    check_range("per_round", per_round, 0, 100, integer=True)
    found = load_principles(None if principles is None else Path(principles))
    nodes = _Nodes(
        roles, found, rounds=rounds, decide=decide, answer_format=answer_format,
        per_round=per_round,
    )  # fmt: skip
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(PrincipleCritiqueState)
    for node, fn in (
        (RESPOND, nodes.respond),
        (CRITIQUE, nodes.critique),
        (REVISE, nodes.revise),
        (COMPARE, nodes.compare),
    ):
        add_traced(builder, node, fn, roles)
    builder.add_edge(START, RESPOND)
    builder.add_edge(RESPOND, CRITIQUE)
    add_route(builder, CRITIQUE, nodes.after_critique, [REVISE, CRITIQUE, COMPARE])
    add_route(builder, REVISE, nodes.after_revise, [CRITIQUE, COMPARE])
    builder.add_edge(COMPARE, END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name or TECHNIQUE)
