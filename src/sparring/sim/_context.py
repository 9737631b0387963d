"""What a simulated model understands of a request: its purpose, fenced blocks and task."""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass, field
from functools import cached_property

from sparring.prompts._blocks import find_blocks
from sparring.sim._arith import ArithmeticTask, parse_problem
from sparring.sim._external import ExternalItem, aspect_quality, aspects_for, lookup_item
from sparring.sim._grade import Task, quality
from sparring.sim._open import parse_instruction
from sparring.sim._profile import SimProfile
from sparring.sim._rng import rng_for
from sparring.sim._types import SimRequest

__all__ = ["SimContext", "build_context"]

_FENCE_BODY_RE = re.compile(
    r"\[BEGIN ([A-Z][A-Z0-9 _]*?) #(\w+)\]\n.*?\n?\[END \1 #\2\]", re.DOTALL
)
_NONCE_RE = re.compile(r"#[0-9a-z]{4,16}\]")
DEFAULT_TEMPERATURE = 0.7


@dataclass
class SimContext:
    """A parsed request.

    Attributes:
        request: The raw request.
        text: Every message's content, joined.
        instructions: ``text`` with the bodies of fenced blocks removed: what the prompt asks,
            without what it quotes (so a candidate's text cannot change the purpose).
        blocks: Fenced blocks by label (the last one wins).
        profile: The skills in force.
        seed: The seed in force.
        temperature: The temperature in force.
        purpose: Set by the engine once detected.
    """

    request: SimRequest
    text: str
    instructions: str
    blocks: dict[str, str]
    profile: SimProfile
    seed: int
    temperature: float
    purpose: str = ""
    _nonce: str = field(default_factory=lambda: os.urandom(8).hex())

    @cached_property
    def task(self) -> Task | None:
        """The task this request is about (None if unknown).

        A world task is read from the text; a data item the simulator was told about
        (``remember_item``) gives its gold steps, when its answer has them.
        """
        for source in (self.blocks.get("QUESTION"), self.instructions, self.text):
            if not source:
                continue
            task: Task | None = parse_problem(source) or parse_instruction(source)
            if task is not None:
                return task
        return self.external.task if self.external is not None else None

    @cached_property
    def external(self) -> ExternalItem | None:
        """The remembered data item whose question this request quotes, if any."""
        sources = [
            self.blocks[k] for k in ("QUESTION", "PROMPT", "INSTRUCTION") if k in self.blocks
        ]
        sources += [str(m.get("content") or "") for m in self.request.messages]
        return lookup_item(sources)

    @property
    def gold(self) -> str | None:
        """Hidden ground truth: passed with the request, else the remembered item's answer."""
        if self.request.gold is not None:
            return self.request.gold
        return self.external.gold if self.external is not None else None

    @property
    def question(self) -> str:
        """The question asked: the remembered item's, a QUESTION block, else the first paragraph."""
        if self.external is not None:
            return self.external.question
        if "QUESTION" in self.blocks:
            return self.blocks["QUESTION"]
        users = [m for m in self.request.messages if m.get("role") == "user"]
        content = str(users[-1].get("content") or "") if users else self.text
        return content.strip().split("\n\n", 1)[0]

    @property
    def aspects(self) -> tuple[str, ...]:
        """The hidden rubric of an open prompt the world did not write (see ``aspects_for``)."""
        if self.external is not None and self.external.aspects:
            return self.external.aspects
        return aspects_for(self.question)

    def quality(self, text: str) -> float:
        """The true quality of ``text`` as an answer to this request's task, in [0, 1]."""
        if self.task is None and self.gold is None:
            return aspect_quality(self.aspects, text)
        return quality(self.task, text, self.gold)

    @property
    def arithmetic(self) -> ArithmeticTask | None:
        """The task, when it is an arithmetic problem."""
        return self.task if isinstance(self.task, ArithmeticTask) else None

    def asks(self, *phrases: str) -> bool:
        """Whether the instructions (outside fenced blocks) mention any of ``phrases``."""
        low = self.instructions.lower()
        return any(p.lower() in low for p in phrases)

    @property
    def is_follow_up(self) -> bool:
        """Whether the request answers an earlier reply of ours (e.g. a format repair)."""
        roles = [m.get("role") for m in self.request.messages]
        return len(roles) >= 3 and roles[-1] == "user" and "assistant" in roles[:-1]

    def malformed(self, rate: float, rng: random.Random) -> bool:
        """Draw whether this output breaks the asked format.

        Asked again after a reply it could not use, a model mostly complies: the rate drops
        tenfold on follow-ups.
        """
        return rng.random() < (rate * 0.1 if self.is_follow_up else rate)

    def _on_mode(self, base: tuple[object, ...], sample_index: int) -> bool:
        """Whether an actor's sample falls on its mode (``ActorSkill.diversity`` below 1)."""
        diversity = self.profile.actor.diversity
        if diversity >= 1.0 or not self.purpose.startswith("actor."):
            return False
        spread = 1.0 - float((1.0 - diversity) ** (self.temperature / DEFAULT_TEMPERATURE))
        key = self._nonce if self.request.seed is None else self.temperature
        return bool(rng_for(*base, key, "mode", sample_index).random() >= spread)

    def rng(self, sample_index: int) -> random.Random:
        """The randomness of one sample.

        Greedy decoding gives every sample the same draw; a sampled call without a seed is
        not reproducible (like a real model), one with a seed is.
        """
        # Fence nonces are stripped: they are keyed per process or run, not part of the ask.
        base = (self.seed, self.request.model, self.purpose, _NONCE_RE.sub("#", self.text))
        if self.temperature <= 0.0 or self._on_mode(base, sample_index):
            return rng_for(*base, "greedy")
        if self.request.seed is None:
            return rng_for(*base, self._nonce, sample_index)
        return rng_for(*base, self.temperature, sample_index)


def build_context(request: SimRequest, profile: SimProfile, default_seed: int) -> SimContext:
    """Parse a request once; behaviours read the result."""
    text = "\n\n".join(str(m.get("content") or "") for m in request.messages)
    blocks = {b.label: b.body for b in find_blocks(text)}
    instructions = _FENCE_BODY_RE.sub(lambda m: f"[{m.group(1)}]", text)
    temperature = DEFAULT_TEMPERATURE if request.temperature is None else request.temperature
    seed = default_seed if request.seed is None else request.seed
    return SimContext(request, text, instructions, blocks, profile, seed, float(temperature))
