"""find_slots answers the question asked: an exact time, a part of the day, days before or after a date.

The shop (tests/support/chat_world.py) opens Mon–Fri 09:00–18:00 and Sat 10:00–16:00 with two bays; it
is Wednesday 25 November 2026, 09:30 in San Diego, and the Premium package takes two hours. On
PostgreSQL, as the chat runs in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from typing import Any

import pytest
from tests.support.chat_tools import error_of, tools_for
from tests.support.chat_world import PREMIUM, ChatWorld
from tests.support.services import create_database, drop_database

FRIDAY = "2026-11-27"


@pytest.fixture(scope="module")
def shared_database_url(pg_admin_url: str) -> Iterator[str]:
    url = create_database(pg_admin_url)
    try:
        yield url
    finally:
        drop_database(pg_admin_url, url)


def find(world: ChatWorld, **tool_input: Any) -> dict[str, Any]:
    result: dict[str, Any] = (
        tools_for(world).run("find_slots", {"service_ids": [PREMIUM], **tool_input}).result
    )
    return result


def starts(result: dict[str, Any]) -> list[datetime]:
    return [datetime.fromisoformat(slot["start"]) for slot in result["slots"]]


def book_for_someone_else(world: ChatWorld, start: str) -> None:
    other = world.new_lead(first_name="Sam", last_name="Diaz", email="sam@example.com", phone=None)
    booked = tools_for(world, other, said=("book it",)).run(
        "book_appointment", {"start": start, "service_ids": [PREMIUM]}
    )
    assert "appointment" in booked.result, booked.result


def test_an_exact_time_that_is_free_is_the_answer_and_can_be_booked(chat_world: ChatWorld) -> None:
    result = find(chat_world, date=FRIDAY, time="14:00")

    assert [slot["start"] for slot in result["slots"]] == ["2026-11-27T14:00:00-08:00"]
    assert result["requested_time"] == {"time": "2:00 PM PST", "free": True}
    booked = tools_for(chat_world, said=("the 2pm one please",)).run(
        "book_appointment", {"start": result["slots"][0]["start"], "service_ids": [PREMIUM]}
    )
    assert booked.result["appointment"]["start"] == "2026-11-27T14:00:00-08:00"


def test_a_taken_exact_time_says_why_and_offers_the_nearest_free_times(chat_world: ChatWorld) -> None:
    for _ in range(2):  # both bays
        book_for_someone_else(chat_world, "2026-11-27T14:00:00-08:00")

    result = find(chat_world, date=FRIDAY, time="14:00")

    assert result["requested_time"]["free"] is False
    assert result["requested_time"]["reason"].startswith("Fri Nov 27, 2:00 PM")
    nearest = [at.time() for at in starts(result)]
    assert time(14) not in nearest
    assert {time(11, 30), time(16)} <= set(nearest)  # just before the two bookings, and just after
    assert nearest == sorted(nearest)


def test_an_exact_time_the_shop_cannot_fit_says_so(chat_world: ChatWorld) -> None:
    result = find(chat_world, date=FRIDAY, time="17:00")

    assert result["requested_time"]["free"] is False
    assert "not open for the whole 2 hours" in result["requested_time"]["reason"]
    assert time(16) in [at.time() for at in starts(result)]


def test_an_exact_time_over_several_days_lists_the_days_it_is_free(chat_world: ChatWorld) -> None:
    result = find(chat_world, time="10:00")

    days = [at.date().isoformat() for at in starts(result)]
    assert all(at.time() == time(10) for at in starts(result))
    assert days[:3] == ["2026-11-26", "2026-11-27", "2026-11-28"]  # Wednesday 10:00 is too soon


@pytest.mark.parametrize(
    ("part", "first", "last"),
    [("morning", time(9), time(11, 30)), ("afternoon", time(12), time(16, 30))],
)
def test_a_part_of_the_day_filters_before_the_times_to_show_are_chosen(
    chat_world: ChatWorld, part: str, first: time, last: time
) -> None:
    result = find(chat_world, date=FRIDAY, part_of_day=part)

    shown = [at.time() for at in starts(result)]
    assert len(shown) >= 3
    assert all(first <= at <= last for at in shown), shown


def test_no_evening_time_is_a_note_not_a_morning_offer(chat_world: ChatWorld) -> None:
    result = find(chat_world, date=FRIDAY, part_of_day="evening")

    assert result["slots"] == []
    assert result["note"].startswith("no openings at the times asked on Friday November 27")


def test_after_and_before_a_time_of_day(chat_world: ChatWorld) -> None:
    late = find(chat_world, date=FRIDAY, after_time="15:00")
    early = find(chat_world, date=FRIDAY, before_time="10:30")

    assert [at.time() for at in starts(late)] == [time(15), time(15, 30), time(16)]
    assert [at.time() for at in starts(early)] == [time(9), time(9, 30), time(10)]


def test_before_friday_means_the_days_before_friday(chat_world: ChatWorld) -> None:
    result = find(chat_world, before_date=FRIDAY)

    days = {at.date().isoformat() for at in starts(result)}
    assert days and days <= {"2026-11-25", "2026-11-26"}


def test_after_friday_starts_on_saturday(chat_world: ChatWorld) -> None:
    result = find(chat_world, after_date=FRIDAY)

    assert starts(result)[0].date().isoformat() == "2026-11-28"


def test_date_bounds_narrow_a_range(chat_world: ChatWorld) -> None:
    result = find(
        chat_world, **{"from": "2026-11-26T00:00:00-08:00", "to": "2026-12-05T00:00:00-08:00"},
        before_date="2026-11-28", after_date="2026-11-26",
    )  # fmt: skip

    assert {at.date().isoformat() for at in starts(result)} == {"2026-11-27"}


@pytest.mark.parametrize(
    ("tool_input", "reason"),
    [
        ({"time": "2pm"}, "Expected `str` matching regex"),
        ({"time": "14:00", "part_of_day": "morning"}, "time 14:00 is outside the part of the day"),
        ({"after_time": "15:00", "before_time": "11:00"}, "no time of day is in that window"),
        ({"part_of_day": "night"}, "Invalid enum value 'night' - at `$.part_of_day`"),
        ({"date": FRIDAY, "before_date": "2026-11-28"}, "give either a date or a from/to"),
        ({"after_date": "2026-11-27", "before_date": "2026-11-28"}, "no day is in that range"),
        ({"before_date": "2026-11-20"}, "that time has passed"),
    ],
)
def test_contradictory_or_malformed_bounds_are_errors_the_model_can_fix(
    chat_world: ChatWorld, tool_input: dict[str, Any], reason: str
) -> None:
    assert reason in error_of(find(chat_world, **tool_input))
