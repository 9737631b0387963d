"""Training records the graphs produce: preference pairs, SFT, RL and step-label (PRM) records.

Records are plain JSON data (TypedDicts), so they live in LangGraph state and checkpoints as
they are. Build them with the ``make_*`` functions: those refuse what must never be exported
(a tie, an unscored verdict, identical or empty sides) by raising ``RecordRefused``, so a graph
can count refusals instead of writing bad data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

__all__ = [
    "PairKind",
    "PairMeta",
    "PreferencePair",
    "PrmRecord",
    "RecordMessage",
    "RecordRefused",
    "RlRecord",
    "SftRecord",
    "make_pair",
    "make_prm_record",
    "make_rl_episode",
    "make_rl_record",
    "make_sft_record",
]

PairKind = Literal["response", "judgment", "critique", "step"]


class RecordRefused(ValueError):
    """A record that must not be exported (the reason says why)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class PairMeta(TypedDict):
    """Provenance of a preference pair.

    Attributes:
        technique: The graph that made it (``self-rewarding``, ...).
        kind: What is being preferred: a response, a judgment, a critique or a step.
        models: Role name to model string, for the roles that took part.
        chosen_score: The chosen side's score (mean judge score, rating, reward...).
        rejected_score: The rejected side's score.
        chosen_len: Characters in the chosen side.
        rejected_len: Characters in the rejected side.
        swap_agreement: Whether both-order judging agreed, when pairwise judging decided.
        meta_judge: The meta-judge's outcome, when one decided.
        unscored: Verdicts that were unscored while making the pair (never inside it).
        seed: The seed of the run.
        item_id: The data item, when run over a data set.
        round: The loop round, for iterative graphs.
        extra: Anything technique-specific (JSON values only).
    """

    technique: str
    kind: PairKind
    models: dict[str, str]
    chosen_score: float | None
    rejected_score: float | None
    chosen_len: int
    rejected_len: int
    swap_agreement: NotRequired[bool | None]
    meta_judge: NotRequired[str | None]
    unscored: NotRequired[int]
    seed: NotRequired[int | None]
    item_id: NotRequired[str | None]
    round: NotRequired[int | None]
    extra: NotRequired[dict[str, Any]]


class PreferencePair(TypedDict):
    """One chosen-vs-rejected pair (TRL's standard form plus provenance)."""

    prompt: str
    chosen: str
    rejected: str
    meta: PairMeta


class RecordMessage(TypedDict):
    """One chat message of a record (the OpenAI shape).

    Declared here, with ``typing_extensions.TypedDict``, so graph states that hold records
    give JSON schemas on Python 3.11 (pydantic refuses ``typing.TypedDict`` there).
    """

    role: Literal["system", "user", "assistant", "tool"]
    content: str


class SftRecord(TypedDict):
    """A supervised example as chat messages (the last one is the target)."""

    messages: list[RecordMessage]
    meta: dict[str, Any]


class RlRecord(TypedDict):
    """An offline-RL example (SPC style): prompt, answer, reward (+1/-1).

    A multi-turn episode (``make_rl_episode``) also keeps the whole conversation in
    ``messages`` and one reward per assistant turn in ``turn_rewards``; ``prompt`` is then its
    first user message, ``answer`` its last assistant message and ``reward`` that turn's.
    """

    prompt: str
    answer: str
    reward: float
    meta: dict[str, Any]
    messages: NotRequired[list[RecordMessage]]
    turn_rewards: NotRequired[list[float]]


class PrmRecord(TypedDict):
    """Step-level labels for a process reward model: one label per step (True = correct)."""

    prompt: str
    steps: list[str]
    labels: list[bool]
    meta: dict[str, Any]


def make_pair(
    prompt: str,
    chosen: str,
    rejected: str,
    *,
    technique: str,
    kind: PairKind = "response",
    models: dict[str, str] | None = None,
    chosen_score: float | None = None,
    rejected_score: float | None = None,
    tie: bool = False,
    **meta: Any,
) -> PreferencePair:
    """Build a preference pair, or raise ``RecordRefused``.

    Refused: a tie, equal scores, empty sides, or identical sides (after trimming whitespace).
    """
    if tie:
        raise RecordRefused("tie")
    if not chosen.strip() or not rejected.strip():
        raise RecordRefused("empty side")
    if chosen.strip() == rejected.strip():
        raise RecordRefused("identical sides")
    if chosen_score is not None and rejected_score is not None and chosen_score <= rejected_score:
        raise RecordRefused("chosen does not score above rejected")
    pair_meta: PairMeta = {
        "technique": technique,
        "kind": kind,
        "models": dict(models or {}),
        "chosen_score": chosen_score,
        "rejected_score": rejected_score,
        "chosen_len": len(chosen),
        "rejected_len": len(rejected),
    }
    pair_meta.update(meta)  # type: ignore[typeddict-item]
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected, "meta": pair_meta}


def make_sft_record(messages: Sequence[RecordMessage], **meta: Any) -> SftRecord:
    """Build an SFT record; the last message must be the assistant's non-empty target."""
    if not messages or messages[-1]["role"] != "assistant" or not messages[-1]["content"].strip():
        raise RecordRefused("an SFT record must end with a non-empty assistant message")
    return {"messages": list(messages), "meta": dict(meta)}


def make_rl_record(prompt: str, answer: str, reward: float, **meta: Any) -> RlRecord:
    """Build an RL record; the answer must not be empty."""
    if not answer.strip():
        raise RecordRefused("empty answer")
    return {"prompt": prompt, "answer": answer, "reward": float(reward), "meta": dict(meta)}


def make_rl_episode(
    messages: Sequence[RecordMessage], turn_rewards: Sequence[float], **meta: Any
) -> RlRecord:
    """Build a multi-turn RL record: a conversation with one reward per assistant turn.

    Raises:
        RecordRefused: No user message first, an empty assistant turn, the conversation not
            ending with an assistant turn, or not one reward per assistant turn.
    """
    turns = [m for m in messages if m["role"] == "assistant"]
    users = [m for m in messages if m["role"] == "user"]
    if not users or not turns or messages[-1]["role"] != "assistant":
        raise RecordRefused("an RL episode needs a user message and ends with the assistant")
    if any(not m["content"].strip() for m in turns):
        raise RecordRefused("empty answer")
    if len(turn_rewards) != len(turns):
        raise RecordRefused("an RL episode needs one reward per assistant turn")
    rewards = [float(r) for r in turn_rewards]
    return {
        "prompt": users[0]["content"],
        "answer": turns[-1]["content"],
        "reward": rewards[-1],
        "meta": dict(meta),
        "messages": list(messages),
        "turn_rewards": rewards,
    }


def make_prm_record(prompt: str, steps: list[str], labels: list[bool], **meta: Any) -> PrmRecord:
    """Build a step-label record; there must be one label per step."""
    if not steps or len(steps) != len(labels):
        raise RecordRefused("a PRM record needs one label per step")
    return {"prompt": prompt, "steps": list(steps), "labels": list(labels), "meta": dict(meta)}
