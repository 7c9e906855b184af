"""What the SendGrid and Twilio stand-ins share: an outbox of accepted messages, a call count, and
queued faults (an error status, or an answer that comes late after the message was taken).

Thread-safe: the stand-in serves requests on its own thread while a test or the demo reads it.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

M = TypeVar("M")


@dataclass
class Fault:
    status: int | None = None
    stall_seconds: float = 0.0


class ProviderStandIn(Generic[M]):
    """Base of a messaging provider's stand-in; subclasses add the endpoint and their own refusals."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outbox: list[M] = []
        self._faults: deque[Fault] = deque()
        self._calls = 0

    @property
    def outbox(self) -> list[M]:
        """A snapshot of every accepted message, oldest first."""
        with self._lock:
            return list(self._outbox)

    @property
    def calls(self) -> int:
        """How many requests reached the endpoint, accepted or not."""
        with self._lock:
            return self._calls

    def fail_next(self, count: int = 1, *, status: int = 500) -> None:
        """The next `count` calls answer `status` (500, 503, 429, ...) without sending anything."""
        if count < 1 or not 400 <= status <= 599:
            raise ValueError(f"fail_next needs count >= 1 and an error status, got {count}, {status}")
        with self._lock:
            self._faults.extend(Fault(status=status) for _ in range(count))

    def stall_next(self, seconds: float, count: int = 1) -> None:
        """The next `count` calls are taken, then answered only after `seconds` (a slow or lost answer).

        The message is accepted before the wait, as with a provider whose answer never reaches the
        client: a client that times out and retries would send it twice.
        """
        with self._lock:
            self._faults.extend(Fault(stall_seconds=seconds) for _ in range(count))

    def _count_call(self) -> Fault | None:
        """Count one request and take the next queued fault, if any."""
        with self._lock:
            self._calls += 1
            return self._faults.popleft() if self._faults else None

    def _reset_common(self) -> None:
        """Forget accepted messages, pending faults and the call count (call with the lock held)."""
        self._outbox.clear()
        self._faults.clear()
        self._calls = 0
