"""A fake OpenAI-compatible Chat Completions server on 127.0.0.1, scripted to fail on demand.

It speaks the real protocol over real HTTP (JSON responses and server-sent-event streams with a
final usage chunk), so tests drive it with the real ``openai`` client. ``script(...)`` queues
behaviours for the next requests: ``ok``, ``500``, ``429`` (with ``Retry-After``), ``401``,
``hang`` (answers only after the client has timed out), ``malformed`` (a 200 whose body is not
JSON) and ``cut`` (a stream that stops after its first chunk without ``[DONE]``); the fault modes
of ``tests.fakes.openai_faults`` (``drip``, ``keepalive``, ``huge``, ``control``, ``braces``).
``say(...)`` queues the assistant messages of the next successful answers: text or OpenAI
``tool_calls`` (``tests/fakes/openai_tool_calls.py``); ``respond_with(fn)`` answers, once the queue
is empty, with ``fn(request body)`` (a scripted model deciding from the messages and tools it is
sent); without either, the answer is ``reply``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.openai_faults import FAULTS
from tests.fakes.openai_tool_calls import ScriptedReply, deltas, message

Responder = Callable[[dict[str, Any]], ScriptedReply]
"""A scripted model: the Chat Completions request body in, the assistant message to answer with out."""


class FakeOpenAIServer:
    """State shared with the handler: the script, the canned reply and every request received."""

    def __init__(self, reply: str = "Fresh miles start here.", retry_after: str = "1") -> None:
        self.reply = reply
        self.retry_after = retry_after
        self.hang_s = 3.0
        self.drip_s = 2.0
        self.huge_bytes = 5_000_000
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._script: deque[str] = deque()
        self._replies: deque[ScriptedReply] = deque()
        self._responder: Responder | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *behaviours: str) -> None:
        """Queue behaviours for the next requests (afterwards: ``ok``)."""
        with self._lock:
            self._script.extend(behaviours)

    def next_behaviour(self) -> str:
        with self._lock:
            return self._script.popleft() if self._script else "ok"

    def say(self, *replies: ScriptedReply) -> None:
        """Queue the assistant messages of the next successful answers (afterwards: ``reply``)."""
        with self._lock:
            self._replies.extend(replies)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer with ``responder(request body)`` once the ``say`` queue is empty (None: ``reply`` again)."""
        with self._lock:
            self._responder = responder

    def next_reply(self, payload: dict[str, Any]) -> ScriptedReply:
        with self._lock:
            if self._replies:
                return self._replies.popleft()
            responder = self._responder
        # outside the lock: a responder may be slow, and requests on other threads must not wait on it
        return responder(payload) if responder is not None else ScriptedReply(content=self.reply)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def wait_or_stop(self, seconds: float) -> None:
        self._stop.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> FakeOpenAIServer:
        fake: FakeOpenAIServer = self.server.fake  # type: ignore[attr-defined]
        return fake

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        body = json.dumps({"error": {"message": message, "type": "server_error", "code": status}})
        self._send(status, body.encode(), "application/json", extra)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length", "0"))
        payload = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.endswith("/chat/completions"):
            self._error(404, f"no route {self.path}")
            return
        self.fake.requests.append(payload)
        self.fake.headers.append({k.lower(): v for k, v in self.headers.items()})
        behaviour = self.fake.next_behaviour()
        try:
            self._answer(behaviour, payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _answer(self, behaviour: str, payload: dict[str, Any]) -> None:
        if behaviour in FAULTS:
            FAULTS[behaviour](self, payload)
        elif behaviour == "500":
            self._error(500, "internal error")
        elif behaviour == "429":
            self._error(429, "rate limited", {"Retry-After": self.fake.retry_after})
        elif behaviour == "401":
            self._error(401, "invalid api key")
        elif behaviour == "hang":
            self.fake.wait_or_stop(self.fake.hang_s)
            self._error(504, "too late")
        elif behaviour == "malformed":
            self._send(200, b'{"id": "x", "choices": [ {"message": ', "application/json")
        elif payload.get("stream"):
            self._stream(payload, cut=behaviour == "cut")
        else:
            self._complete(payload)

    def _usage(self, payload: dict[str, Any], reply: ScriptedReply) -> dict[str, int]:
        prompt = sum(len(str(m.get("content") or "").split()) for m in payload["messages"])
        completion = reply.completion_tokens()
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _complete(self, payload: dict[str, Any], reply: ScriptedReply | None = None) -> None:
        reply = reply or self.fake.next_reply(payload)
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": payload["model"],
            "choices": [
                {
                    "index": 0,
                    "message": message(reply),
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": self._usage(payload, reply),
        }
        self._send(200, json.dumps(body).encode(), "application/json")

    def _event(self, data: str) -> None:
        self.wfile.write(f"data: {data}\n\n".encode())
        self.wfile.flush()

    def _stream(self, payload: dict[str, Any], *, cut: bool, reply: ScriptedReply | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        base = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": payload["model"],
        }
        reply = reply or self.fake.next_reply(payload)
        for delta in deltas(reply):
            self._event(
                json.dumps({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
            )
            if cut:
                self.close_connection = True
                return
        finish = {"index": 0, "delta": {}, "finish_reason": reply.finish_reason}
        self._event(json.dumps({**base, "choices": [finish]}))
        if payload.get("stream_options", {}).get("include_usage"):
            self._event(json.dumps({**base, "choices": [], "usage": self._usage(payload, reply)}))
        self._event("[DONE]")
        self.close_connection = True


@contextmanager
def fake_openai_server(**kwargs: Any) -> Iterator[FakeOpenAIServer]:
    """Start a fake server on an ephemeral port; stop it afterwards."""
    server = FakeOpenAIServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()
