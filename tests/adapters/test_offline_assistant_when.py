"""How the offline assistant reads dates and times, one customer phrase per row.

Today is Wednesday 25 November 2026 in every row unless the row says otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from leadorch.adapters.offline_assistant.when import Calendar, When, read_when

WEDNESDAY = Calendar(today=date(2026, 11, 25), zone=None)
NO_TODAY = Calendar(today=None, zone=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("anything tomorrow?", When(day=date(2026, 11, 26))),
        ("the day after tomorrow", When(day=date(2026, 11, 27))),
        ("today please", When(day=date(2026, 11, 25))),
        ("Friday?", When(day=date(2026, 11, 27))),
        ("fri", When(day=date(2026, 11, 27))),
        ("Wednesday", When(day=date(2026, 11, 25))),  # today is a Wednesday
        ("next Wednesday", When(day=date(2026, 12, 2))),
        ("next week", When(span=(date(2026, 11, 30), date(2026, 12, 7)))),
        ("this weekend", When(span=(date(2026, 11, 28), date(2026, 11, 30)))),
        ("sometime this week", When(span=(date(2026, 11, 25), date(2026, 11, 30)))),
        ("Dec 3", When(day=date(2026, 12, 3))),
        ("november 20th", When(day=date(2026, 11, 20))),  # within the last month: this year
        ("jan 5", When(day=date(2027, 1, 5))),  # long past this year: next year's
        ("12/1", When(day=date(2026, 12, 1))),
        ("2026-12-04", When(day=date(2026, 12, 4))),
        ("2026-02-30", When()),  # no such day
        ("Friday at 10am", When(day=date(2026, 11, 27), clock=time(10))),
        ("tomorrow 2:30 pm", When(day=date(2026, 11, 26), clock=time(14, 30))),
        ("at 3", When(clock=time(15))),  # "at 3" during shop hours is the afternoon
        ("at 9", When(clock=time(9))),
        ("13:45", When(clock=time(13, 45))),
        ("noon", When(clock=time(12))),
        ("13pm", When()),  # not a time
        ("Saturday morning", When(day=date(2026, 11, 28), part_of_day=(0, 12))),
        ("any afternoon", When(part_of_day=(12, 17))),
        ("the second one", When(ordinal=1)),
        ("I'll take the last one", When(ordinal=-1)),
        ("option 3", When(ordinal=2)),
        ("20% off", When()),
    ],
)
def test_a_phrase_names_these_days_and_times(text: str, expected: When) -> None:
    assert read_when(text, WEDNESDAY) == expected


def test_an_iso_instant_is_a_day_and_a_start_written_with_seconds() -> None:
    when = read_when("book 2026-11-27T10:00-08:00", WEDNESDAY)

    assert when == When(day=date(2026, 11, 27), instant="2026-11-27T10:00:00-08:00")
    assert when.names_a_time and when.names_a_day


@pytest.mark.parametrize("text", ["tomorrow", "Friday", "next week", "Dec 3"])
def test_without_todays_date_relative_words_name_no_day(text: str) -> None:
    assert not read_when(text, NO_TODAY).names_a_day


@pytest.mark.parametrize(
    ("dynamic", "today", "offset"),
    [
        ("Today: 2026-11-25 (Wednesday)\nCustomer: Dana", date(2026, 11, 25), None),  # no zone named
        ("Now: 2026-11-25T09:30:00-08:00", date(2026, 11, 25), timedelta(hours=-8)),
        (
            "Now: 2026-11-25T23:30:00Z\nTime zone: America/Los_Angeles",
            date(2026, 11, 25),
            timedelta(hours=-8),
        ),
        ("Now: not a time\ntime zone: Nowhere/Atlantis", None, None),
        ("Customer: Dana", None, None),
    ],
)
def test_the_calendar_is_read_from_the_prompts_dynamic_lines(
    dynamic: str, today: date | None, offset: timedelta | None
) -> None:
    calendar = Calendar.read(dynamic)

    assert calendar.today == today
    if offset is None:
        assert calendar.zone is None
    else:
        assert datetime(2026, 11, 25, 12, tzinfo=calendar.zone).utcoffset() == offset


def test_midnight_carries_the_shops_offset() -> None:
    calendar = Calendar(today=date(2026, 11, 25), zone=timezone(timedelta(hours=-8)))

    assert calendar.midnight(date(2026, 11, 30)) == "2026-11-30T00:00:00-08:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("before friday", When(before_day=date(2026, 11, 27))),
        ("after tuesday", When(after_day=date(2026, 12, 1))),
        ("by friday", When(before_day=date(2026, 11, 28))),  # Friday included
        ("wednesday next week", When(day=date(2026, 12, 2))),  # that Wednesday, not the Monday
        ("next week wednesday", When(day=date(2026, 12, 2))),
        ("next tue after 3", When(day=date(2026, 12, 1), after_clock=time(15))),
        ("friday before noon", When(day=date(2026, 11, 27), before_clock=time(12))),
        ("after 4:30pm", When(after_clock=time(16, 30))),
        ("around 2 tomorrow", When(day=date(2026, 11, 26), clock=time(14))),
        ("sat 10 works", When(day=date(2026, 11, 28), clock=time(10))),
        ("2", When(ordinal=1)),  # a number picks from a numbered list
    ],
)
def test_bounds_and_bare_hours_are_read_as_customers_mean_them(text: str, expected: When) -> None:
    assert read_when(text, WEDNESDAY) == expected
