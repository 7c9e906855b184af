"""Properties of due times: always inside the sending window on local clocks (across DST), one touch a day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from leadorch.domain.cadence import SendingWindow, TouchPlan, due_time, next_allowed_moment
from tests.domain.strategies import instants_around_dst, local, sending_windows, touch_plans, zone_names


@given(instants_around_dst(), sending_windows(), zone_names())
def test_the_next_allowed_moment_is_inside_the_window_and_not_earlier(
    candidate: datetime, window: SendingWindow, tz_name: str
) -> None:
    moment = next_allowed_moment(candidate, window, tz_name)
    assert moment >= candidate
    assert window.admits(moment, tz_name)
    assert moment - candidate <= timedelta(days=8)
    if window.admits(candidate, tz_name):
        assert moment == candidate


@given(
    instants_around_dst(),
    sending_windows(),
    zone_names(),
    touch_plans(),
    st.lists(st.integers(0, 3 * 24 * 60)),
)
def test_every_touch_is_due_inside_the_window_on_a_later_local_day(
    anchor: datetime, window: SendingWindow, tz_name: str, plan: TouchPlan, delays: list[int]
) -> None:
    previous: date | None = None
    sent_at: datetime | None = None
    for position, touch in enumerate(plan.touches):
        due = due_time(touch, anchor, previous, window, tz_name)
        assert window.admits(due, tz_name), (touch.number, local(due, tz_name))
        assert due >= anchor
        if previous is not None:
            assert local(due, tz_name).date() > previous
        if touch.day == 0:
            assert due == next_allowed_moment(anchor, window, tz_name)
        else:
            assert local(due, tz_name).date() >= local(anchor, tz_name).date() + timedelta(days=touch.day)
        # The touch may go out later than due (a busy worker); the next one counts from when it went out.
        delay = timedelta(minutes=delays[position] if position < len(delays) else 0)
        sent_at = next_allowed_moment(due + delay, window, tz_name)
        previous = local(sent_at, tz_name).date()


@given(instants_around_dst(), sending_windows(), zone_names(), touch_plans(), instants_around_dst())
def test_a_floor_and_a_shift_still_give_a_moment_inside_the_window(
    anchor: datetime, window: SendingWindow, tz_name: str, plan: TouchPlan, floor: datetime
) -> None:
    touch = plan.touches[-1]
    due = due_time(touch, anchor, None, window, tz_name, shift_days=3, not_before=floor)
    assert due >= floor
    assert window.admits(due, tz_name)
