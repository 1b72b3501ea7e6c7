"""A fake Slack Web API on 127.0.0.1: records every method and body, answers like Slack, 429 on demand.

The real ``slack_sdk.WebClient`` talks to it with ``base_url=fake.api_url``. It implements the
methods the bot uses (``auth.test``, ``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``,
``files.getUploadURLExternal`` + the upload URL + ``files.completeUploadExternal``,
``usergroups.users.list``) and slash-command / interaction ``response_url``s (``/response/<id>``).
``rate_limit(method, retry_after)`` makes the next call of ``method`` answer 429 with
``Retry-After``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = "UBOT"


@dataclass
class Call:
    """One request the fake received."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    data: bytes = b""


class FakeSlackAPI:
    """State shared with the handler: recorded calls, scripted 429s, user groups, uploaded files."""

    def __init__(self, token: str = "xoxb-test-token", app_token: str = "xapp-test-token") -> None:
        self.token = token
        self.app_token = app_token
        self.socket_url = ""  # what apps.connections.open answers (a FakeSocketMode's url)
        self.calls: list[Call] = []
        self.user_groups: dict[str, list[str]] = {}
        self._limits: dict[str, list[str]] = {}
        self._ts = itertools.count(1)
        self._cond = threading.Condition()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base}/response/{name}"

    def rate_limit(self, method: str, retry_after: str = "1", times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer 429 with ``Retry-After``."""
        with self._cond:
            self._limits.setdefault(method, []).extend([retry_after] * times)

    def next_limit(self, method: str) -> str | None:
        with self._cond:
            queue = self._limits.get(method)
            return queue.pop(0) if queue else None

    def next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def of(self, method: str, status: int | None = 200) -> list[Call]:
        """Calls of ``method`` (answered with ``status``; None: any)."""
        with self._cond:
            return [c for c in self.calls if c.method == method and (status is None or c.status == status)]

    def wait_for(
        self,
        method: str,
        where: Callable[[Call], bool] = lambda _c: True,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[Call]:
        """Wait until ``count`` successful calls of ``method`` match ``where``; fail the test on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.method == method and c.status == 200 and where(c)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.status, str(c.body)[:200]) for c in self.calls]
                    raise AssertionError(f"timed out waiting for {count} x {method}; calls: {seen}")
                self._cond.wait(left)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _parse(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else {"_": parsed}
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    return {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> FakeSlackAPI:
        fake: FakeSlackAPI = self.server.fake  # type: ignore[attr-defined]
        return fake

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _send(self, status: int, body: Any, extra: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = self.path.partition("?")[0]
        if path.startswith("/upload/"):
            self.fake.record(
                Call(method="upload", body={"file_id": path.rsplit("/", 1)[1]}, headers=headers, data=raw)
            )
            self._send(200, b"OK")
            return
        if path.startswith("/response/"):
            body = _parse(headers.get("content-type", ""), raw)
            self.fake.record(Call(method="response_url", body={"url": path, **body}, headers=headers))
            self._send(200, b"ok")
            return
        if not path.startswith("/api/"):
            self._send(404, {"ok": False, "error": "unknown_path"})
            return
        method = path[len("/api/") :]
        body = _parse(headers.get("content-type", ""), raw)
        retry_after = self.fake.next_limit(method)
        if retry_after is not None:
            self.fake.record(Call(method=method, body=body, headers=headers, status=429))
            self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": retry_after})
            return
        expected = self.fake.app_token if method == "apps.connections.open" else self.fake.token
        if headers.get("authorization") != f"Bearer {expected}":
            self.fake.record(Call(method=method, body=body, headers=headers, status=401))
            self._send(200, {"ok": False, "error": "invalid_auth"})
            return
        answer = self._answer(method, body)
        self.fake.record(Call(method=method, body=body, headers=headers))
        self._send(200, answer)

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        fake = self.fake
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.test/", "team": "Fake", "user": "mkt", "team_id": "T1",
                    "user_id": BOT_USER, "bot_id": "BBOT"}  # fmt: skip
        if method in ("chat.postMessage", "chat.update"):
            ts = body.get("ts") or fake.next_ts()
            return {
                "ok": True,
                "channel": body.get("channel"),
                "ts": ts,
                "message": {"text": body.get("text"), "ts": ts},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": fake.next_ts()}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(fake._ts)}"
            return {"ok": True, "upload_url": f"{fake.base}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = json.loads(body.get("files", "[]"))
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        if method == "apps.connections.open":
            return {"ok": True, "url": fake.socket_url}
        if method == "usergroups.users.list":
            return {"ok": True, "users": fake.user_groups.get(str(body.get("usergroup")), [])}
        return {"ok": False, "error": "unknown_method"}


class FakeSocketMode:
    """Slack's Socket Mode side on 127.0.0.1: says hello, sends envelopes, collects the acks."""

    def __init__(self) -> None:
        from websockets.sync.server import ServerConnection, serve

        self.acks: dict[str, float] = {}
        self.acked = threading.Condition()
        self.connected = threading.Event()
        self._conn: ServerConnection | None = None

        def handler(conn: ServerConnection) -> None:
            self._conn = conn
            conn.send(json.dumps({"type": "hello", "num_connections": 1}))
            self.connected.set()
            for message in conn:
                envelope = json.loads(message)
                with self.acked:
                    self.acks[str(envelope.get("envelope_id"))] = time.monotonic()
                    self.acked.notify_all()

        self._server = serve(handler, "127.0.0.1", 0, compression=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link"

    def send(self, envelope_id: str, payload: dict[str, Any], retry_attempt: int = 0) -> float:
        """Deliver an Events API envelope; returns when it was sent."""
        assert self.connected.wait(10) and self._conn is not None
        envelope = {
            "envelope_id": envelope_id,
            "type": "events_api",
            "accepts_response_payload": False,
            "payload": payload,
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        sent = time.monotonic()
        self._conn.send(json.dumps(envelope))
        return sent

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> float:
        """When ``envelope_id`` was acknowledged."""
        with self.acked:
            assert self.acked.wait_for(lambda: envelope_id in self.acks, timeout), f"no ack for {envelope_id}"
            return self.acks[envelope_id]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@contextmanager
def fake_slack_api(**kwargs: Any) -> Iterator[FakeSlackAPI]:
    """Start a fake Slack Web API on an ephemeral port; stop it afterwards."""
    server = FakeSlackAPI(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()
