"""When an appointment can start: the availability rule shared by offering slots and booking one.

A slot is a start instant such that:

- it lies on the granularity grid in local time (minutes since local midnight divisible by it);
- the whole appointment (start to start + duration) fits inside one business-hours interval of that
  local date (a local time skipped by a DST change is never offered; a repeated one, only its first
  occurrence);
- it is at least `min_lead` after `now`;
- there is room for it among what is busy then: our confirmed appointments and the shop's own calendar
  (staff's bookings, walk-ins, recurring lunch or office-time blocks), each a `Busy` interval:
  - without `technicians`, at every instant fewer than `capacity` places are taken, an entry taking one
    place per technician on it (a lunch block for two technicians is two people away) and at least one
    (an unassigned walk-in still takes a bay);
  - with `technicians` (the location's bookable staff), one of them is free of every entry naming them
    for the whole appointment, and at every instant enough of the others are free to take the entries
    that name no technician (an unassigned appointment still needs someone). `technician_for` says which
    one: the first in the listed order.

`free_slots` lists them over a range; `is_slot_free` checks one with the same predicates, for booking.
Checking that atomically with the save is the application's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from leadorch.domain.errors import InvalidValue
from leadorch.domain.instants import instant_at, require_instant, wall_clock, zone
from leadorch.domain.location import BusinessHours

MAX_RANGE = timedelta(days=366)

Booked = tuple[datetime, datetime]


@dataclass(frozen=True)
class Busy:
    """Time taken on the calendar, by whom (no technicians: the unassigned column)."""

    start: datetime
    end: datetime
    technician_ids: frozenset[str] = frozenset()

    @property
    def places(self) -> int:
        """How many of a location's places it takes when places are counted, not technicians."""
        return max(1, len(self.technician_ids))


@dataclass(frozen=True)
class ServiceLine:
    """A bookable service: how long it takes and what it costs."""

    service_id: str
    name: str
    duration_minutes: int
    price_cents: int

    def __post_init__(self) -> None:
        if not isinstance(self.service_id, str) or not self.service_id:
            raise InvalidValue(f"service_id must be non-empty text, not {self.service_id!r}")
        minutes = self.duration_minutes
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
            raise InvalidValue(
                f"service {self.service_id}: duration_minutes must be a positive whole number, not {minutes!r}"
            )
        price = self.price_cents
        if isinstance(price, bool) or not isinstance(price, int) or price < 0:
            raise InvalidValue(
                f"service {self.service_id}: price_cents must be a whole number from 0, not {price!r}"
            )

    @property
    def duration(self) -> timedelta:
        """How long the service takes."""
        return timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True)
class _Rule:
    hours: BusinessHours
    tz: ZoneInfo
    capacity: int
    min_lead: timedelta
    granularity: int
    duration: timedelta
    booked: tuple[Busy, ...]
    now: datetime
    technicians: tuple[str, ...] = ()

    def fits_hours(self, slot: datetime) -> bool:
        local = wall_clock(slot, self.tz)
        minutes = local.hour * 60 + local.minute
        if local.second or local.microsecond or minutes % self.granularity:
            return False
        if instant_at(local.date(), local.time(), self.tz) != slot:
            return False
        return any(
            self.fits_interval(slot, local, opens, closes)
            for opens, closes in self.hours.intervals_on(local.date())
        )

    def fits_interval(self, slot: datetime, local: datetime, opens: time, closes: time) -> bool:
        """Whether the visit starting at `slot` (read `local` on clocks) lies within `opens`–`closes` that day."""
        local_end = wall_clock(slot + self.duration, self.tz)
        return (
            datetime.combine(local.date(), opens) <= local
            and local_end.date() == local.date()
            and local_end.time() <= closes
        )

    def has_room(self, slot: datetime) -> bool:
        if self.technicians:
            return self.technician_for(slot) is not None
        slot_end = slot + self.duration
        changes: list[tuple[datetime, int]] = []
        for busy in self.booked:
            if busy.start < slot_end and busy.end > slot:
                changes.append((max(busy.start, slot), busy.places))
                changes.append((min(busy.end, slot_end), -busy.places))
        # At equal instants an ending appointment frees its place before a starting one takes it.
        changes.sort()
        overlapping = 0
        for _, change in changes:
            overlapping += change
            if overlapping >= self.capacity:
                return False
        return True

    def technician_for(self, slot: datetime) -> str | None:
        """The first listed technician free for the whole visit with the unassigned entries still covered."""
        slot_end = slot + self.duration
        overlapping = [b for b in self.booked if b.start < slot_end and b.end > slot]
        unassigned = [b for b in overlapping if not b.technician_ids]
        # The instants where what is busy changes, within the visit: check each piece between them.
        cuts = sorted(
            {
                slot,
                slot_end,
                *(max(b.start, slot) for b in overlapping),
                *(min(b.end, slot_end) for b in overlapping),
            }
        )
        pieces = list(pairwise(cuts))
        for candidate in self.technicians:
            if any(candidate in b.technician_ids for b in overlapping):
                continue
            others = [t for t in self.technicians if t != candidate]
            if all(
                sum(
                    1
                    for t in others
                    if not any(
                        t in b.technician_ids and b.start < ends and b.end > starts for b in overlapping
                    )
                )
                >= sum(1 for b in unassigned if b.start < ends and b.end > starts)
                for starts, ends in pieces
            ):
                return candidate
        return None

    @property
    def earliest(self) -> datetime:
        return self.now + self.min_lead

    def admits(self, slot: datetime) -> bool:
        return slot >= self.earliest and self.fits_hours(slot) and self.has_room(slot)


