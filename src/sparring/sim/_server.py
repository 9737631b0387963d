"""The simulator as an OpenAI-compatible HTTP server on loopback (``sparring serve-sim``).

Routes: ``GET /health``, ``GET /v1/models``, ``GET /v1/models/{id}`` and
``POST /v1/chat/completions`` (JSON or SSE streaming, ``n`` samples, logprobs, usage). The model
name a client sends selects the simulated persona and is echoed back. The simulator's knobs
(``sample_index``, ``sim_profile``, ``sim_task``, ``sim_gold``) are read from top-level JSON keys,
which is where the openai SDK puts ``extra_body``. Faults are injected per ``FaultConfig``
(see ``sparring.sim._faults``); requests that fail validation get a 400 before any fault draw.

It is a test tool: one thread per connection, HTTP/1.1 keep-alive, and it refuses to listen on a
non-loopback address unless ``allow_remote=True``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import urlsplit

from sparring._net import is_loopback_host
from sparring.sim._engine import SimEngine
from sparring.sim._faults import (
    Fault,
    FaultConfig,
    FaultInjector,
    FaultStats,
    cut_body,
    cut_stream,
    rate_limit_headers,
)
from sparring.sim._provider import request_from_params
from sparring.sim._types import SimResponse

__all__ = ["PERSONAS", "SimServer", "serve"]

PERSONAS = ("actor", "judge", "meta_judge", "critic", "sneaky", "planner")
_MAX_BODY = 32 * 1024 * 1024
_CREATED = 1_735_689_600  # the "created" date of the listed models (2025-01-01)
_FINGERPRINT = "sparring-sim"
_POLL_S = 0.05  # how often serve_forever checks for shutdown (close() waits up to this)
# field -> (lowest allowed, highest allowed or None)
_INTS: dict[str, tuple[int, int | None]] = {
    "n": (1, 128), "seed": (-(2**63), 2**64), "max_tokens": (1, None),
    "max_completion_tokens": (1, None), "sample_index": (0, None), "top_logprobs": (0, 20),
}
_NUMBERS = {"temperature": (0.0, 2.0), "top_p": (0.0, 1.0)}
_TYPED: dict[str, tuple[type | tuple[type, ...], str]] = {
    "stream": (bool, "a boolean"), "logprobs": (bool, "a boolean"),
    "stream_options": (dict, "an object"), "sim_profile": (dict, "an object"),
    "sim_task": (str, "a string"), "sim_gold": ((str, int, float), "a string or number"),
}


class _ApiError(Exception):
    """An error answered in OpenAI's error shape."""

    def __init__(self, status: int, message: str, *, param: str | None = None,
                 kind: str = "invalid_request_error", code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param
        self.kind, self.code = kind, code

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param,
                          "code": self.code}}


def _bad(param: str, message: str) -> _ApiError:
    return _ApiError(400, f"'{param}' {message}", param=param)


# ---------------------------------------------------------------- request validation


def _message_text(content: Any, where: str) -> str | None:
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if all(isinstance(p, str) for p in parts):
            return "".join(cast(list[str], parts))
    raise _bad(where, "must be a string, null or a list of text parts")


