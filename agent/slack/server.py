"""The HTTP Events API endpoint: a hardened threaded ``http.server`` in front of the Bolt app.

Built like ``slack_bolt``'s own development server (``App.start``), one thread per connection, but
safe to expose (behind a TLS-terminating proxy: Slack only calls HTTPS URLs):

- a listen backlog of 128 and a cap on open connections (beyond it: 503 and close);
- a per-read socket timeout and a total deadline per connection (slow-loris clients are cut);
- a strict ``Content-Length`` (digits only, at most ``MAX_BODY``; else 400 / 411 / 413);
- the Slack signature checked here, before the body is parsed or dispatched: unsigned or badly
  signed requests get 401; a signed body that is not UTF-8 JSON or form data gets 400;
- no request body is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest, BoltResponse

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000  # Slack's payloads are a few kB; anything this big is not from Slack
_DIGITS = re.compile(r"[0-9]{1,12}")
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy"


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the listen backlog: bursts wait in the kernel instead of being reset
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], limits: Limits) -> None:
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.warning("connection cap (%d) reached: 503", self.limits.max_connections)
            try:
                request.sendall(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # A connection is cut at its deadline whatever it is doing (shutdown wakes a blocked read).
        timer = threading.Timer(self.limits.connection_deadline_s, _cut, args=(request,))
        timer.daemon = True
        timer.start()
        try:
            super().process_request_thread(request, client_address)
        finally:
            timer.cancel()
            self._slots.release()


def _cut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Limits:
    """The server's limits (defaults suit Slack: small payloads, answers needed within 3 s)."""

    def __init__(
        self, *, max_connections: int = 64, read_timeout_s: float = 5.0, connection_deadline_s: float = 15.0
    ) -> None:
        self.max_connections = max_connections
        self.read_timeout_s = read_timeout_s
        self.connection_deadline_s = connection_deadline_s


class SlackHTTPServer:
    """Serves ``app`` at ``path`` (POST) with ``/health`` (GET) for load balancers.

    ``signing_secret``: requests are verified here before anything is parsed (default: the secret
    the Bolt app was built with; ``None`` there too means verification is off, e.g. in a test).
    """

    def __init__(
        self,
        app: App,
        host: str = "0.0.0.0",
        port: int = 3000,
        path: str = "/slack/events",
        *,
        signing_secret: str | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.app = app
        self.path = path
        secret = signing_secret or getattr(app, "_signing_secret", None)  # Bolt keeps it unexported
        self.limits = limits or Limits()
        attrs = {
            "bolt_app": app,
            "bolt_path": path,
            "secret": secret.encode() if secret else None,
            "timeout": self.limits.read_timeout_s,
        }
        handler = type("_BoundHandler", (_Handler,), attrs)
        self._httpd = _Server((host, port), handler, self.limits)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The events URL."""
        host = str(self._httpd.server_address[0])
        return f"http://{host}:{self.port}{self.path}"

    def serve_forever(self) -> None:
        """Serve until ``stop`` (or Ctrl-C) in the calling thread."""
        log.info("listening on %s", self.url)
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._httpd.server_close()

    def start(self) -> SlackHTTPServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    bolt_app: App
    bolt_path: str
    secret: bytes | None
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path.partition("?")[0] == "/health":
            self._send(BoltResponse(status=200, body="ok"))
        else:
            self._send(BoltResponse(status=404, body="not found"))

    def _refuse(self, status: int, body: str) -> None:
        self.close_connection = True
        self._send(BoltResponse(status=status, body=body))

    def _length(self) -> int | None:
        """The declared body length, or None after answering a bad one."""
        if self.headers.get("Transfer-Encoding"):
            self._refuse(411, "a Content-Length is required")
            return None
        raw = self.headers.get_all("Content-Length") or ["0"]
        if len(set(raw)) != 1 or not _DIGITS.fullmatch(raw[0].strip()):
            self._refuse(400, "bad Content-Length")
            return None
        length = int(raw[0])
        if length > MAX_BODY:
            self._refuse(413, "request too large")
            return None
        return length

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        path, _, query = self.path.partition("?")
        if path != self.bolt_path:
            self._refuse(404, "not found")
            return
        length = self._length()
        if length is None:
            return
        raw = self.rfile.read(length) if length else b""
        if len(raw) != length:
            self.close_connection = True
            return  # the client went away or was cut at its deadline
        if not self._signed(raw):
            self._refuse(401, "invalid request")
            return
        body = _decode(raw, self.headers.get("Content-Type") or "")
        if body is None:
            self._refuse(400, "bad request body")
            return
        headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in self.headers.items()}
        try:
            response = self.bolt_app.dispatch(BoltRequest(body=body, query=query, headers=headers))
        except Exception as exc:  # never a stack trace (or the body) to the caller or the log
            ref = secrets.token_hex(3)
            log.error("dispatch failed (ref %s): %s", ref, type(exc).__name__)
            response = BoltResponse(status=500, body=f"internal error (ref {ref})")
        self._send(response)

    def _signed(self, raw: bytes) -> bool:
        if self.secret is None:
            return True
        timestamp = self.headers.get("X-Slack-Request-Timestamp") or ""
        signature = self.headers.get("X-Slack-Signature") or ""
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False
        base = b"v0:" + timestamp.encode() + b":" + raw  # over the raw bytes: no decoding before this check
        expected = "v0=" + hmac.new(self.secret, base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", errors="replace"))

    def _send(self, response: BoltResponse) -> None:
        body = response.body if isinstance(response.body, str) else json.dumps(response.body)
        data = body.encode("utf-8")
        try:
            self.send_response(response.status)
            for key, values in response.headers.items():
                if key.lower() == "content-length":
                    continue
                for value in values:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True


def _decode(raw: bytes, content_type: str) -> str | None:
    """The body as text when it is well-formed UTF-8 JSON (an object) or form data, else None."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        if content_type.startswith("application/json"):
            return text if isinstance(json.loads(text), dict) else None
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = parse_qs(text, strict_parsing=bool(text), max_num_fields=200)
            payload = form.get("payload")
            if payload is not None and not isinstance(json.loads(payload[0]), dict):
                return None
            return text
    except ValueError:
        return None
    return None
