"""Fault modes of the fake OpenAI server (kept apart from its normal protocol for easy merges).

Each is a function of the request handler and the request payload, named by the behaviour that
``FakeOpenAIServer.script`` queues:

- ``drip``: a 200 whose JSON body arrives one byte every ``fake.drip_s`` seconds;
- ``drip_headers``: the status line, then the headers one byte every ``fake.drip_s`` seconds;
- ``keepalive``: a stream of SSE keep-alive comments every ``fake.drip_s`` seconds, no answer;
- ``huge``: a well-formed answer of ``fake.huge_bytes`` bytes (5 MB by default);
- ``control``: an answer made of control bytes;
- ``braces``: an answer of template debris (``}}{{``);

the last two streamed as server-sent events when the request asks for a stream.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.openai_tool_calls import text


def _completion(payload: dict[str, Any], content: str) -> bytes:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": payload["model"],
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    return json.dumps(body).encode()


def _headers(handler: Any, content_type: str, length: int | None) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    if length is not None:
        handler.send_header("Content-Length", str(length))
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True


def drip(handler: Any, payload: dict[str, Any]) -> None:
    body = _completion(payload, "Fresh miles start here.")
    _headers(handler, "application/json", len(body))
    for i in range(len(body)):
        if handler.fake._stop.is_set():
            return
        handler.wfile.write(body[i : i + 1])
        handler.wfile.flush()
        handler.fake.wait_or_stop(handler.fake.drip_s)


def drip_headers(handler: Any, payload: dict[str, Any]) -> None:
    body = _completion(payload, "Fresh miles start here.")
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    handler.close_connection = True
    for i in range(len(head)):
        if handler.fake._stop.is_set():
            return
        handler.wfile.write(head[i : i + 1].encode())
        handler.wfile.flush()
        handler.fake.wait_or_stop(handler.fake.drip_s)
    handler.wfile.write(body)


def keepalive(handler: Any, payload: dict[str, Any]) -> None:
    _headers(handler, "text/event-stream", None)
    for _ in range(10_000):
        if handler.fake._stop.is_set():
            return
        handler.wfile.write(b": keep-alive\n\n")
        handler.wfile.flush()
        handler.fake.wait_or_stop(handler.fake.drip_s)


def huge(handler: Any, payload: dict[str, Any]) -> None:
    body = _completion(payload, "A" * handler.fake.huge_bytes)
    _headers(handler, "application/json", len(body))
    handler.wfile.write(body)


def _answer(handler: Any, payload: dict[str, Any], content: str) -> None:
    if payload.get("stream"):
        handler._stream(payload, cut=False, reply=text(content))
    else:
        handler._complete(payload, reply=text(content))


def control(handler: Any, payload: dict[str, Any]) -> None:
    _answer(handler, payload, "\x00\x01\x02\x1b[31m\x07\x08")


def braces(handler: Any, payload: dict[str, Any]) -> None:
    _answer(handler, payload, "}}{{}}{{ }}{{")


FAULTS: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "drip": drip,
    "drip_headers": drip_headers,
    "keepalive": keepalive,
    "huge": huge,
    "control": control,
    "braces": braces,
}
