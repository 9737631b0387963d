"""``RewardServer``: rewards over OpenRLHF's remote reward-model HTTP protocol (0.11.2).

OpenRLHF (``--reward.remote_url http://HOST:PORT/get_reward``) POSTs ``{"query": [...],
"prompts": [...], "labels": [...]}`` and reads ``{"rewards": [...], "scores": [...],
"extra_logs": {...}}``, one reward per query (see :mod:`._openrlhf`). Several rewards can be
served at once: the reward is their weighted sum, and ``extra_logs`` holds each one's mean and
unscored count. Answers: 200 with the rewards; 400 for a body that is not the protocol
(the answer names what is wrong); 404 for another path, 405 for another method; 411 for a
chunked body; 413 for one over 64 MiB; 503 when a query is unscored and no ``missing``
stand-in was chosen (the answer, and this server's stderr, name the causes, e.g. the
judge's connection refused): OpenRLHF 0.11.2 retries a failed request 5 times, then leaves
that rollout without a reward, which it refuses to train on ("reward_model_group is required
when rewards are not precomputed"), rather than training on zeros.
``GET /health`` says what is served.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from sparring._net import is_loopback_host
from sparring._secrets import redact
from sparring.rewards._function import RewardFunction
from sparring.rewards._http import Request, serve_connection
from sparring.rewards._openrlhf import OpenRLHFBatch, OpenRLHFScores, score_openrlhf
from sparring.rewards._policy import UnscoredSamplesError

__all__ = ["RewardRequestError", "RewardServer", "WeightedReward", "answer", "parse_request"]

_MAX_BODY = 64 * 1024 * 1024
_PATHS = ("/get_reward", "/")


class RewardRequestError(ValueError):
    """A request body that is not OpenRLHF's reward protocol."""


@dataclass(frozen=True)
class WeightedReward:
    """One served reward and its weight in the sum."""

    reward: RewardFunction
    weight: float = 1.0


def parse_request(body: bytes) -> OpenRLHFBatch:
    """The batch of a request body.

    Raises:
        RewardRequestError: Not JSON, not an object, or ``query``/``prompts``/``labels`` of the
            wrong type or length.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RewardRequestError(f"the body is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise RewardRequestError("the body must be a JSON object with a 'query' list")
    queries = data.get("query")
    if not isinstance(queries, list):
        raise RewardRequestError("'query' must be a list of strings (prompt + completion)")
    prompts = data.get("prompts")
    if prompts is None:
        prompts = [""] * len(queries)  # the completion then starts after the assistant header
    labels = data.get("labels")
    if not isinstance(prompts, list) or (labels is not None and not isinstance(labels, list)):
        raise RewardRequestError("'prompts' and 'labels' must be lists, one item per query")
    try:
        return OpenRLHFBatch(queries, prompts, labels)
    except ValueError as err:
        raise RewardRequestError(str(err)) from None


async def _score_all(
    rewards: Sequence[WeightedReward], batch: OpenRLHFBatch, missing: float | None
) -> dict[str, Any]:
    results: list[OpenRLHFScores] = await asyncio.gather(
        *(score_openrlhf(item.reward, batch, missing=missing) for item in rewards)
    )
    total = [0.0] * len(batch.queries)
    logs: dict[str, float] = {}
    for item, result in zip(rewards, results, strict=True):
        total = [t + item.weight * r for t, r in zip(total, result.rewards, strict=True)]
        name = item.reward.__name__
        logs[f"{name}/mean"] = sum(result.rewards) / len(result.rewards) if result.rewards else 0.0
        logs[f"{name}/unscored"] = float(result.unscored)
    logs["unscored"] = sum(v for k, v in logs.items() if k.endswith("/unscored"))
    return {"rewards": total, "scores": total, "extra_logs": logs}


async def answer(
    rewards: Sequence[WeightedReward], request: Request, *, missing: float | None = None
) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON answer to one request (what the server sends).

    Args:
        rewards: The served rewards.
        request: The request.
        missing: The stand-in for an unscored query; None answers 503.
    """
    path = request.path.split("?")[0]
    if request.method == "GET" and path.rstrip("/") in ("/health", ""):
        names = [r.reward.__name__ for r in rewards]
        return 200, {"status": "ok", "rewards": names, "paths": list(_PATHS)}
    if path not in _PATHS:
        return 404, {"error": f"no such path {request.path!r}; POST to /get_reward"}
    if request.method != "POST":
        return 405, {"error": f"{request.method} {path}: POST the batch as JSON"}
    try:
        batch = parse_request(request.body)
    except RewardRequestError as err:
        return 400, {"error": str(err)}
    try:
        return 200, await _score_all(rewards, batch, missing)
    except UnscoredSamplesError as err:
        return 503, {"error": redact(str(err))}


