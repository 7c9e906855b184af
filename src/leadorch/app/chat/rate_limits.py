"""Small in-process token buckets that keep one chat session or one address from flooding the assistant.

Each key (a session id, a client address) has a bucket of `capacity` requests refilled at `per_second`;
a request that finds it empty is refused with how long to wait. The buckets live in the process (a
deployment with several API processes grants each its own allowance, which is fine for abuse control),
on the monotonic clock, and the table is bounded: idle keys are dropped first when it is full.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from leadorch.app.chat.errors import RateLimited


class TokenBuckets:
    """One bucket per key."""

    def __init__(
        self,
        capacity: float,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 50_000,
    ) -> None:
        if capacity < 1 or per_second <= 0:
            raise ValueError("a bucket needs a capacity of at least 1 and a positive refill rate")
        self.capacity = capacity
        self.per_second = per_second
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token of `key`'s bucket: 0.0 if allowed, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, seen = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - seen) * self.per_second)
            if tokens >= 1:
                wait = 0.0
                tokens -= 1
            else:
                wait = (1 - tokens) / self.per_second
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return wait


@dataclass
class ChatRateLimits:
    """The chat's allowances: requests per address, messages per session, session opens per address."""

    per_session: TokenBuckets = field(default_factory=lambda: TokenBuckets(capacity=8, per_second=1 / 4))
    messages_per_address: TokenBuckets = field(
        default_factory=lambda: TokenBuckets(capacity=40, per_second=1)
    )
    opens_per_address: TokenBuckets = field(
        default_factory=lambda: TokenBuckets(capacity=20, per_second=1 / 3)
    )

    def address(self, address: str) -> None:
        """Allow one chat request from `address`, or raise `RateLimited`."""
        _check(self.messages_per_address.take(address), "too many requests from this address")

    def message(self, session_id: str) -> None:
        """Allow one message in the session, or raise `RateLimited`."""
        _check(self.per_session.take(session_id), "too many messages in this chat")

    def open(self, address: str) -> None:
        """Allow one session open, or raise `RateLimited`."""
        _check(self.opens_per_address.take(address), "too many chats opened from this address")


def _check(wait: float, reason: str) -> None:
    if wait > 0:
        raise RateLimited(f"{reason}; please wait {max(1, round(wait))} seconds", retry_after=wait)
