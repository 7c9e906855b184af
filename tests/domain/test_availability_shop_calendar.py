"""The availability rule with the shop's own calendar: places taken per technician, and bookable technicians."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadorch.domain.availability import Busy, free_slots, is_slot_free, technician_for
from leadorch.domain.errors import InvalidValue
from leadorch.domain.location import BusinessHours

LA = ZoneInfo("America/Los_Angeles")
HOURS = BusinessHours(weekly={day: ((time(9), time(18)),) for day in range(1, 6)})
TUESDAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)


def la(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(TUESDAY, time(hour, minute), tzinfo=LA).astimezone(UTC)


def busy(start: int, end: int, *technicians: str) -> Busy:
    return Busy(la(start), la(end), frozenset(technicians))


def starts(*, booked: list[Busy], capacity: int = 1, technicians: tuple[str, ...] = ()) -> list[int]:
    found = free_slots(
        hours=HOURS,
        time_zone="America/Los_Angeles",
        capacity=capacity,
        min_lead=timedelta(0),
        granularity_minutes=60,
        duration=HOUR,
        booked=booked,
        start=la(0),
        end=la(23),
        now=NOW,
        technicians=technicians,
    )
    return [slot.astimezone(LA).hour for slot in found]


def test_without_technicians_an_entry_takes_a_place_per_technician_and_at_least_one() -> None:
    lunch_for_two = busy(12, 13, "mina", "gus")
    walk_in = busy(14, 15)
    phone_booking = busy(9, 10, "mina")

    free = starts(booked=[lunch_for_two, walk_in, phone_booking], capacity=2)

    assert 12 not in free  # both technicians at lunch: both places gone
    assert {9, 14} <= set(free)  # one place left beside the phone booking and the unassigned walk-in


def test_with_technicians_a_slot_is_free_when_one_of_them_is_free_for_the_whole_visit() -> None:
    booked = [busy(9, 11, "mina"), busy(10, 12, "gus"), busy(12, 13, "mina", "gus")]

    free = starts(booked=booked, technicians=("mina", "gus"))

    assert free == [9, 11, 13, 14, 15, 16, 17]  # 10: both busy; 12: lunch for both
    assert technician_for(duration=HOUR, booked=booked, slot=la(9), technicians=("mina", "gus")) == "gus"
    assert technician_for(duration=HOUR, booked=booked, slot=la(11), technicians=("mina", "gus")) == "mina"
    assert technician_for(duration=HOUR, booked=booked, slot=la(14), technicians=("mina", "gus")) == "mina"


def test_an_unassigned_appointment_still_needs_one_of_the_technicians() -> None:
    booked = [busy(9, 10, "mina"), busy(9, 10)]  # a walk-in nobody is assigned to yet

    assert 9 not in starts(booked=booked, technicians=("mina", "gus"))
    assert 9 in starts(booked=booked, technicians=("mina", "gus", "lee"))


def test_an_entry_for_someone_not_listed_takes_none_of_the_listed_technicians() -> None:
    booked = [busy(9, 10, "former-employee")]

    assert technician_for(duration=HOUR, booked=booked, slot=la(9), technicians=("mina",)) == "mina"
    assert is_slot_free(
        hours=HOURS, time_zone="America/Los_Angeles", capacity=1, min_lead=timedelta(0),
        granularity_minutes=60, duration=HOUR, booked=booked, slot=la(9), now=NOW, technicians=("mina",),
    )  # fmt: skip


def test_plain_intervals_still_count_as_one_place_each() -> None:
    assert 9 not in starts(booked=[Busy(la(9), la(10))])
    assert starts(booked=[], capacity=1) == list(range(9, 18))


def test_blank_technician_ids_are_refused() -> None:
    with pytest.raises(InvalidValue, match="technicians"):
        starts(booked=[], technicians=("",))
