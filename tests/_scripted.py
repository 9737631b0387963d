"""A scripted backend for gateway tests: fails as told, then answers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sparring.models import BackendRequest, BackendResult, Completion, Model, Usage


class ScriptedBackend:
    """Raises the scripted exceptions in turn, then answers ``text``; counts attempts."""

    def __init__(
        self, failures: Sequence[BaseException] = (), *, text: str = "ok", delay_s: float = 0.0
    ) -> None:
        self.failures = list(failures)
        self.text = text
        self.delay_s = delay_s
        self.calls: list[BackendRequest] = []

    def __call__(self, model: Model) -> ScriptedBackend:
        return self

    async def generate(self, request: BackendRequest) -> BackendResult:
        self.calls.append(request)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.failures:
            raise self.failures.pop(0)
        completions = [
            Completion(
                text=f"{self.text} #{request.sample_index + i}", index=request.sample_index + i
            )
            for i in range(request.n)
        ]
        return BackendResult(
            completions, Usage(prompt_tokens=10, completion_tokens=5 * request.n), cost_usd=0.001
        )
