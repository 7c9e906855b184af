"""Local wall-clock readings across DST: skipped times move to the change, repeated times take the first."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from leadorch.domain.errors import InvalidValue
from leadorch.domain.instants import first_instant_at_or_after, instant_at, require_instant, sunday_index

LA = ZoneInfo("America/Los_Angeles")


def test_a_reading_skipped_by_spring_forward_has_no_instant() -> None:
    assert instant_at(date(2025, 3, 9), time(2, 30), LA) is None


def test_a_skipped_reading_moves_to_the_moment_clocks_jump() -> None:
    moment = first_instant_at_or_after(date(2025, 3, 9), time(2, 30), LA)
    assert moment == datetime(2025, 3, 9, 10, 0, tzinfo=UTC)
    assert moment.astimezone(LA).time() == time(3, 0)


def test_a_reading_repeated_by_fall_back_takes_the_earlier_instant() -> None:
    moment = instant_at(date(2025, 11, 2), time(1, 30), LA)
    assert moment == datetime(2025, 11, 2, 8, 30, tzinfo=UTC)  # 01:30 PDT, not 01:30 PST an hour later


def test_an_ordinary_reading_round_trips() -> None:
    moment = instant_at(date(2025, 6, 10), time(9, 0), LA)
    assert moment is not None
    assert moment.astimezone(LA).replace(tzinfo=None) == datetime(2025, 6, 10, 9, 0)


def test_a_whole_skipped_day_moves_to_the_next_reading() -> None:
    # Samoa skipped 30 December 2011 when it crossed the date line.
    apia = ZoneInfo("Pacific/Apia")
    moment = first_instant_at_or_after(date(2011, 12, 30), time(9, 0), apia)
    assert moment.astimezone(apia).replace(tzinfo=None) == datetime(2011, 12, 31, 0, 0)


def test_instants_are_normalised_to_utc_and_naive_ones_refused() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert require_instant(datetime(2025, 1, 1, 7, tzinfo=eastern)) == datetime(2025, 1, 1, 12, tzinfo=UTC)
    with pytest.raises(InvalidValue, match="at must be timezone-aware"):
        require_instant(datetime(2025, 1, 1, 7))


def test_weekdays_count_from_sunday() -> None:
    assert sunday_index(date(2025, 6, 8)) == 0  # a Sunday
    assert sunday_index(date(2025, 6, 14)) == 6  # a Saturday
