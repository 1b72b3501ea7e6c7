"""The fallback chat model: the endpoint first, bounded retries, then the local model.

Like pydantic-ai's ``FallbackModel`` it is itself a ``ChatModel``, so callers never branch on the
backend. Connection errors, timeouts, 429 and 5xx (and malformed answers) are retried with
exponential backoff, honouring the server's ``Retry-After`` up to a cap; other endpoint errors
(401, 400...) go to the local model at once. Every answer lists in ``fallback_reasons`` what failed
before it. A stream is retried or handed over only while nothing has been shown to the user; a
failure mid-stream raises ``ModelAPIError``.

A circuit breaker skips the endpoint for a cool-down after repeated failed attempts (the answer's
``fallback_reasons`` says so, and its ``backend`` is the local model's); no retry waits past the
turn's wall-time budget (``agent.llm.deadline``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from agent.llm.breaker import CircuitBreaker
from agent.llm.deadline import current_deadline
from agent.llm.errors import BackendError
from data.errors import ModelAPIError
from tools.chat_model import ChatChunk, ChatModel, ChatResult, Message

logger = logging.getLogger("mkt.llm")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a failing endpoint before falling back."""

    max_retries: int = 2
    backoff_s: float = 0.5
    max_backoff_s: float = 8.0
    max_retry_after_s: float = 20.0

    def delay(self, attempt: int, error: BackendError) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if error.retry_after_s is not None:
            return min(error.retry_after_s, self.max_retry_after_s)
        return min(self.backoff_s * 2.0**attempt, self.max_backoff_s)


class FallbackChatModel:
    """Try ``primary`` (with retries), then answer with ``fallback`` (built lazily on first need)."""

    name = "fallback"

    def __init__(
        self,
        primary: ChatModel | None,
        fallback: ChatModel | Callable[[], ChatModel],
        *,
        policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.primary = primary
        self._fallback = fallback
        self.policy = policy or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self._sleep = sleep

    @property
    def fallback(self) -> ChatModel:
        """The fallback model (a factory given at construction is called once, here)."""
        if not isinstance(self._fallback, ChatModel):
            self._fallback = self._fallback()
        return self._fallback

    def _handle(self, exc: ModelAPIError, attempt: int, reasons: list[str]) -> bool:
        """Record the failure; wait and return True when the primary should be tried again."""
        reasons.append(f"attempt {attempt + 1}: {exc}")
        self.breaker.failure()
        retryable = isinstance(exc, BackendError) and exc.retryable
        if not retryable or attempt >= self.policy.max_retries or self.breaker.is_open:
            logger.warning("endpoint failed, answering with the local model: %s", exc)
            return False
        assert isinstance(exc, BackendError)
        wait = self.policy.delay(attempt, exc)
        turn = current_deadline()
        if turn is not None and turn.remaining() <= wait:
            reasons.append("no time left in the turn's budget to retry")
            logger.warning("endpoint failed and the turn's budget is spent: %s", exc)
            return False
        logger.info("endpoint failed (%s); retrying in %.2f s", exc, wait)
        self._sleep(wait)
        return True

    def _try_primary(self, reasons: list[str]) -> bool:
        """Whether to call the endpoint now (it exists and its circuit is not open)."""
        if self.primary is None:
            return False
        if not self.breaker.allow():
            reasons.append(self.breaker.reason())
            return False
        return True

    def chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
        stop: Sequence[str] | None = None,
    ) -> ChatResult:
        """Answer with the first backend that succeeds; the result says which one did."""
        reasons: list[str] = []
        if self._try_primary(reasons):
            attempt = 0
            while True:
                assert self.primary is not None
                try:
                    result = self.primary.chat(
                        messages,
                        max_tokens=max_tokens,
                        temperature=temperature,
                        json_schema=json_schema,
                        stop=stop,
                    )
                except ModelAPIError as exc:
                    if self._handle(exc, attempt, reasons):
                        attempt += 1
                        continue
                    break
                self.breaker.success()
                result.fallback_reasons = reasons + result.fallback_reasons
                return result
        result = self.fallback.chat(
            messages, max_tokens=max_tokens, temperature=temperature, json_schema=json_schema, stop=stop
        )
        result.fallback_reasons = reasons + result.fallback_reasons
        return result

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> Iterator[ChatChunk]:
        """Stream from the first backend that starts answering; the final chunk says which one."""
        reasons: list[str] = []
        if self._try_primary(reasons):
            attempt = 0
            while True:
                assert self.primary is not None
                shown = False
                try:
                    for chunk in self.primary.stream(
                        messages, max_tokens=max_tokens, temperature=temperature
                    ):
                        if chunk.result is not None:
                            chunk.result.fallback_reasons = reasons + chunk.result.fallback_reasons
                        if chunk.result is not None:
                            self.breaker.success()
                        shown = shown or bool(chunk.text)
                        yield chunk
                    return
                except ModelAPIError as exc:
                    if shown:
                        raise ModelAPIError(f"the answer was cut off: {exc}") from exc
                    if self._handle(exc, attempt, reasons):
                        attempt += 1
                        continue
                    break
        for chunk in self.fallback.stream(messages, max_tokens=max_tokens, temperature=temperature):
            if chunk.result is not None:
                chunk.result.fallback_reasons = reasons + chunk.result.fallback_reasons
            yield chunk
