"""The HTTP Events API endpoint: a threaded ``http.server`` that hands each request to the Bolt app.

Built like ``slack_bolt``'s own development server (``App.start``), but one thread per request, so
20 requests arriving at once are all acknowledged at once. Put it behind a TLS-terminating proxy:
Slack only calls HTTPS URLs.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000  # Slack's payloads are a few kB; anything this big is not from Slack


class SlackHTTPServer:
    """Serves ``app`` at ``path`` (POST) with ``/health`` (GET) for load balancers."""

    def __init__(
        self, app: App, host: str = "0.0.0.0", port: int = 3000, path: str = "/slack/events"
    ) -> None:
        self.app = app
        self.path = path
        handler = type("_BoundHandler", (_Handler,), {"bolt_app": app, "bolt_path": path})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
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
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path.partition("?")[0] == "/health":
            self._send(BoltResponse(status=200, body="ok"))
        else:
            self._send(BoltResponse(status=404, body="not found"))

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        if path != self.bolt_path:
            self._send(BoltResponse(status=404, body="not found"))
            return
        if length > MAX_BODY:
            self.close_connection = True
            self._send(BoltResponse(status=413, body="request too large"))
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in self.headers.items()}
        try:
            response = self.bolt_app.dispatch(BoltRequest(body=body, query=query, headers=headers))
        except Exception:  # never a stack trace to the caller
            log.exception("dispatch failed")
            response = BoltResponse(status=500, body="")
        self._send(response)

    def _send(self, response: BoltResponse) -> None:
        body = response.body if isinstance(response.body, str) else json.dumps(response.body)
        data = body.encode("utf-8")
        self.send_response(response.status)
        for key, values in response.headers.items():
            if key.lower() == "content-length":
                continue
            for value in values:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
