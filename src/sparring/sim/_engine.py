"""The simulator engine: detect what is asked, run the matching behaviour, dress the output.

Behaviours are registered by purpose (``actor.solve``, ``judge.pointwise``, ...) together with
a detector that recognises the request from its instructions. Graph issues add purposes with
``register_behaviour`` without touching the engine.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sparring.sim._context import SimContext, build_context
from sparring.sim._profile import SimProfile
from sparring.sim._types import SimChoice, SimRequest, SimResponse, TokenText

__all__ = ["Behaviour", "SimEngine", "detect_purpose", "register_behaviour"]

Behaviour = Callable[[SimContext, random.Random], str]
Detector = Callable[[SimContext], bool]


@dataclass(frozen=True, slots=True)
class _Entry:
    purpose: str
    behaviour: Behaviour
    detect: Detector | None
    priority: int


_REGISTRY: dict[str, _Entry] = {}


def register_behaviour(
    purpose: str, behaviour: Behaviour, *, detect: Detector | None = None, priority: int = 100
) -> None:
    """Add (or replace) a simulated behaviour.

    Args:
        purpose: Its name, ``<role>.<what>``; a request may name it directly (``sim_task``).
        behaviour: Writes the output text for one sample.
        detect: Recognises a request for this purpose from its context.
        priority: Detectors run from the lowest priority number up; the first match wins.
    """
    _REGISTRY[purpose] = _Entry(purpose, behaviour, detect, priority)


def detect_purpose(ctx: SimContext) -> str:
    """The purpose of a request: named by the caller, else the first detector that matches."""
    if ctx.request.task:
        if ctx.request.task not in _REGISTRY:
            raise ValueError(
                f"unknown simulator task {ctx.request.task!r}; known: {sorted(_REGISTRY)}"
            )
        return ctx.request.task
    for entry in sorted(_REGISTRY.values(), key=lambda e: e.priority):
        if entry.detect is not None and entry.detect(ctx):
            return entry.purpose
    return "actor.solve"


def _cut(text: str, request: SimRequest) -> tuple[str, str]:
    for stop in request.stop or ():
        if stop and stop in text:
            text = text[: text.index(stop)]
    if request.max_tokens is not None:
        words = text.split(" ")
        limit = max(1, int(request.max_tokens * 0.75))
        if len(words) > limit:
            return " ".join(words[:limit]), "length"
    return text, "stop"


def _logprobs(text: str, confidence: float, rng: random.Random) -> list[tuple[str, float]]:
    out = []
    for i, word in enumerate(text.split(" ")):
        p = min(0.999, max(0.01, rng.gauss(confidence, 0.08)))
        out.append((word if i == 0 else " " + word, math.log(p)))
    return out


class SimEngine:
    """Answers ``SimRequest``s; stateless apart from its default seed and profile.

    Args:
        seed: Seed used when a request carries none.
        profile: Skills used when a request carries no overrides (merged under them).
    """

    def __init__(
        self, *, seed: int = 0, profile: SimProfile | dict[str, Any] | None = None
    ) -> None:
        self.seed = seed
        if isinstance(profile, dict):
            profile = SimProfile().merged(profile)
        self.profile = profile or SimProfile()
        self._merged: dict[str, SimProfile] = {}

    def _profile_for(self, overrides: dict[str, Any] | None) -> SimProfile:
        if not overrides:
            return self.profile
        key = json.dumps(overrides, sort_keys=True)
        found = self._merged.get(key)
        if found is None:
            found = self._merged[key] = self.profile.merged(overrides)
        return found

    def respond(self, request: SimRequest) -> SimResponse:
        """Write ``request.n`` completions."""
        _ensure_behaviours()
        profile = self._profile_for(request.profile)
        ctx = build_context(request, profile, self.seed)
        ctx.purpose = detect_purpose(ctx)
        behaviour = _REGISTRY[ctx.purpose].behaviour
        choices = []
        for k in range(request.n):
            rng = ctx.rng(request.sample_index + k)
            raw = behaviour(ctx, rng)
            text, finish = _cut(raw, request)
            choice = SimChoice(str(text), finish)
            if request.logprobs and isinstance(raw, TokenText) and text == raw:
                choice.logprobs = [(t.token, t.logprob) for t in raw.tokens]
                if request.top_logprobs:
                    choice.top_logprobs = [list(t.top[: request.top_logprobs]) for t in raw.tokens]
            elif request.logprobs:
                conf = 0.55 + 0.4 * ctx.quality(text)
                choice.logprobs = _logprobs(text, conf, rng)
            choices.append(choice)
        prompt_tokens = len(ctx.text) // 4 + 3 * len(request.messages)
        completion_tokens = sum(len(c.text) // 4 + 1 for c in choices)
        return SimResponse(choices, prompt_tokens, completion_tokens, purpose=ctx.purpose)


_LOADED = False


def _ensure_behaviours() -> None:
    global _LOADED
    if not _LOADED:
        from sparring.sim import behaviours  # noqa: F401 - registers the built-in behaviours

        _LOADED = True