def _check_messages(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise _bad("messages", "must be a non-empty list of message objects")
    out = []
    for i, message in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise _bad(where, "must be an object")
        if not isinstance(message.get("role"), str):
            raise _bad(f"{where}.role", "must be a string")
        content = _message_text(message.get("content"), f"{where}.content")
        out.append({**message, "content": content})
    return out


def _check_param(name: str, value: Any) -> None:
    if name in _INTS:
        low, high = _INTS[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (
                high is not None and value > high):
            limit = f"<= {high}" if high is not None else "or more"
            raise _bad(name, f"must be an integer from {low} {limit}, got {value!r}")
    elif name in _NUMBERS:
        lo, hi = _NUMBERS[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise _bad(name, f"must be a number in [{lo:g}, {hi:g}], got {value!r}")
    elif name in _TYPED:
        kind, label = _TYPED[name]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise _bad(name, f"must be {label}, got {value!r}")
    elif name == "stop" and not (isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(s, str) for s in value))):
        raise _bad("stop", f"must be a string or a list of strings, got {value!r}")


def _parse_chat_request(raw: bytes) -> dict[str, Any]:
    """Parse and check a chat-completion request body.

    Args:
        raw: The HTTP body.

    Returns:
        The body, with message contents flattened to strings. Unknown keys are kept and ignored.

    Raises:
        _ApiError: A 400 naming the problem.
    """
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _ApiError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise _ApiError(400, "request body must be a JSON object")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise _bad("model", "is required and must be a non-empty string")
    if "messages" not in body:
        raise _bad("messages", "is required")
    body["messages"] = _check_messages(body["messages"])
    for name, value in body.items():
        if value is not None:
            _check_param(name, value)
    return body


# ---------------------------------------------------------------- response payloads


def _logprobs(pairs: list[tuple[str, float]] | None,
              tops: list[list[tuple[str, float]]] | None = None) -> dict[str, Any] | None:
    if pairs is None:
        return None
    alts = tops or [[] for _ in pairs]
    return {"content": [{"token": t, "logprob": lp, "bytes": list(t.encode()),
                         "top_logprobs": [{"token": a, "logprob": alp, "bytes": list(a.encode())}
                                          for a, alp in alt]}
                        for (t, lp), alt in zip(pairs, alts, strict=False)], "refusal": None}


def _usage(result: SimResponse) -> dict[str, int]:
    return {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens,
            "total_tokens": result.prompt_tokens + result.completion_tokens}


def _completion_json(model: str, result: SimResponse, cid: str, created: int) -> dict[str, Any]:
    """A ``chat.completion`` object for a simulator response."""
    choices = [{"index": i, "finish_reason": c.finish_reason,
                "logprobs": _logprobs(c.logprobs, c.top_logprobs),
                "message": {"role": "assistant", "content": c.text, "refusal": None}}
               for i, c in enumerate(result.choices)]
    return {"id": cid, "object": "chat.completion", "created": created, "model": model,
            "system_fingerprint": _FINGERPRINT, "choices": choices, "usage": _usage(result)}


def _stream_events(model: str, result: SimResponse, cid: str, created: int, *,
                   include_usage: bool) -> list[bytes]:
    """The SSE events of a streamed answer, ``data: [DONE]`` last; deltas are split on words."""
    head = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": _FINGERPRINT}
    tail = {"usage": None} if include_usage else {}

    def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        chunk = {**head, "choices": choices, **tail, **extra}
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"

    events = []
    for i, choice in enumerate(result.choices):
        words = choice.text.split(" ")
        pairs = choice.logprobs or [(w if k == 0 else " " + w, 0.0) for k, w in enumerate(words)]
        events.append(event([{"index": i, "delta": {"role": "assistant", "content": ""},
                              "logprobs": None, "finish_reason": None}]))
        tops = choice.top_logprobs or []
        for k, (token, logprob) in enumerate(pairs):
            alt = [tops[k]] if k < len(tops) else None
            lp = _logprobs([(token, logprob)], alt) if choice.logprobs is not None else None
            events.append(event([{"index": i, "delta": {"content": token}, "logprobs": lp,
                                  "finish_reason": None}]))
        events.append(event([{"index": i, "delta": {}, "logprobs": None,
                              "finish_reason": choice.finish_reason}]))
    if include_usage:
        events.append(event([], usage=_usage(result)))
    events.append(b"data: [DONE]\n\n")
    return events


def _models_json() -> dict[str, Any]:
    return {"object": "list", "data": [_model_json(name) for name in PERSONAS]}


def _model_json(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": _CREATED, "owned_by": "sparring-sim"}


# ---------------------------------------------------------------- HTTP


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], engine: SimEngine, injector: FaultInjector,
                 verbose: bool, api_key: str | None = None, max_n: int | None = None) -> None:
        self.engine, self.injector, self.verbose = engine, injector, verbose
        self.api_key, self.max_n = api_key, max_n
        self.stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # skip HTTPServer's reverse DNS lookup
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close every open client connection (handler threads then end)."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else every response stalls ~40 ms on delayed ACK
    server_version = "sparring-sim"
    timeout = 600  # idle keep-alive connections are closed after this many seconds

    @property
    def _srv(self) -> _HTTPServer:
        return cast(_HTTPServer, self.server)

    def log_message(self, format: str, *args: Any) -> None:
        if self._srv.verbose:
            super().log_message(format, *args)

    def _route(self) -> str:
        path = urlsplit(self.path).path.rstrip("/") or "/"
        return path[3:] if path.startswith("/v1/") else path

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              content_type: str = "application/json", length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), headers)

    def _send_error(self, err: _ApiError, headers: dict[str, str] | None = None) -> None:
        self._send_json(err.status, err.body(), headers)

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise _ApiError(411, "a Content-Length header is required", code="length_required")
        if int(length) > _MAX_BODY:
            self.close_connection = True
            raise _ApiError(413, f"request body over {_MAX_BODY} bytes", code="too_large")
        return self.rfile.read(int(length))

    def do_GET(self) -> None:
        route = self._route()
        if route == "/health":
            self._send_json(200, {"status": "ok", "simulator": True})
        elif route == "/models":
            self._send_json(200, _models_json())
        elif route.startswith("/models/") and route[8:] in PERSONAS:
            self._send_json(200, _model_json(route[8:]))
        elif route.startswith("/models/"):
            self._send_error(_ApiError(404, f"The model {route[8:]!r} does not exist",
                                       param="model", code="model_not_found"))
        else:
            self._unknown()

    def do_POST(self) -> None:
        try:
            raw = self._read_body()
            if self._route() != "/chat/completions":
                self._unknown()
                return
            self._check_key()
            self._chat(raw)
        except _ApiError as err:
            self._send_error(err)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _check_key(self) -> None:
        want = self._srv.api_key
        if want is not None and self.headers.get("Authorization", "") != f"Bearer {want}":
            raise _ApiError(401, "invalid api key", kind="invalid_request_error",
                            code="invalid_api_key")

    def _unknown(self) -> None:
        if self.command not in ("GET", "POST"):
            self.close_connection = True  # its body, if any, was not read
        known = self._route() in ("/chat/completions", "/models", "/health")
        if known:
            self._send_error(_ApiError(405, f"method {self.command} not allowed on {self.path}",
                                       code="method_not_allowed"))
        else:
            self._send_error(_ApiError(404, f"unknown route {self.command} {self.path}",
                                       code="not_found"))

    do_PUT = do_DELETE = do_PATCH = _unknown

    def _chat(self, raw: bytes) -> None:
        body = _parse_chat_request(raw)
        try:
            request = request_from_params(body["model"], body["messages"], body)
            result = self._srv.engine.respond(request)
            if self._srv.max_n is not None:  # a server that ignores ``n`` past this many
                result = dataclasses.replace(result, choices=result.choices[: self._srv.max_n])
        except ValueError as exc:  # unknown sim_task, bad sim_profile, ...
            raise _ApiError(400, f"simulator rejected the request: {exc}") from None
        except Exception as exc:
            raise _ApiError(500, f"simulator failed: {type(exc).__name__}: {exc}",
                            kind="server_error") from None
        decision = self._srv.injector.decide(body)
        if self._srv.stopping.wait(decision.latency_s):
            self.close_connection = True
            return
        fault = decision.fault
        if fault is Fault.RATE_LIMIT:
            self._rate_limited()
            return
        if fault is Fault.SERVER_ERROR:
            self._send_error(_ApiError(500, "simulated internal server error", kind="server_error",
                                       code="simulated_fault"))
            return
        if fault is Fault.HANG and self._srv.stopping.wait(self._srv.injector.config.hang_s):
            self.close_connection = True
            return
        cid, created = "chatcmpl-" + os.urandom(12).hex(), int(time.time())
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._stream(_stream_events(body["model"], result, cid, created, include_usage=usage),
                         fault)
        else:
            payload = _completion_json(body["model"], result, cid, created)
            self._complete(json.dumps(payload).encode(), fault)

    def _rate_limited(self) -> None:
        wait = self._srv.injector.config.retry_after_s
        err = _ApiError(429, f"simulated rate limit; retry after {wait:g} s",
                        kind="rate_limit_error", code="rate_limit_exceeded")
        self._send_json(429, {"error": {**err.body()["error"], "retry_after_s": wait}},
                        rate_limit_headers(wait))

    def _complete(self, payload: bytes, fault: Fault) -> None:
        body, length = cut_body(payload, fault)
        self._send(200, body, length=length)
        self.close_connection = self.close_connection or length != len(body)

    def _stream(self, events: list[bytes], fault: Fault) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        events, finish = cut_stream(events, fault)
        for data in events:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        if finish:
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.close_connection = True  # no terminating chunk: the client sees a cut body


