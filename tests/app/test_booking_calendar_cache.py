"""The short-lived cache of the shop's calendar: a few seconds per location-day, dropped on any change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from leadorch.app.booking.calendar_cache import CalendarCache
from leadorch.ports.crm import CalendarEntry

FRIDAY = date(2026, 11, 27)
LUNCH = CalendarEntry(
    id="lunch", start=datetime(2026, 11, 27, 20, tzinfo=UTC), end=datetime(2026, 11, 27, 21, tzinfo=UTC)
)


class Ticking:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_day_is_served_until_it_is_ttl_seconds_old() -> None:
    clock = Ticking()
    cache = CalendarCache(30, monotonic=clock)
    cache.put("t", "sd", {FRIDAY: [LUNCH]}, generation=cache.generation("t"))

    clock.now += 29.9
    held = cache.get("t", "sd", FRIDAY)
    clock.now += 0.1

    assert held == [LUNCH]
    assert cache.get("t", "sd", FRIDAY) is None
    assert cache.get("t", "sd", FRIDAY + timedelta(days=1)) is None


def test_forgetting_drops_the_tenants_days_and_a_read_begun_before_is_not_kept() -> None:
    cache = CalendarCache(30, monotonic=Ticking())
    cache.put("t", "sd", {FRIDAY: [LUNCH]}, generation=cache.generation("t"))
    cache.put("other", "sd", {FRIDAY: [LUNCH]}, generation=cache.generation("other"))
    begun = cache.generation("t")

    cache.forget("t")
    cache.put("t", "sd", {FRIDAY: []}, generation=begun)  # answered from before the change

    assert cache.get("t", "sd", FRIDAY) is None
    assert cache.get("other", "sd", FRIDAY) == [LUNCH]