def _check_host(host: str, allow_remote: bool) -> None:
    if not allow_remote and not is_loopback_host(host):
        raise ValueError(
            f"refusing to serve rewards on {host!r}: loopback only unless allow_remote "
            "(the server has no authentication)"
        )


class RewardServer:
    """Serve rewards over OpenRLHF's remote reward-model protocol, in a background thread.

    Example:
        >>> with RewardServer([WeightedReward(verifiable_reward())]) as srv:  # doctest: +SKIP
        ...     print(srv.url)  # give OpenRLHF --reward.remote_url {srv.url}

    Args:
        rewards: The rewards served (their weighted sum is the reward).
        host: Address to listen on; loopback only unless ``allow_remote``.
        port: Port; 0 picks a free one (read it back from ``port``).
        missing: The reward an unscored query gets (counted in ``extra_logs``); None answers
            503 naming the causes.
        allow_remote: Allow a non-loopback ``host``.
        verbose: Log each request to stderr.

    Raises:
        ValueError: No reward, or ``host`` is not loopback and ``allow_remote`` is false.
        OSError: The address cannot be bound.
    """

    def __init__(
        self,
        rewards: Sequence[WeightedReward],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        missing: float | None = None,
        allow_remote: bool = False,
        verbose: bool = False,
    ) -> None:
        if not rewards:
            raise ValueError("RewardServer needs at least one reward to serve")
        _check_host(host, allow_remote)
        self.rewards, self.missing, self.verbose = list(rewards), missing, verbose
        bare = host.strip("[]")
        family = socket.AF_INET6 if ":" in bare else socket.AF_INET
        self._sock = socket.create_server((bare, port), family=family, backlog=1024)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        """The URL to give OpenRLHF's ``--reward.remote_url``."""
        host = str(self._sock.getsockname()[0])
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/get_reward"

    async def _handle(self, request: Request) -> tuple[int, dict[str, Any]]:
        status, payload = await answer(self.rewards, request, missing=self.missing)
        if status != 200:
            sys.stderr.write(f"serve-reward: {status}: {payload['error']}\n")
        elif self.verbose:
            sys.stderr.write(f"serve-reward: {request.method} {request.path} 200\n")
        return status, payload

    async def _serve(self, ready: threading.Event | None = None) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        server = await asyncio.start_server(
            lambda r, w: serve_connection(r, w, self._handle, max_body=_MAX_BODY), sock=self._sock
        )
        if ready is not None:
            ready.set()
        async with server:
            await self._stop.wait()

    def start(self) -> Self:
        """Serve in a background daemon thread (idempotent); returns once listening."""
        if self._thread is None:
            ready = threading.Event()
            self._thread = threading.Thread(
                target=asyncio.run,
                args=(self._serve(ready),),
                daemon=True,
                name=f"sparring-reward-{self.port}",
            )
            self._thread.start()
            ready.wait(10)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C ends it cleanly)."""
        try:
            asyncio.run(self._serve())
        except KeyboardInterrupt:
            pass
        finally:
            self._sock.close()

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None and self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(10)
            self._thread = None
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
