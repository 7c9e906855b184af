"""The cadence as the business states it: 13 touches over 30 days, inside the sending window, one a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadorch.domain.cadence import (
    DEFAULT_PLAN,
    DEFAULT_WINDOW,
    PlannedTouch,
    SendingWindow,
    TouchPlan,
)
from leadorch.domain.errors import InvalidValue
from leadorch.domain.sending_terms import SendingTerms
from leadorch.domain.touch_timing import due_time
from leadorch.domain.values import Channel

LA = "America/Los_Angeles"
NY = "America/New_York"
BOTH = frozenset({Channel.EMAIL, Channel.SMS})


def local(moment: datetime, tz_name: str = LA) -> datetime:
    return moment.astimezone(ZoneInfo(tz_name))


def at_local(year: int, month: int, day: int, hour: int, minute: int = 0, tz_name: str = LA) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def terms(window: SendingWindow = DEFAULT_WINDOW, tz_name: str = LA) -> SendingTerms:
    """The terms of a location whose recipients' numbers tell us nothing (the federal hours, local zone)."""
    return SendingTerms(window, tz_name)


def next_allowed_moment(candidate: datetime, window: SendingWindow, tz_name: str) -> datetime:
    return terms(window, tz_name).next_allowed(candidate)


def all_due_times(
    anchor: datetime, window: SendingWindow = DEFAULT_WINDOW, tz_name: str = LA
) -> list[datetime]:
    """Due times of every touch, each sent exactly when due."""
    due: list[datetime] = []
    previous = None
    for touch in DEFAULT_PLAN.touches:
        moment = due_time(touch, anchor, previous, terms(window, tz_name))
        due.append(moment)
        previous = local(moment, tz_name).date()
    return due


def test_the_default_plan_is_13_touches_on_the_agreed_days() -> None:
    assert len(DEFAULT_PLAN) == 13
    assert [t.day for t in DEFAULT_PLAN.touches] == [0, 1, 3, 5, 7, 10, 13, 16, 19, 22, 25, 27, 30]
    assert DEFAULT_PLAN.touch(1).channels == BOTH
    assert DEFAULT_PLAN.touch(13).channels == BOTH
    assert DEFAULT_PLAN.touch(2).channels == {Channel.EMAIL}
    assert DEFAULT_PLAN.touch(3).channels == {Channel.SMS}


def test_a_lead_arriving_on_a_tuesday_morning_gets_its_13_due_dates() -> None:
    anchor = at_local(2025, 6, 10, 10, 30)  # Tuesday 10:30 in Los Angeles
    due = [local(moment) for moment in all_due_times(anchor)]
    assert due[0] == local(anchor), "touch 1 goes out as soon as the lead arrives"
    assert [(d.date() - date(2025, 6, 10)).days for d in due] == [
        0,
        1,
        3,
        5,
        7,
        10,
        13,
        16,
        19,
        22,
        25,
        27,
        30,
    ]
    assert all(d.time() == time(10, 30) for d in due[1:]), "later touches keep the arrival's time of day"


def test_a_lead_at_23_00_local_gets_touch_1_at_the_windows_opening() -> None:
    anchor = at_local(2025, 6, 10, 23, 0)
    first = local(due_time(DEFAULT_PLAN.touch(1), anchor, None, terms(DEFAULT_WINDOW)))
    assert (first.date(), first.time()) == (date(2025, 6, 11), time(9, 0))


def test_a_late_arrivals_later_touches_are_planned_half_an_hour_before_closing_and_never_share_a_day() -> (
    None
):
    anchor = at_local(2025, 6, 10, 23, 0)
    due = [local(moment) for moment in all_due_times(anchor)]
    assert due[1].date() == date(2025, 6, 12), "day 1 is the day touch 1 went out, so touch 2 waits a day"
    assert all(d.time() == time(19, 30) for d in due[1:]), (
        "not at the window's last second: a tick can meet it"
    )
    assert len({d.date() for d in due}) == 13


def test_a_lead_at_06_00_gets_touch_1_at_opening_the_same_day() -> None:
    anchor = at_local(2025, 6, 10, 6, 0)
    first = local(due_time(DEFAULT_PLAN.touch(1), anchor, None, terms(DEFAULT_WINDOW)))
    assert (first.date(), first.time()) == (date(2025, 6, 10), time(9, 0))
    second = local(due_time(DEFAULT_PLAN.touch(2), anchor, first.date(), terms(DEFAULT_WINDOW)))
    assert (second.date(), second.time()) == (date(2025, 6, 11), time(9, 0))


def test_closed_weekdays_move_a_touch_to_the_next_open_day_at_the_arrivals_time() -> None:
    weekdays = SendingWindow(time(9), time(18), frozenset({1, 2, 3, 4, 5}))
    anchor = at_local(2025, 6, 13, 12, 0)  # Friday noon
    touch2 = local(due_time(DEFAULT_PLAN.touch(2), anchor, date(2025, 6, 13), terms(weekdays)))
    assert (touch2.date(), touch2.time()) == (date(2025, 6, 16), time(12, 0)), "Saturday → Monday noon"


