"""Training records of the SPC game: RL records for both roles, critique pairs, step labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sparring.agents import Verdict
from sparring.graphs._spc_rules import Call, call_of, control_reward, tampered_rewards
from sparring.models import ChatMessage
from sparring.prompts import Untrusted, load_prompt
from sparring.records import (
    PreferencePair,
    PrmRecord,
    RecordRefused,
    RlRecord,
    make_pair,
    make_prm_record,
    make_rl_record,
)

__all__ = ["GameRecords", "Position", "critic_prompt", "game_records", "sneaky_prompt"]

TECHNIQUE = "spc-game"


@dataclass(frozen=True, slots=True)
class Position:
    """The step under judgment: the problem, the steps before it and the step itself."""

    question: str
    prefix: list[str]
    step: str


@dataclass(slots=True)
class GameRecords:
    """Records of one item's game, and the refusals met while building them."""

    rl: list[RlRecord]
    pairs: list[PreferencePair]
    prm: list[PrmRecord]
    refused: dict[str, int]


def _render(name: str, position: Position) -> list[ChatMessage]:
    return load_prompt(name).render(
        question=Untrusted(position.question, "QUESTION"),
        partial_solution=Untrusted(
            "\n".join(position.prefix) or "(no steps yet)", "PARTIAL SOLUTION"
        ),
        step=Untrusted(position.step, "STEP"),
    )


def _as_prompt(messages: list[ChatMessage]) -> tuple[str, str]:
    """The user turns as the record's prompt, and the system turn (kept in ``meta``)."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    user = "\n\n".join(m["content"] for m in messages if m["role"] != "system")
    return user, system


def critic_prompt(position: Position) -> tuple[str, str]:
    """The critic's prompt for a position, as ``(user text, system text)``."""
    return _as_prompt(_render("critic/step", position))


def sneaky_prompt(position: Position) -> tuple[str, str]:
    """The sneaky generator's prompt for a position, as ``(user text, system text)``."""
    return _as_prompt(_render("sneaky/corrupt", position))


class _Builder:
    def __init__(self, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.out = GameRecords([], [], [], {})

    def refuse(self, exc: RecordRefused) -> None:
        self.out.refused[exc.reason] = self.out.refused.get(exc.reason, 0) + 1

    def rl(self, prompt: tuple[str, str], answer: str, reward: int, **meta: Any) -> None:
        try:
            record = make_rl_record(
                prompt[0],
                answer,
                reward,
                technique=TECHNIQUE,
                system=prompt[1],
                **self.meta,
                **meta,
            )
        except RecordRefused as exc:
            self.refuse(exc)
            return
        self.out.rl.append(record)

    def pair(
        self, prompt: str, verdicts: list[Verdict], calls: list[Call], win: Call, game: str
    ) -> None:
        winners = [v.raw for v, c in zip(verdicts, calls, strict=True) if c == win]
        losers = [v.raw for v, c in zip(verdicts, calls, strict=True) if c not in (win, "unscored")]
        if not winners or not losers:
            return
        try:
            pair = make_pair(
                prompt,
                winners[0],
                losers[0],
                technique=TECHNIQUE,
                kind="critique",
                chosen_score=1.0,
                rejected_score=-1.0,
                item_id=self.meta.get("item_id"),
                extra={"game": game, **{k: v for k, v in self.meta.items() if k != "item_id"}},
            )
        except RecordRefused as exc:
            self.refuse(exc)
            return
        self.out.pairs.append(pair)

    def prm(self, position: Position, labels: list[bool], game: str) -> None:
        try:
            record = make_prm_record(
                position.question,
                [*position.prefix, position.step],
                labels,
                technique=TECHNIQUE,
                game=game,
                **self.meta,
            )
        except RecordRefused as exc:
            self.refuse(exc)
            return
        self.out.prm.append(record)


def _tampered(
    b: _Builder,
    position: Position,
    original: Position,
    corruption_raw: str,
    verdicts: list[Verdict],
) -> None:
    critic, sneaky = critic_prompt(position), sneaky_prompt(original)
    calls = [call_of(v) for v in verdicts]
    for sample, (verdict, call) in enumerate(zip(verdicts, calls, strict=True)):
        rewards = tampered_rewards(call)
        if rewards is None:
            continue
        b.rl(critic, verdict.raw, rewards[0], role="critic", game="tampered", sample=sample)
        b.rl(sneaky, corruption_raw, rewards[1], role="sneaky", game="tampered", sample=sample)
    b.pair(critic[0], verdicts, calls, "incorrect", "tampered")


def _control(b: _Builder, position: Position, verdicts: list[Verdict]) -> None:
    critic = critic_prompt(position)
    calls = [call_of(v) for v in verdicts]
    for sample, (verdict, call) in enumerate(zip(verdicts, calls, strict=True)):
        reward = control_reward(call)
        if reward is not None:
            b.rl(critic, verdict.raw, reward, role="critic", game="control", sample=sample)
    b.pair(critic[0], verdicts, calls, "correct", "control")


def game_records(
    *,
    original: Position,
    tampered: Position | None,
    corruption_raw: str | None,
    tampered_verdicts: list[Verdict],
    control_verdicts: list[Verdict],
    original_valid: bool,
    meta: dict[str, Any],
) -> GameRecords:
    """Every record one item's game yields.

    Args:
        original: The position with the original step.
        tampered: The position with the tampered step, when validation accepted it.
        corruption_raw: The sneaky generator's whole output.
        tampered_verdicts: The critic's verdicts on the tampered step.
        control_verdicts: The critic's verdicts on the original step (as a control).
        original_valid: Whether rollouts validated the original step (its step labels).
        meta: Provenance for every record (``item_id``, step index, success rates, ...).
    """
    b = _Builder(meta)
    if tampered is not None and corruption_raw is not None:
        _tampered(b, tampered, original, corruption_raw, tampered_verdicts)
        b.prm(tampered, [True] * len(tampered.prefix) + [False], "tampered")
    if control_verdicts:
        _control(b, original, control_verdicts)
    if original_valid:
        b.prm(original, [True] * (len(original.prefix) + 1), "original")
    return b.out