def _rule(
    *,
    hours: BusinessHours,
    time_zone: str,
    capacity: int,
    min_lead: timedelta,
    granularity_minutes: int,
    duration: timedelta,
    booked: Sequence[Booked | Busy],
    now: datetime,
    technicians: Sequence[str] = (),
) -> _Rule:
    if not isinstance(hours, BusinessHours):
        raise InvalidValue(f"hours must be BusinessHours, not {type(hours).__name__}")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise InvalidValue(f"capacity must be a whole number from 1, not {capacity!r}")
    if not isinstance(min_lead, timedelta) or min_lead < timedelta(0):
        raise InvalidValue(f"min_lead must be a non-negative duration, not {min_lead!r}")
    granularity = granularity_minutes
    if isinstance(granularity, bool) or not isinstance(granularity, int) or not 1 <= granularity <= 24 * 60:
        raise InvalidValue(f"granularity_minutes must be a whole number from 1 to 1440, not {granularity!r}")
    if not isinstance(duration, timedelta) or duration <= timedelta(0):
        raise InvalidValue(f"duration must be a positive duration, not {duration!r}")
    intervals: list[Busy] = []
    for position, entry in enumerate(booked):
        busy = entry if isinstance(entry, Busy) else Busy(entry[0], entry[1])
        starts = require_instant(busy.start, f"booked[{position}] start")
        ends = require_instant(busy.end, f"booked[{position}] end")
        if not starts < ends:
            raise InvalidValue(f"booked[{position}] must start before it ends")
        intervals.append(Busy(starts, ends, frozenset(busy.technician_ids)))
    listed = tuple(dict.fromkeys(technicians))
    if any(not isinstance(t, str) or not t for t in listed):
        raise InvalidValue(f"technicians must be non-empty ids, not {list(technicians)!r}")
    return _Rule(
        hours,
        zone(time_zone),
        capacity,
        min_lead,
        granularity,
        duration,
        tuple(intervals),
        require_instant(now, "now"),
        listed,
    )


def free_slots(
    *,
    hours: BusinessHours,
    time_zone: str,
    capacity: int,
    min_lead: timedelta,
    granularity_minutes: int,
    duration: timedelta,
    booked: Sequence[Booked | Busy],
    start: datetime,
    end: datetime,
    now: datetime,
    technicians: Sequence[str] = (),
) -> list[datetime]:
    """Every slot (UTC start instant) in [start, end) for an appointment lasting `duration`, in order."""
    rule = _rule(
        hours=hours,
        time_zone=time_zone,
        capacity=capacity,
        min_lead=min_lead,
        granularity_minutes=granularity_minutes,
        duration=duration,
        booked=booked,
        now=now,
        technicians=technicians,
    )
    start = require_instant(start, "start")
    end = require_instant(end, "end")
    if not start < end:
        raise InvalidValue(f"the range must start before it ends: {start.isoformat()} to {end.isoformat()}")
    if end - start > MAX_RANGE:
        raise InvalidValue(f"the range may span at most {MAX_RANGE.days} days")
    step = timedelta(minutes=rule.granularity)
    slots: list[datetime] = []
    earliest = max(start, rule.earliest)
    day = wall_clock(earliest, rule.tz).date()
    last_day = wall_clock(end, rule.tz).date()
    while day <= last_day:
        midnight = datetime.combine(day, time(0))
        for opens, closes in hours.intervals_on(day):
            # The first grid point at or after opening (grid counted from local midnight).
            open_minutes = opens.hour * 60 + opens.minute + (1 if opens.second or opens.microsecond else 0)
            local = midnight + timedelta(minutes=-(-open_minutes // rule.granularity) * rule.granularity)
            while local.date() == day and local.time() < closes:
                slot = instant_at(day, local.time(), rule.tz)
                if (
                    slot is not None
                    and earliest <= slot < end
                    and rule.fits_interval(slot, local, opens, closes)
                    and rule.has_room(slot)
                ):
                    slots.append(slot)
                local += step
        day += timedelta(days=1)
    return sorted(set(slots))


def is_slot_free(
    *,
    hours: BusinessHours,
    time_zone: str,
    capacity: int,
    min_lead: timedelta,
    granularity_minutes: int,
    duration: timedelta,
    booked: Sequence[Booked | Busy],
    slot: datetime,
    now: datetime,
    technicians: Sequence[str] = (),
) -> bool:
    """Whether an appointment lasting `duration` may start at `slot` (the rule of `free_slots`)."""
    rule = _rule(
        hours=hours,
        time_zone=time_zone,
        capacity=capacity,
        min_lead=min_lead,
        granularity_minutes=granularity_minutes,
        duration=duration,
        booked=booked,
        now=now,
        technicians=technicians,
    )
    return rule.admits(require_instant(slot, "slot"))


def technician_for(
    *,
    duration: timedelta,
    booked: Sequence[Booked | Busy],
    slot: datetime,
    technicians: Sequence[str],
) -> str | None:
    """Which listed technician takes a visit of `duration` at `slot` (the first free one), or None.

    Only the calendar part of the rule: call it for a slot `is_slot_free` admitted."""
    rule = _rule(
        hours=BusinessHours(weekly={}),
        time_zone="UTC",
        capacity=1,
        min_lead=timedelta(0),
        granularity_minutes=1,
        duration=duration,
        booked=booked,
        now=slot,
        technicians=technicians,
    )
    return rule.technician_for(require_instant(slot, "slot")) if rule.technicians else None
