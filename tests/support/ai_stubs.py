"""A loopback HTTP server that speaks OpenAI's, Anthropic's and Ollama's wire formats.

One server, three providers under path prefixes, each with its own switches::

    with AIStubServer() as stub:             # or the ``ai_stub`` fixture
        stub.openai.base_url                 # http://127.0.0.1:PORT/openai/v1
        stub.anthropic.base_url              # http://127.0.0.1:PORT/anthropic
        stub.ollama.base_url                 # http://127.0.0.1:PORT/ollama
        stub.openai.queue(Reply.rate_limited(retry_after="0.05"), Reply.ok("hi"))
        stub.anthropic.default = Reply.server_error()
        stub.openai.count("/v1/chat/completions")   # requests seen on that path
        stub.connections                     # TCP connections accepted, all providers

Each request to a provider takes the next queued ``Reply`` (then ``default``, normally
``Reply.ok()``). A request without the provider's key gets 401 whatever is queued, as
the real APIs do. Bodies are recorded (``stub.openai.bodies``) so tests can check what
reached the API, e.g. ``max_tokens`` or Ollama's ``options.num_predict``.

The server runs ``http.server`` in a daemon thread with a thread per connection, so a
slow reply blocks nobody else, and HTTP/1.1 keep-alive so connection counts mean what
a client's pool does.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

__all__ = ["AIStubServer", "ProviderStub", "Reply"]

ReplyKind = Literal["ok", "rate_limited", "server_error", "malformed", "drop", "unauthorized"]


@dataclass(frozen=True)
class Reply:
    """What the stub does with one request (after ``delay`` seconds)."""

    kind: ReplyKind = "ok"
    text: str = "stub answer"
    delay: float = 0.0
    retry_after: str | None = None
    status: int = 200

    @classmethod
    def ok(cls, text: str = "stub answer", *, delay: float = 0.0) -> Reply:
        return cls("ok", text=text, delay=delay)

    @classmethod
    def slow(cls, delay: float, text: str = "slow answer") -> Reply:
        return cls("ok", text=text, delay=delay)

    @classmethod
    def rate_limited(cls, retry_after: str | None = "0") -> Reply:
        return cls("rate_limited", retry_after=retry_after, status=429)

    @classmethod
    def server_error(cls, status: int = 500, retry_after: str | None = None) -> Reply:
        return cls("server_error", status=status, retry_after=retry_after)

    @classmethod
    def error(cls, status: int) -> Reply:
        """Any other status with the provider's error body (400, 404, 422 ...)."""
        return cls("server_error", status=status)

    @classmethod
    def malformed(cls) -> Reply:
        return cls("malformed")

    @classmethod
    def drop(cls) -> Reply:
        """Headers promise a body; the connection closes halfway through it."""
        return cls("drop")

    @classmethod
    def unauthorized(cls) -> Reply:
        return cls("unauthorized", status=401)


