"""Instants and local wall-clock time: the one place that turns a (date, time) in a zone into a UTC instant.

Commands receive timezone-aware instants and store them in UTC. Business rules (sending windows,
opening hours) speak in local wall-clock time, which is not one-to-one with instants: on the spring
DST change some local times do not exist, and on the autumn change some happen twice. The functions
here decide those cases once, explicitly, and verify each answer by converting it back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadorch.domain.errors import InvalidValue


def require_instant(value: datetime, name: str = "at") -> datetime:
    """`value` as a UTC datetime; naive datetimes are refused because their instant is unknown."""
    if not isinstance(value, datetime):
        raise InvalidValue(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidValue(f"{name} must be timezone-aware (UTC), got the naive datetime {value.isoformat()}")
    return value.astimezone(UTC)


def zone(tz_name: str) -> ZoneInfo:
    """The IANA time zone `tz_name`, or an error naming it."""
    if not isinstance(tz_name, str) or not tz_name:
        raise InvalidValue(f"time zone must be an IANA name such as 'America/Los_Angeles', not {tz_name!r}")
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(f"unknown time zone {tz_name!r}") from None


def sunday_index(day: date) -> int:
    """The day of the week counted from Sunday = 0 to Saturday = 6 (the convention of our config)."""
    return (day.weekday() + 1) % 7


def wall_clock(instant: datetime, tz: ZoneInfo) -> datetime:
    """The local wall-clock reading of `instant` in `tz`, as a naive datetime."""
    return instant.astimezone(tz).replace(tzinfo=None)


def instant_at(local_date: date, local_time: time, tz: ZoneInfo) -> datetime | None:
    """The UTC instant at which clocks in `tz` read `local_date local_time`.

    None when that reading never happens (skipped by a spring-forward change). When it happens twice
    (an autumn fall-back change), the earlier instant.
    """
    naive = datetime.combine(local_date, local_time)
    readings = []
    for fold in (0, 1):
        candidate = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if wall_clock(candidate, tz) == naive:
            readings.append(candidate)
    return min(readings) if readings else None


def first_instant_at_or_after(local_date: date, local_time: time, tz: ZoneInfo) -> datetime:
    """The earliest instant whose local reading in `tz` is `local_date local_time` or later.

    Equal to `instant_at` when that reading exists; inside a spring-forward gap it is the moment of
    the change itself (for a 02:30 that never happens, the instant the clocks jump to 03:00).
    """
    exact = instant_at(local_date, local_time, tz)
    if exact is not None:
        return exact
    naive = datetime.combine(local_date, local_time)
    # Read with the offset before the gap the time lies after the change; with the offset after the
    # gap, before it. The change lies between: find it by bisection to the microsecond.
    before = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if before > after:
        before, after = after, before
    resolution = timedelta(microseconds=1)
    while after - before > resolution:
        middle = before + (after - before) / 2
        if wall_clock(middle, tz) >= naive:
            after = middle
        else:
            before = middle
    return after
