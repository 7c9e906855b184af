"""The touch-point cadence: which touch goes out on which day, on which channels, and at what time.

A `TouchPlan` lists the touches (number, day offset from the lead's arrival, channels). The default
is 13 touches over 30 days. Touch 1 is email and SMS together (a fast first answer converts best),
then the plan alternates, email on even touches and SMS on odd ones, so nobody gets a text every
time, and touch 13 is the last word on both channels:

| touch | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
| day | 0 | 1 | 3 | 5 | 7 | 10 | 13 | 16 | 19 | 22 | 25 | 27 | 30 |
| channels | both | email | sms | email | sms | email | sms | email | sms | email | sms | email | both |

A `SendingWindow` is when the shop lets messages go out in the location's local time (default
09:00–20:00 every day; never outside 08:00–21:00, the federal calling hours). The law adds the
recipient's own hours and cap (`sending_rules`); `sending_terms` joins both, and `touch_timing.due_time`
plans each touch inside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from itertools import pairwise
from typing import Any

from leadorch.domain.errors import InvalidValue
from leadorch.domain.instants import require_instant, sunday_index, wall_clock, zone
from leadorch.domain.values import Channel, parse_channel

EARLIEST_LEGAL = time(8, 0)
LATEST_LEGAL = time(21, 0)
EVERY_DAY = frozenset(range(7))


@dataclass(frozen=True)
class PlannedTouch:
    """One touch of a plan: its number (1-based), its day offset from arrival and its channels."""

    number: int
    day: int
    channels: frozenset[Channel]

    def __post_init__(self) -> None:
        if isinstance(self.number, bool) or not isinstance(self.number, int) or self.number < 1:
            raise InvalidValue(f"touch number must be a whole number from 1, not {self.number!r}")
        if isinstance(self.day, bool) or not isinstance(self.day, int) or self.day < 0:
            raise InvalidValue(f"touch {self.number}: day must be a whole number from 0, not {self.day!r}")
        channels = frozenset(parse_channel(channel) for channel in self.channels)
        if not channels:
            raise InvalidValue(f"touch {self.number}: it must go out on at least one channel")
        object.__setattr__(self, "channels", channels)

    def to_data(self) -> dict[str, Any]:
        """Plain data for events and configuration (channels sorted, so equal plans encode equally)."""
        return {"number": self.number, "day": self.day, "channels": sorted(str(c) for c in self.channels)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PlannedTouch:
        """The touch described by `to_data()`'s output."""
        try:
            return cls(number=data["number"], day=data["day"], channels=frozenset(data["channels"]))
        except KeyError as missing:
            raise InvalidValue(
                f"a planned touch needs number, day and channels; {missing} is missing"
            ) from None


_PARSED_PLANS: dict[tuple[Any, ...], TouchPlan] = {}
_MAX_PARSED_PLANS = 256


@dataclass(frozen=True)
class TouchPlan:
    """The touches of a cadence, in order: numbered 1..n, days strictly increasing."""

    touches: tuple[PlannedTouch, ...]

    def __post_init__(self) -> None:
        touches = tuple(self.touches)
        if not touches:
            raise InvalidValue("a touch plan needs at least one touch")
        for position, touch in enumerate(touches, start=1):
            if touch.number != position:
                raise InvalidValue(
                    f"touches must be numbered 1, 2, 3…; touch {position} is numbered {touch.number}"
                )
        for earlier, later in pairwise(touches):
            if later.day <= earlier.day:
                raise InvalidValue(
                    f"touch days must strictly increase: touch {later.number} is on day {later.day}, "
                    f"touch {earlier.number} on day {earlier.day}"
                )
        object.__setattr__(self, "touches", touches)

    def __len__(self) -> int:
        return len(self.touches)

    def touch(self, number: int) -> PlannedTouch:
        """The touch numbered `number`."""
        if not 1 <= number <= len(self.touches):
            raise InvalidValue(f"the plan has touches 1 to {len(self.touches)}, not {number}")
        return self.touches[number - 1]

    def to_data(self) -> list[dict[str, Any]]:
        """Plain data for events and configuration."""
        return [touch.to_data() for touch in self.touches]

    @classmethod
    def from_data(cls, data: Sequence[Mapping[str, Any]]) -> TouchPlan:
        """The plan described by `to_data()`'s output.

        Every schedule load parses its plan, and nearly all schedules share a handful of plans: a plan
        is immutable, so equal data gets the same, already validated, `TouchPlan`.
        """
        if isinstance(data, (str, bytes)) or not isinstance(data, Sequence):
            raise InvalidValue(f"a touch plan must be a list of touches, not {type(data).__name__}")
        try:
            key = tuple((item["number"], item["day"], tuple(item["channels"])) for item in data)
            known = _PARSED_PLANS.get(key)
        except (KeyError, TypeError):  # malformed: let the full parse name what is wrong
            key, known = None, None
        if known is not None:
            return known
        plan = cls(tuple(PlannedTouch.from_data(item) for item in data))
        if key is not None:
            if len(_PARSED_PLANS) >= _MAX_PARSED_PLANS:
                _PARSED_PLANS.clear()
            _PARSED_PLANS[key] = plan
        return plan

    @classmethod
    def of(cls, days_and_channels: Iterable[tuple[int, Iterable[Channel | str]]]) -> TouchPlan:
        """A plan from (day, channels) pairs, numbered in order."""
        return cls(
            tuple(
                PlannedTouch(number=number, day=day, channels=frozenset(parse_channel(c) for c in channels))
                for number, (day, channels) in enumerate(days_and_channels, start=1)
            )
        )