@dataclass
class ProviderStub:
    """One provider's switches and counters. ``api_key=None`` accepts any key."""

    kind: Literal["openai", "anthropic", "ollama"]
    prefix: str
    server_url: str
    api_key: str | None = None
    default: Reply = field(default_factory=Reply.ok)
    models: list[str] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    _queue: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        """What to give the provider (OpenAI's with ``/v1``, as the SDKs do)."""
        url = self.server_url + self.prefix
        return url + "/v1" if self.kind == "openai" else url

    def queue(self, *replies: Reply) -> None:
        """The next requests get these, in order; then ``default`` again."""
        with self._lock:
            self._queue.extend(replies)

    def count(self, path: str | None = None) -> int:
        """Requests seen on ``path`` (e.g. ``/v1/chat/completions``), or on all paths."""
        with self._lock:
            return self.requests[path] if path is not None else sum(self.requests.values())

    def wait_for(self, path: str, requests: int, timeout: float = 2.0) -> int:
        """Requests on ``path`` once there are ``requests`` (or ``timeout`` passed).

        A request the client abandoned (a timeout) may reach the server a moment after
        the client moved on; on a busy machine, give it that moment.
        """
        deadline = time.monotonic() + timeout
        while (seen := self.count(path)) < requests and time.monotonic() < deadline:
            time.sleep(0.005)
        return seen

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.bodies.clear()
            self.headers.clear()
            self.default = Reply.ok()

    def _take(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests[path] += 1
            if body:
                self.bodies.append(body)
            self.headers.append(headers)
            reply = self._queue.popleft() if self._queue else self.default
        if self.api_key is not None and self._key(headers) != self.api_key:
            return Reply.unauthorized()
        return reply

    def _key(self, headers: dict[str, str]) -> str | None:
        if self.kind == "anthropic" and "x-api-key" in headers:
            return headers["x-api-key"]  # newer SDKs send a bearer token, which is read below
        auth = headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

    # ---- the wire formats ----------------------------------------------------------------

    def success(self, path: str, body: dict[str, Any], text: str) -> dict[str, Any]:
        model = str(body.get("model", "stub-model"))
        if path.endswith("/models"):
            names = self.models or ["stub-model"]
            return {"object": "list", "data": [{"id": n, "object": "model"} for n in names]}
        if path == "/api/tags":
            names = self.models or ["llama3.2:latest"]
            return {"models": [{"name": n, "model": n} for n in names]}
        if self.kind == "openai":
            return {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        if self.kind == "anthropic":
            return {
                "id": "msg_stub",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 1, "output_tokens": 1},
            }
        return {
            "model": model,
            "created_at": "2024-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": text},
            "done": True,
        }

    def failure(self, status: int, message: str) -> dict[str, Any]:
        if self.kind == "openai":
            return {"error": {"message": message, "type": "stub_error", "code": status}}
        if self.kind == "anthropic":
            return {"type": "error", "error": {"type": "stub_error", "message": message}}
        return {"error": message}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many requests
    timeout = 30  # an idle keep-alive connection is closed after this many seconds
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms ACK wait
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # quiet: pytest would show it for every request

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        stub, path = self.server.owner.route(self.path)
        if stub is None:
            self._send(404, {"error": f"no stub at {self.path}"})
            return
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = stub._take(path, body if isinstance(body, dict) else {}, headers)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self._reply(stub, path, body, reply)
        except OSError:
            self.close_connection = True  # the client gave up (timeout) meanwhile

    def _reply(self, stub: ProviderStub, path: str, body: Any, reply: Reply) -> None:
        if reply.kind == "ok":
            self._send(200, stub.success(path, body if isinstance(body, dict) else {}, reply.text))
        elif reply.kind == "malformed":
            self._send_raw(200, b"{not json", "application/json")
        elif reply.kind == "drop":
            payload = json.dumps(stub.success(path, {}, "x" * 200)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            extra = {"retry-after": reply.retry_after} if reply.retry_after is not None else {}
            message = {
                401: "Incorrect API key provided: sk-stub***",
                429: "Rate limit reached",
            }.get(reply.status, f"stub error {reply.status}")
            self._send(reply.status, stub.failure(reply.status, message), extra)

    def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(data).encode(), "application/json", headers)

    def _send_raw(
        self, status: int, payload: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connects when many tasks call at once
    block_on_close = False  # a slow reply still sleeping must not hold up the teardown
    owner: AIStubServer

    def get_request(self) -> tuple[socket.socket, Any]:
        connection = super().get_request()
        self.owner._connected()
        return connection


class AIStubServer:
    """The stub server; a context manager that starts and stops it on 127.0.0.1."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._lock = threading.Lock()
        self._connections = 0
        self.openai = ProviderStub("openai", "/openai", self.url)
        self.anthropic = ProviderStub("anthropic", "/anthropic", self.url)
        self.ollama = ProviderStub("ollama", "/ollama", self.url)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def connections(self) -> int:
        """TCP connections accepted so far, for every provider together."""
        with self._lock:
            return self._connections

    def _connected(self) -> None:
        with self._lock:
            self._connections += 1

    def route(self, path: str) -> tuple[ProviderStub | None, str]:
        for stub in (self.openai, self.anthropic, self.ollama):
            if path.startswith(stub.prefix + "/"):
                return stub, path[len(stub.prefix) :]
        return None, path

    def reset(self) -> None:
        for stub in (self.openai, self.anthropic, self.ollama):
            stub.reset()

    def start(self) -> AIStubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