# ---------------------------------------------------------------- public API


def _check_host(host: str, allow_remote: bool) -> None:
    if not allow_remote and not is_loopback_host(host):
        raise ValueError(f"refusing to listen on {host!r}: the simulator server is a test tool and "
                         "binds loopback only (127.0.0.1, ::1); pass allow_remote=True to override")


class SimServer:
    """The simulator's OpenAI-compatible server, run in a background thread.

    Example:
        >>> with SimServer(faults=FaultConfig(rate_429=0.2)) as srv:  # doctest: +SKIP
        ...     client = openai.OpenAI(base_url=srv.base_url, api_key="sk-test")

    Args:
        host: Address to listen on; loopback only unless ``allow_remote``.
        port: Port; 0 picks a free one (read it back from ``port`` / ``base_url``).
        faults: Faults to inject (none by default).
        engine: The simulator answering (``SimEngine()`` by default).
        verbose: Log each request to stderr.
        allow_remote: Allow a non-loopback ``host``.
        api_key: Answer 401 unless a request carries ``Authorization: Bearer <api_key>``.
        max_n: Return at most this many choices, whatever ``n`` asks (as servers that
            ignore ``n`` do).

    Raises:
        ValueError: ``host`` is not loopback and ``allow_remote`` is false.
        OSError: The address cannot be bound.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 faults: FaultConfig | None = None, engine: SimEngine | None = None,
                 verbose: bool = False, allow_remote: bool = False, api_key: str | None = None,
                 max_n: int | None = None) -> None:
        _check_host(host, allow_remote)
        bare = host.strip("[]")
        cls = _HTTPServer6 if ":" in bare else _HTTPServer
        self._httpd = cls((bare, port), engine or SimEngine(), FaultInjector(faults), verbose,
                          api_key, max_n)
        self._thread: threading.Thread | None = None
        self._serving = False
        self._closed = False

    @property
    def host(self) -> str:
        """The address listened on."""
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        """The port listened on."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The server's root URL, e.g. ``http://127.0.0.1:8000``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (``.../v1``) to give a client."""
        return self.url + "/v1"

    @property
    def faults(self) -> FaultConfig:
        """The fault configuration in force."""
        return self._httpd.injector.config

    @property
    def stats(self) -> FaultStats:
        """What was injected so far (a thread-safe snapshot)."""
        return self._httpd.injector.stats

    def start(self) -> Self:
        """Serve in a background daemon thread (idempotent); returns ``self``."""
        if self._closed:
            raise RuntimeError("this SimServer is closed")
        if self._thread is None:
            self._serving = True
            self._thread = threading.Thread(target=self._httpd.serve_forever, args=(_POLL_S,),
                                            name=f"sparring-sim-{self.port}", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until ``close()`` is called from another thread."""
        if self._closed or self._thread is not None:
            raise RuntimeError("this SimServer is closed or already serving")
        self._serving = True
        self._httpd.serve_forever(_POLL_S)

    def close(self) -> None:
        """Stop serving, end hangs and open connections, release the port (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._httpd.stopping.set()
        if self._serving:
            self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join()
        self._httpd.server_close()
        self._httpd.drop_connections()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def serve(host: str = "127.0.0.1", port: int = 8000, *, faults: FaultConfig | None = None,
          engine: SimEngine | None = None, verbose: bool = False,
          on_ready: Callable[[str], None] | None = None, allow_remote: bool = False,
          api_key: str | None = None, max_n: int | None = None) -> None:
    """Run the simulator server in this thread until Ctrl-C, then shut it down cleanly.

    Prints nothing itself.

    Args:
        host: Address to listen on; loopback only unless ``allow_remote``.
        port: Port (0 picks a free one).
        faults: Faults to inject.
        engine: The simulator answering.
        verbose: Log each request to stderr.
        on_ready: Called once with the base URL (``http://HOST:PORT/v1``) when listening.
        allow_remote: Allow a non-loopback ``host``.
        api_key: Require this bearer key (401 otherwise).
        max_n: Return at most this many choices per request.
    """
    server = SimServer(host, port, faults=faults, engine=engine, verbose=verbose,
                       allow_remote=allow_remote, api_key=api_key, max_n=max_n)
    try:
        if on_ready is not None:
            on_ready(server.base_url)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
