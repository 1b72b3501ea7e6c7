"""LLM backend failures mapped onto ``data.errors.ModelAPIError``.

One subclass carries what the fallback needs to decide: whether the failure is worth retrying
(connection errors, timeouts, 429, 5xx, malformed responses) and how long the server asked us to
wait (``Retry-After``). Anything else (401, 400, 404) is not retried, and the fallback answers
with the next backend at once.
"""

from __future__ import annotations

import math

import httpx
import openai
import pydantic

from data.errors import ModelAPIError


class BackendError(ModelAPIError):
    """A backend call failed.

    Attributes:
        backend: the backend name (``openai``, ``local``).
        kind: ``connection``, ``timeout``, ``rate_limit``, ``server``, ``malformed``, ``client``,
            ``invalid_output``, ``oversize`` (the answer passed the byte cap), ``garbage`` (control
            bytes or template debris), ``circuit_open`` or ``local``.
        status: the HTTP status, when there was one.
        retryable: whether trying the same backend again may succeed.
        retry_after_s: the server's ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        backend: str,
        kind: str,
        status: int | None = None,
        retryable: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        self.backend = backend
        self.kind = kind
        self.status = status
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        super().__init__(message)


def retry_after_seconds(headers: object) -> float | None:
    """Read ``retry-after-ms`` or ``retry-after`` (seconds) from response headers, if present."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = get(header)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


def from_openai(exc: Exception, *, base_url: str) -> BackendError:
    """Translate an ``openai`` SDK (or decoding) exception into a ``BackendError``."""
    where = f"endpoint {base_url}"
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return BackendError(f"{where} timed out", backend="openai", kind="timeout", retryable=True)
    if isinstance(exc, openai.APIConnectionError | httpx.HTTPError):
        return BackendError(
            f"cannot reach {where}: {exc.__cause__ or exc}",
            backend="openai",
            kind="connection",
            retryable=True,
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        wait = retry_after_seconds(exc.response.headers)
        if status == 429:
            return BackendError(
                f"{where} is rate limiting (429)",
                backend="openai",
                kind="rate_limit",
                status=status,
                retryable=True,
                retry_after_s=wait,
            )
        if status >= 500:
            return BackendError(
                f"{where} failed with HTTP {status}",
                backend="openai",
                kind="server",
                status=status,
                retryable=True,
                retry_after_s=wait,
            )
        return BackendError(
            f"{where} refused the request with HTTP {status}: {_short(exc.message)}",
            backend="openai",
            kind="client",
            status=status,
        )
    if isinstance(exc, openai.APIResponseValidationError | ValueError | pydantic.ValidationError):
        return BackendError(
            f"{where} sent a malformed response: {_short(str(exc))}",
            backend="openai",
            kind="malformed",
            retryable=True,
        )
    return BackendError(
        f"{where} failed: {_short(str(exc))}", backend="openai", kind="connection", retryable=True
    )


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