_BOTH = (Channel.EMAIL, Channel.SMS)
DEFAULT_DAYS = (0, 1, 3, 5, 7, 10, 13, 16, 19, 22, 25, 27, 30)
DEFAULT_PLAN = TouchPlan.of(
    (
        day,
        _BOTH
        if number in (1, len(DEFAULT_DAYS))
        else (Channel.EMAIL,)
        if number % 2 == 0
        else (Channel.SMS,),
    )
    for number, day in enumerate(DEFAULT_DAYS, start=1)
)


def _parse_clock(value: Any, name: str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidValue(f"{name} must be a time of day such as '09:00', not {value!r}")


@dataclass(frozen=True)
class SendingWindow:
    """When messages may go out, in local time: from `start` to `end` (both included) on `days`.

    Days count from Sunday = 0 to Saturday = 6.
    """

    start: time = time(9, 0)
    end: time = time(20, 0)
    days: frozenset[int] = EVERY_DAY

    def __post_init__(self) -> None:
        start = _parse_clock(self.start, "sending window start")
        end = _parse_clock(self.end, "sending window end")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise InvalidValue("sending window times are local wall-clock times and carry no time zone")
        if not start < end:
            raise InvalidValue(f"sending window must start before it ends, not {start:%H:%M}–{end:%H:%M}")
        if start < EARLIEST_LEGAL or end > LATEST_LEGAL:
            raise InvalidValue(
                f"sending window {start:%H:%M}–{end:%H:%M} is outside the allowed calling hours "
                f"{EARLIEST_LEGAL:%H:%M}–{LATEST_LEGAL:%H:%M}"
            )
        days = frozenset(self.days)
        if not days:
            raise InvalidValue("sending window needs at least one day of the week")
        bad = sorted(
            day for day in days if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6
        )
        if bad:
            raise InvalidValue(f"sending window days count from 0 (Sunday) to 6 (Saturday); got {bad}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "days", days)

    def admits_local(self, local: datetime) -> bool:
        """Whether the local wall-clock reading `local` is inside the window."""
        return sunday_index(local.date()) in self.days and self.start <= local.time() <= self.end

    def admits(self, instant: datetime, tz_name: str) -> bool:
        """Whether `instant` is inside the window as clocks in `tz_name` read it."""
        return self.admits_local(wall_clock(require_instant(instant, "instant"), zone(tz_name)))

    def clamp(self, local_time: time) -> time:
        """`local_time` moved into the window's hours (before opening → opening, after closing → closing)."""
        return min(max(local_time.replace(tzinfo=None), self.start), self.end)

    def to_data(self) -> dict[str, Any]:
        """Plain data for events and configuration."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": sorted(self.days)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SendingWindow:
        """The window described by `to_data()`'s output."""
        try:
            return cls(start=data["start"], end=data["end"], days=frozenset(data["days"]))
        except KeyError as missing:
            raise InvalidValue(f"a sending window needs start, end and days; {missing} is missing") from None


DEFAULT_WINDOW = SendingWindow()
