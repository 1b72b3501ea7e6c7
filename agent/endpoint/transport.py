"""HTTP limits for the endpoint path's ``ChatOpenAI``: a total deadline and a byte cap per request.

The SDK's ``timeout`` bounds each read, so a server dripping a byte every 2 s (or streaming
keep-alive comments) could hold one attempt for minutes. ``BoundedTransport`` wraps httpx's
transport: every request gets a deadline (``deadline_s``, or the turn's budget if sooner, see
``agent.llm.deadline``), the status line and headers are awaited in a helper thread up to it, and
the body is read chunk by chunk with the deadline and ``max_bytes`` checked on each chunk. A
request past its deadline fails as ``httpx.ReadTimeout`` (so the SDK treats it as a time-out); an
answer past the cap fails as ``AnswerTooLarge``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from agent.llm.deadline import Deadline, call_deadline, within


class AnswerTooLarge(httpx.TransportError):
    """The response body passed the byte cap."""


class _Bounded(httpx.SyncByteStream):
    """A response body read within a deadline and a byte cap."""

    def __init__(
        self, inner: httpx.SyncByteStream, deadline: Deadline, max_bytes: int, request: httpx.Request
    ) -> None:
        self.inner = inner
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.request = request

    def __iter__(self) -> Iterator[bytes]:
        read = 0
        for chunk in self.inner:
            read += len(chunk)
            if read > self.max_bytes:
                raise AnswerTooLarge(
                    f"the answer passed the {self.max_bytes:,}-byte cap", request=self.request
                )
            if self.deadline.expired:
                raise _late(self.deadline, self.request)
            yield chunk

    def close(self) -> None:
        """Close the inner body."""
        self.inner.close()


class BoundedTransport(httpx.BaseTransport):
    """``inner`` (httpx's own transport by default) with a total deadline and a byte cap per request."""

    def __init__(
        self, *, deadline_s: float, max_bytes: int, inner: httpx.BaseTransport | None = None
    ) -> None:
        self.deadline_s = deadline_s
        self.max_bytes = max_bytes
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; the headers and then the body must arrive before the deadline."""
        deadline = call_deadline(self.deadline_s)
        if deadline.expired:
            raise _late(deadline, request)
        timeouts = dict(request.extensions.get("timeout") or {})
        remaining = max(0.05, deadline.remaining())
        request.extensions["timeout"] = {k: min(v or remaining, remaining) for k, v in timeouts.items()}
        response = within(  # headers dripped a byte at a time cannot hold the caller past the deadline
            lambda: self.inner.handle_request(request),
            deadline,
            late=lambda late_response: late_response.close(),
            expired=lambda: _late(deadline, request),
        )
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Bounded(_stream_of(response), deadline, self.max_bytes, request),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        """Close the inner transport's connections."""
        self.inner.close()


def _stream_of(response: httpx.Response) -> httpx.SyncByteStream:
    stream = response.stream
    if not isinstance(stream, httpx.SyncByteStream):
        raise TypeError("the endpoint transport returned an async body")
    return stream


def _late(deadline: Deadline, request: httpx.Request) -> httpx.ReadTimeout:
    return httpx.ReadTimeout(f"the call passed its {deadline.seconds:g} s deadline", request=request)


def bounded_client(*, timeout_s: float, deadline_s: float, max_bytes: int) -> httpx.Client:
    """An httpx client for ``ChatOpenAI(http_client=...)`` with these limits."""
    transport = BoundedTransport(deadline_s=deadline_s, max_bytes=max_bytes)
    return httpx.Client(transport=transport, timeout=timeout_s)
