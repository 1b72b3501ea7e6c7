"""A circuit breaker for the endpoint: after repeated failures, skip it for a cool-down."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    """Closed until ``failures`` consecutive failed attempts; then open for ``cooldown_s``.

    After the cool-down one trial attempt is let through (half-open): success closes the circuit,
    failure opens it for another cool-down. Thread-safe (Slack threads share one model).
    """

    def __init__(
        self, failures: int = 3, cooldown_s: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._count = 0
        self._opened_at: float | None = None
        self._trial = False  # half-open: one attempt in flight, every other caller waits for it

    def allow(self) -> bool:
        """Whether the endpoint may be tried now (after a cool-down: one caller, until it reports)."""
        with self._lock:
            if self._trial:
                return False
            if self._opened_at is None:
                return True
            if self._clock() - self._opened_at >= self.cooldown_s:
                self._trial = True  # a failure re-opens at once, a success closes
                return True
            return False

    def success(self) -> None:
        """The endpoint answered: close the circuit."""
        with self._lock:
            self._count = 0
            self._opened_at = None
            self._trial = False

    def failure(self) -> None:
        """One failed attempt; opens the circuit at the threshold."""
        with self._lock:
            self._count += 1
            if self._trial or self._count >= self.failures:
                self._opened_at = self._clock()
            self._trial = False

    @property
    def is_open(self) -> bool:
        """Whether the endpoint is being skipped now."""
        with self._lock:
            return self._opened_at is not None and self._clock() - self._opened_at < self.cooldown_s

    def retry_in(self) -> float:
        """Seconds until the endpoint is tried again (0 when the circuit is closed)."""
        with self._lock:
            left = 0.0 if self._opened_at is None else self.cooldown_s - (self._clock() - self._opened_at)
        return max(left, 0.0)

    def reason(self) -> str:
        """What the answer's ``fallback_reasons`` says while the circuit is open."""
        return (
            f"endpoint skipped after {self.failures} consecutive failures (retrying it in {self.retry_in():.0f} s);"
            " the local model answered"
        )


class BreakerBoard:
    """One ``CircuitBreaker`` per backend name, made on first use with the same settings."""

    def __init__(
        self, failures: int = 3, cooldown_s: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._breakers: dict[str, CircuitBreaker] = {}

    def __getitem__(self, backend: str) -> CircuitBreaker:
        with self._lock:
            if backend not in self._breakers:
                self._breakers[backend] = CircuitBreaker(self.failures, self.cooldown_s, clock=self._clock)
            return self._breakers[backend]
