"""A short-lived read-through cache of the shop's CRM calendar, one entry per location and local day.

A chat turn asks for a day's slots, then perhaps for alternatives, then books: one CRM read per
location-day serves the whole turn. Entries live `ttl_seconds` (real time, not the business clock) and
are dropped when we write to the calendar (our bookings, moves, cancellations, the CRM sync) and when
ShopMonkey tells us staff changed an appointment. It never decides a booking: the claim re-reads the
slot's calendar first, so a stale entry can at worst offer a time that is then refused with others.

A read that began before a `forget` is not stored after it (a generation per tenant), so a change we
were told about is never papered over by an answer from before it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date

from leadorch.ports.crm import CalendarEntry

DEFAULT_TTL_SECONDS = 30.0

Key = tuple[str, str, date]  # (tenant, location, local day)


class CalendarCache:
    """Location-days of the shop's calendar as last read; thread-safe."""

    def __init__(
        self, ttl_seconds: float = DEFAULT_TTL_SECONDS, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self._monotonic = monotonic
        self._days: dict[Key, tuple[float, list[CalendarEntry]]] = {}
        self._generations: dict[str, int] = {}
        self._lock = threading.Lock()

    def generation(self, tenant_id: str) -> int:
        """Take before reading the CRM; hand to `put` so a read older than a `forget` is not kept."""
        with self._lock:
            return self._generations.get(tenant_id, 0)

    def get(self, tenant_id: str, location_id: str, day: date) -> list[CalendarEntry] | None:
        with self._lock:
            held = self._days.get((tenant_id, location_id, day))
            if held is None or self._monotonic() - held[0] >= self.ttl_seconds:
                return None
            return held[1]

    def put(
        self, tenant_id: str, location_id: str, days: dict[date, list[CalendarEntry]], *, generation: int
    ) -> None:
        with self._lock:
            if self._generations.get(tenant_id, 0) != generation:
                return
            now = self._monotonic()
            for day, entries in days.items():
                self._days[(tenant_id, location_id, day)] = (now, entries)

    def forget(self, tenant_id: str, location_id: str | None = None) -> None:
        """Drop the tenant's days (or one location's): the calendar changed."""
        with self._lock:
            self._generations[tenant_id] = self._generations.get(tenant_id, 0) + 1
            for key in [k for k in self._days if k[0] == tenant_id and location_id in (None, k[1])]:
                del self._days[key]