def test_a_touch_never_lands_on_or_before_the_previous_touchs_day() -> None:
    anchor = at_local(2025, 6, 10, 12, 0)
    touch3 = local(due_time(DEFAULT_PLAN.touch(3), anchor, date(2025, 6, 15), terms(DEFAULT_WINDOW)))
    assert touch3.date() == date(2025, 6, 16)


def test_shifted_and_floored_due_times_after_a_pause() -> None:
    anchor = at_local(2025, 6, 10, 12, 0)
    shifted = local(
        due_time(DEFAULT_PLAN.touch(3), anchor, date(2025, 6, 11), terms(DEFAULT_WINDOW), shift_days=4)
    )
    assert shifted.date() == date(2025, 6, 17)
    floor = at_local(2025, 6, 20, 15, 0)
    floored = due_time(
        DEFAULT_PLAN.touch(3), anchor, date(2025, 6, 11), terms(DEFAULT_WINDOW), not_before=floor
    )
    assert floored == floor


@pytest.mark.parametrize(
    ("tz_name", "spring", "autumn"),
    [(LA, date(2025, 3, 9), date(2025, 11, 2)), (NY, date(2025, 3, 9), date(2025, 11, 2))],
)
def test_due_times_across_dst_changes_read_inside_the_window_on_local_clocks(
    tz_name: str, spring: date, autumn: date
) -> None:
    for change in (spring, autumn):
        for hours_before in range(0, 72, 5):
            anchor = datetime.combine(change, time(2), tzinfo=ZoneInfo(tz_name)).astimezone(UTC)
            anchor -= timedelta(hours=hours_before)
            for moment in all_due_times(anchor, tz_name=tz_name):
                assert DEFAULT_WINDOW.admits(moment, tz_name), (anchor, moment)


def test_next_allowed_moment_keeps_a_moment_already_inside() -> None:
    inside = at_local(2025, 6, 10, 12, 0)
    assert next_allowed_moment(inside, DEFAULT_WINDOW, LA) == inside
    after_close = at_local(2025, 6, 10, 20, 0) + timedelta(seconds=1)
    assert local(next_allowed_moment(after_close, DEFAULT_WINDOW, LA)).time() == time(9, 0)


def test_sending_windows_outside_legal_calling_hours_are_refused() -> None:
    with pytest.raises(InvalidValue, match="outside the allowed calling hours 08:00–21:00"):
        SendingWindow(time(7, 30), time(20, 0))
    with pytest.raises(InvalidValue, match="outside the allowed calling hours"):
        SendingWindow(time(9, 0), time(21, 30))
    with pytest.raises(InvalidValue, match="start before it ends"):
        SendingWindow(time(18, 0), time(9, 0))
    with pytest.raises(InvalidValue, match="0 \\(Sunday\\) to 6"):
        SendingWindow(days=frozenset({7}))
    with pytest.raises(InvalidValue, match="at least one day"):
        SendingWindow(days=frozenset())


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidValue, match="timezone-aware"):
        next_allowed_moment(datetime(2025, 6, 10, 12), DEFAULT_WINDOW, LA)
    with pytest.raises(InvalidValue, match="unknown time zone 'Mars/Olympus'"):
        next_allowed_moment(datetime(2025, 6, 10, 12, tzinfo=UTC), DEFAULT_WINDOW, "Mars/Olympus")


def test_plans_validate_their_shape() -> None:
    with pytest.raises(InvalidValue, match="at least one touch"):
        TouchPlan(())
    with pytest.raises(InvalidValue, match="strictly increase"):
        TouchPlan.of([(0, ["email"]), (0, ["sms"])])
    with pytest.raises(InvalidValue, match="at least one channel"):
        PlannedTouch(1, 0, frozenset())
    with pytest.raises(InvalidValue, match="numbered 1, 2, 3"):
        TouchPlan((PlannedTouch(2, 0, BOTH),))
    with pytest.raises(InvalidValue, match="'pigeon'"):
        TouchPlan.of([(0, ["pigeon"])])


def test_plans_and_windows_round_trip_through_plain_data() -> None:
    assert TouchPlan.from_data(DEFAULT_PLAN.to_data()) == DEFAULT_PLAN
    window = SendingWindow(time(10), time(19, 30), frozenset({1, 2, 3}))
    assert SendingWindow.from_data(window.to_data()) == window
    assert window.to_data() == {"start": "10:00:00", "end": "19:30:00", "days": [1, 2, 3]}
    with pytest.raises(InvalidValue, match="'end' is missing"):
        SendingWindow.from_data({"start": "09:00", "days": [1]})
