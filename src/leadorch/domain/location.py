"""A location's opening hours, as pure configuration the app stores and passes to the availability rule.

Days of the week count from Sunday = 0 to Saturday = 6. A day may have several intervals (closed over
lunch) or none (closed). `exceptions` override single dates: an empty tuple closes the shop that day.
Times are local wall-clock times in the location's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from itertools import pairwise
from typing import Any

from leadorch.domain.errors import InvalidValue
from leadorch.domain.instants import sunday_index

Interval = tuple[time, time]


def _parse_time(value: Any, where: str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidValue(f"{where}: {value!r} is not a time of day such as '09:00'")


def _intervals(raw: Any, where: str) -> tuple[Interval, ...]:
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
        raise InvalidValue(f"{where}: opening hours must be a list of (open, close) pairs, not {raw!r}")
    intervals: list[Interval] = []
    for pair in raw:
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise InvalidValue(f"{where}: {pair!r} is not an (open, close) pair")
        opens, closes = _parse_time(pair[0], where), _parse_time(pair[1], where)
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise InvalidValue(f"{where}: opening hours are local times and carry no time zone")
        if not opens < closes:
            raise InvalidValue(f"{where}: {opens:%H:%M}–{closes:%H:%M} must open before it closes")
        intervals.append((opens, closes))
    intervals.sort()
    for (_, first_close), (second_open, _) in pairwise(intervals):
        if second_open < first_close:
            raise InvalidValue(f"{where}: opening intervals overlap at {second_open:%H:%M}")
    return tuple(intervals)


@dataclass(frozen=True)
class BusinessHours:
    """Weekly opening intervals per day of the week, plus dated exceptions."""

    weekly: dict[int, tuple[Interval, ...]]
    exceptions: dict[date, tuple[Interval, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        weekly: dict[int, tuple[Interval, ...]] = {}
        for day, raw in dict(self.weekly).items():
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise InvalidValue(f"business hours: day {day!r} must count from 0 (Sunday) to 6 (Saturday)")
            weekly[day] = _intervals(raw, f"business hours on day {day}")
        exceptions: dict[date, tuple[Interval, ...]] = {}
        for exception_date, raw in dict(self.exceptions).items():
            if not isinstance(exception_date, date):
                raise InvalidValue(f"business hours exception {exception_date!r} must be a date")
            exceptions[exception_date] = _intervals(raw, f"business hours on {exception_date.isoformat()}")
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "exceptions", exceptions)

    def intervals_on(self, local_date: date) -> tuple[Interval, ...]:
        """The opening intervals of `local_date` (an exception wins over the weekly hours)."""
        if local_date in self.exceptions:
            return self.exceptions[local_date]
        return self.weekly.get(sunday_index(local_date), ())

    def to_data(self) -> dict[str, Any]:
        """Plain data for configuration storage (ISO times and dates, string keys)."""
        return {
            "weekly": {
                str(day): [[o.isoformat(), c.isoformat()] for o, c in intervals]
                for day, intervals in sorted(self.weekly.items())
            },
            "exceptions": {
                day.isoformat(): [[o.isoformat(), c.isoformat()] for o, c in intervals]
                for day, intervals in sorted(self.exceptions.items())
            },
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> BusinessHours:
        """The hours described by `to_data()`'s output."""
        if not isinstance(data, Mapping) or "weekly" not in data:
            raise InvalidValue("business hours need a 'weekly' mapping of day (0=Sunday..6) to intervals")
        weekly: dict[int, tuple[Interval, ...]] = {}
        for key, raw in dict(data["weekly"]).items():
            try:
                day = int(key)
            except (TypeError, ValueError):
                raise InvalidValue(
                    f"business hours: day {key!r} must be a number from 0 (Sunday) to 6"
                ) from None
            weekly[day] = _intervals(raw, f"business hours on day {key}")
        exceptions: dict[date, tuple[Interval, ...]] = {}
        for key, raw in dict(data.get("exceptions", {})).items():
            try:
                day_date = key if isinstance(key, date) else date.fromisoformat(key)
            except (TypeError, ValueError):
                raise InvalidValue(
                    f"business hours exception {key!r} is not a date such as '2025-12-25'"
                ) from None
            exceptions[day_date] = _intervals(raw, f"business hours on {key}")
        return cls(weekly=weekly, exceptions=exceptions)
