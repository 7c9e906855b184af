"""Opening hours and the availability rule: grid, hours, lead time, capacity, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadorch.domain.availability import ServiceLine, free_slots, is_slot_free
from leadorch.domain.errors import InvalidValue
from leadorch.domain.location import BusinessHours

LA = ZoneInfo("America/Los_Angeles")
# Monday to Friday 08:00–12:00 and 13:00–17:00; Saturday 09:00–13:00; closed Sunday.
HOURS = BusinessHours(
    weekly={
        **{day: ((time(8), time(12)), (time(13), time(17))) for day in range(1, 6)},
        6: ((time(9), time(13)),),
    },
    exceptions={date(2025, 7, 4): ()},
)
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def la(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LA).astimezone(UTC)


def slots_on(
    day: date,
    *,
    duration: timedelta = timedelta(hours=1),
    booked: list[tuple[datetime, datetime]] | None = None,
    capacity: int = 1,
    now: datetime = NOW,
    min_lead: timedelta = timedelta(hours=2),
    hours: BusinessHours = HOURS,
) -> list[time]:
    found = free_slots(
        hours=hours,
        time_zone="America/Los_Angeles",
        capacity=capacity,
        min_lead=min_lead,
        granularity_minutes=30,
        duration=duration,
        booked=booked or [],
        start=la(day, 0),
        end=la(day + timedelta(days=1), 0),
        now=now,
    )
    return [slot.astimezone(LA).time() for slot in found]


def test_hours_know_closed_days_split_days_and_exceptions() -> None:
    assert HOURS.intervals_on(date(2025, 6, 9)) == ((time(8), time(12)), (time(13), time(17)))  # Monday
    assert HOURS.intervals_on(date(2025, 6, 8)) == ()  # Sunday
    assert HOURS.intervals_on(date(2025, 7, 4)) == ()  # closed for the holiday
    assert BusinessHours.from_data(HOURS.to_data()) == HOURS


def test_malformed_hours_are_named() -> None:
    with pytest.raises(InvalidValue, match="day 7 must count from 0"):
        BusinessHours(weekly={7: ((time(8), time(12)),)})
    with pytest.raises(InvalidValue, match="must open before it closes"):
        BusinessHours(weekly={1: ((time(12), time(8)),)})
    with pytest.raises(InvalidValue, match="overlap at 11:00"):
        BusinessHours(weekly={1: ((time(8), time(12)), (time(11), time(14)))})
    with pytest.raises(InvalidValue, match="'noon' is not a time of day"):
        BusinessHours.from_data({"weekly": {"1": [["08:00", "noon"]]}})


def test_a_whole_appointment_must_fit_inside_one_interval() -> None:
    two_hours = slots_on(date(2025, 6, 9), duration=timedelta(hours=2))
    morning = [time(8), time(8, 30), time(9), time(9, 30), time(10)]
    afternoon = [time(13), time(13, 30), time(14), time(14, 30), time(15)]
    assert two_hours == [*morning, *afternoon]
    assert time(11) not in two_hours, "11:00–13:00 would span the lunch break"


def test_closed_days_offer_nothing() -> None:
    assert slots_on(date(2025, 6, 8)) == []
    assert slots_on(date(2025, 7, 4)) == []


def test_slots_respect_the_minimum_lead_time() -> None:
    now = la(date(2025, 6, 9), 9, 10)
    assert slots_on(date(2025, 6, 9), now=now, min_lead=timedelta(hours=1))[0] == time(10, 30)
    assert slots_on(date(2025, 6, 9), now=now)[0] == time(13), "11:30 is late enough but would overrun noon"


def test_capacity_counts_overlapping_confirmed_appointments() -> None:
    day = date(2025, 6, 9)
    booked = [(la(day, 9), la(day, 10, 30))]
    one_bay = slots_on(day, booked=booked)
    assert time(8) in one_bay, "an appointment may end the moment another starts"
    assert time(8, 30) not in one_bay and time(9, 30) not in one_bay and time(10) not in one_bay
    assert time(10, 30) in one_bay, "an appointment may start the moment another ends"
    two_bays = slots_on(day, booked=booked, capacity=2)
    assert time(9) in two_bays
    assert time(9) not in slots_on(day, booked=booked * 2, capacity=2)


def test_is_slot_free_applies_the_same_rule_to_one_slot() -> None:
    day = date(2025, 6, 9)
    rule = {
        "hours": HOURS,
        "time_zone": "America/Los_Angeles",
        "capacity": 1,
        "min_lead": timedelta(hours=2),
        "granularity_minutes": 30,
        "duration": timedelta(hours=1),
        "booked": [(la(day, 9), la(day, 10))],
        "now": NOW,
    }
    assert is_slot_free(slot=la(day, 10), **rule)  # type: ignore[arg-type]
    assert not is_slot_free(slot=la(day, 9, 30), **rule)  # type: ignore[arg-type]
    assert not is_slot_free(slot=la(day, 10, 15), **rule), "off the 30-minute grid"  # type: ignore[arg-type]
    assert not is_slot_free(slot=la(day, 16, 30), **rule), "would run past closing"  # type: ignore[arg-type]
    assert not is_slot_free(slot=la(day, 18), **rule), "after hours"  # type: ignore[arg-type]


def test_a_night_shift_across_spring_forward_never_offers_a_skipped_time() -> None:
    night = BusinessHours(weekly={0: ((time(0), time(6)),)})
    offered = slots_on(
        date(2025, 3, 9), hours=night, duration=timedelta(minutes=30), now=datetime(2025, 1, 1, tzinfo=UTC)
    )
    assert time(2) not in offered and time(2, 30) not in offered
    assert time(1, 30) in offered and time(3) in offered


def test_service_lines_and_ranges_are_validated() -> None:
    assert ServiceLine("tint", "Full tint", 90, 29900).duration == timedelta(minutes=90)
    with pytest.raises(InvalidValue, match="duration_minutes must be a positive"):
        ServiceLine("tint", "Full tint", 0, 100)
    with pytest.raises(InvalidValue, match="capacity must be a whole number from 1"):
        slots_on(date(2025, 6, 9), capacity=0)
    with pytest.raises(InvalidValue, match="at most 366 days"):
        free_slots(
            hours=HOURS,
            time_zone="America/Los_Angeles",
            capacity=1,
            min_lead=timedelta(0),
            granularity_minutes=30,
            duration=timedelta(hours=1),
            booked=[],
            start=NOW,
            end=NOW + timedelta(days=400),
            now=NOW,
        )
