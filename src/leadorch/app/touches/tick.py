"""The ticker: every few seconds, enqueue a dispatch for each touch the `due_touches` read model says is due.

The schedule lives in the event store and the read model is projected from it, so Redis is never the
only place a due touch is remembered: after a Redis, worker or API restart the next tick finds every
due touch again. Touch 1 does not wait for a tick (ingestion enqueues it right away); the tick is what
sends touches 2..13 and what recovers anything a lost message left behind.

Enqueueing twice is harmless (a dispatch of a touch that is no longer due does nothing), but a slow
worker must not find its queue growing by the whole due list every tick, so a schedule enqueued for a
given due time is not enqueued again for `REENQUEUE_AFTER_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

TICK_BATCH = 500
REENQUEUE_AFTER_SECONDS = 60.0
MAX_TICK_INTERVAL_SECONDS = 10.0


class RecentlyEnqueued:
    """Which (schedule, due time) pairs this process enqueued lately."""

    def __init__(self, ttl: float = REENQUEUE_AFTER_SECONDS) -> None:
        self.ttl = ttl
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def first_time(self, key: tuple[str, str], now: float) -> bool:
        with self._lock:
            if len(self._seen) > 50_000:
                self._seen = {k: t for k, t in self._seen.items() if now - t < self.ttl}
            seen = self._seen.get(key)
            if seen is not None and now - seen < self.ttl:
                return False
            self._seen[key] = now
            return True


def tick_interval(settings: Any) -> float:
    """The tick period: the configured one, never more than 10 s."""
    return min(float(settings.tick_interval_seconds), MAX_TICK_INTERVAL_SECONDS)
