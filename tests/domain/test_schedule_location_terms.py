"""A running cadence follows its location's sending terms: a new window, a new zone, another location.

The location's window and zone are kept in the schedule (`Started`); when the operator edits them, or the
CRM moves the lead to another location, `change_location_terms` plans the next touch again by the new
terms, as a new phone number does (`change_recipient`).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from leadorch.domain.cadence import SendingWindow, TouchPlan
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.sending_rules import RecipientContext
from tests.domain.event_replay import rebuilt, state_of
from tests.domain.strategies import instants_around_dst, recipients, sending_windows, zone_names
from tests.support.leads import a_lead

LA, NY = ZoneInfo("America/Los_Angeles"), ZoneInfo("America/New_York")
TEXTS_ONLY = TouchPlan.of((day, ["sms"]) for day in (0, 1, 2, 3))
MORNINGS = SendingWindow(time(9), time(12))


def evening_lead(arrival: datetime, **changes: object) -> TouchPointSchedule:
    story = {"plan": TEXTS_ONLY, "at": arrival, "time_zone": "America/Los_Angeles", **changes}
    return a_lead(**story).arrived()[1]


def send_the_due_touch(schedule: TouchPointSchedule, now: datetime, claim: str) -> None:
    claimed = schedule.claim_next_touch(now=now, claim_id=claim)
    assert claimed is not None
    for channel in claimed.channels:
        schedule.record_sent(
            touch_number=claimed.touch_number, channel=channel, provider_message_id=claim, now=now
        )


def test_a_narrower_window_moves_the_next_touch_inside_it_on_its_planned_day() -> None:
    """Touch 2 of an evening lead is planned at 19:15; mornings only moves it to that day's morning."""
    arrival = datetime(2026, 6, 10, 19, 15, tzinfo=LA).astimezone(UTC)
    schedule = evening_lead(arrival)
    send_the_due_touch(schedule, arrival, "c1")
    planned = schedule.next_due_at
    assert planned is not None and planned.astimezone(LA) == datetime(2026, 6, 11, 19, 15, tzinfo=LA)

    schedule.change_location_terms(
        location_id="san-diego",
        window=MORNINGS,
        time_zone="America/Los_Angeles",
        reason="the operator changed the sending window",
        now=arrival + timedelta(hours=1),
    )

    moved = schedule.next_due_at
    assert moved is not None and moved.astimezone(LA).date() == planned.astimezone(LA).date()
    assert time(9) <= moved.astimezone(LA).time() <= time(11, 30), "30 minutes' margin before 12:00"
    changed = schedule.pending_events[-1]
    assert isinstance(changed, TouchPointSchedule.SendingTermsChanged)
    assert changed.next_due_at == moved and changed.reason == "the operator changed the sending window"
    assert schedule.window == MORNINGS and schedule.terms.window == MORNINGS
    assert state_of(rebuilt(schedule.pending_events, TouchPointSchedule)) == state_of(schedule)


def test_the_same_terms_or_a_cadence_that_is_over_records_no_change() -> None:
    arrival = datetime(2026, 6, 10, 12, tzinfo=LA).astimezone(UTC)
    schedule = evening_lead(arrival)
    count = len(schedule.pending_events)
    same = {"location_id": schedule.location_id, "window": schedule.window, "time_zone": schedule.time_zone}
    schedule.change_location_terms(**same, reason="read again", now=arrival)
    schedule.stop(reason="the customer answered", now=arrival)
    schedule.change_location_terms(
        location_id="san-diego", window=MORNINGS, time_zone="America/New_York", reason="late", now=arrival
    )
    assert [type(e).__name__ for e in schedule.pending_events[count:]] == ["Stopped"]
    assert schedule.window != MORNINGS and schedule.time_zone == "America/Los_Angeles"


def test_a_finished_cadence_keeps_the_terms_it_ran_by() -> None:
    arrival = datetime(2026, 6, 10, 12, tzinfo=LA).astimezone(UTC)
    schedule = evening_lead(arrival, plan=TouchPlan.of([(0, ["sms"])]))
    send_the_due_touch(schedule, arrival, "c1")
    assert schedule.is_finished
    count = len(schedule.pending_events)
    schedule.change_location_terms(
        location_id="san-diego", window=MORNINGS, time_zone="America/Los_Angeles", reason="x", now=arrival
    )
    assert len(schedule.pending_events) == count and schedule.window != MORNINGS


def test_a_touch_in_flight_keeps_its_claim_and_the_next_one_follows_the_new_window() -> None:
    arrival = datetime(2026, 6, 10, 19, 15, tzinfo=LA).astimezone(UTC)
    schedule = evening_lead(arrival)
    claimed = schedule.claim_next_touch(now=arrival, claim_id="c1")
    assert claimed is not None

    schedule.change_location_terms(
        location_id="san-diego", window=MORNINGS, time_zone="America/Los_Angeles", reason="x", now=arrival
    )
    changed = schedule.pending_events[-1]
    assert isinstance(changed, TouchPointSchedule.SendingTermsChanged) and changed.next_due_at is None
    assert schedule.claimed == claimed
    schedule.record_sent(touch_number=1, channel="sms", provider_message_id="m1", now=arrival)

    due = schedule.next_due_at
    assert due is not None and MORNINGS.admits(due, "America/Los_Angeles")
    assert due.astimezone(LA).date() == datetime(2026, 6, 11, tzinfo=LA).date()


def test_a_paused_cadence_is_planned_by_the_new_window_when_it_resumes() -> None:
    arrival = datetime(2026, 6, 10, 19, 15, tzinfo=LA).astimezone(UTC)
    schedule = evening_lead(arrival)
    send_the_due_touch(schedule, arrival, "c1")
    schedule.pause(by="staff:jo", now=arrival)
    schedule.change_location_terms(
        location_id="san-diego", window=MORNINGS, time_zone="America/Los_Angeles", reason="x", now=arrival
    )
    schedule.resume(by="staff:jo", now=arrival + timedelta(hours=2))
    due = schedule.next_due_at
    assert due is not None and MORNINGS.admits(due, "America/Los_Angeles")


def test_a_window_that_no_longer_meets_the_recipients_hours_stops_the_cadence_saying_why() -> None:
    far_away = RecipientContext(state="FL", zones=("Asia/Tokyo",))  # 08:00 in Los Angeles is 00:00 there
    arrival = datetime(2026, 6, 10, 12, tzinfo=LA).astimezone(UTC)
    schedule = evening_lead(arrival, recipient=far_away, window=SendingWindow(time(15), time(20)))
    send_the_due_touch(schedule, arrival + timedelta(hours=4), "c1")
    assert schedule.is_active

    schedule.change_location_terms(
        location_id="san-diego",
        window=SendingWindow(time(8), time(8, 30)),
        time_zone="America/Los_Angeles",
        reason="the operator changed the sending window",
        now=arrival + timedelta(hours=5),
    )
    assert schedule.is_stopped and schedule.next_due_at is None
    assert schedule.stop_reason is not None and "no moment" in schedule.stop_reason
    assert [type(e).__name__ for e in schedule.pending_events[-2:]] == ["SendingTermsChanged", "Stopped"]


def test_a_lead_moved_to_a_shop_in_another_zone_is_planned_on_that_shops_clocks() -> None:
    arrival = datetime(2026, 6, 10, 19, 15, tzinfo=LA).astimezone(UTC)  # 22:15 in New York
    schedule = evening_lead(arrival)
    send_the_due_touch(schedule, arrival, "c1")  # on June 10 in San Diego, June 10 in New York too

    schedule.change_location_terms(
        location_id="brooklyn",
        window=SendingWindow(time(9), time(20)),
        time_zone="America/New_York",
        reason="the CRM moved the lead to another location",
        now=arrival + timedelta(minutes=5),
    )
    assert (schedule.location_id, schedule.time_zone) == ("brooklyn", "America/New_York")
    due = schedule.next_due_at
    assert due is not None and schedule.window.admits(due, "America/New_York")
    assert due.astimezone(NY).date() > arrival.astimezone(NY).date()
    assert state_of(rebuilt(schedule.pending_events, TouchPointSchedule)) == state_of(schedule)


def test_a_move_to_another_location_with_the_same_terms_is_still_recorded() -> None:
    """So the cadence follows the new location's later edits (it is found by its location)."""
    arrival = datetime(2026, 6, 10, 12, tzinfo=LA).astimezone(UTC)
    schedule = evening_lead(arrival)
    due = schedule.next_due_at
    schedule.change_location_terms(
        location_id="chula-vista",
        window=schedule.window,
        time_zone=schedule.time_zone,
        reason="moved",
        now=arrival,
    )
    assert schedule.location_id == "chula-vista" and schedule.next_due_at == due


@given(
    arrival=instants_around_dst(days_before=10, days_after=3),
    zones=st.tuples(zone_names(), zone_names()),
    windows=st.tuples(sending_windows(), sending_windows()),
    recipient=recipients(),
    sent_before=st.integers(0, 3),
    minutes_later=st.integers(0, 3 * 24 * 60),
)
def test_after_any_change_the_next_touch_is_inside_the_new_terms_after_the_last_touchs_day(
    arrival: datetime,
    zones: tuple[str, str],
    windows: tuple[SendingWindow, SendingWindow],
    recipient: RecipientContext,
    sent_before: int,
    minutes_later: int,
) -> None:
    schedule = a_lead(
        plan=TEXTS_ONLY, at=arrival, time_zone=zones[0], window=windows[0], recipient=recipient
    ).arrived()[1]
    now = arrival
    for n in range(sent_before):
        due = schedule.next_due_at
        if due is None:
            break
        now = max(now, due)
        if schedule.claim_next_touch(now=now, claim_id=f"c{n}") is not None:
            schedule.record_sent(touch_number=n + 1, channel="sms", provider_message_id=f"m{n}", now=now)
    now += timedelta(minutes=minutes_later)
    was_active = schedule.is_active

    schedule.change_location_terms(
        location_id="elsewhere", window=windows[1], time_zone=zones[1], reason="moved", now=now
    )

    assert state_of(rebuilt(schedule.pending_events, TouchPointSchedule)) == state_of(schedule)
    if not was_active:
        assert schedule.location_id != "elsewhere"
        return
    assert (schedule.location_id, schedule.window, schedule.time_zone) == ("elsewhere", windows[1], zones[1])
    due = schedule.next_due_at
    if schedule.is_stopped:
        assert schedule.stop_reason is not None and "no moment" in schedule.stop_reason
        return
    if due is None:
        assert schedule.claimed is not None, "an active cadence with nothing in flight has a due touch"
        return
    assert due >= now
    assert schedule.terms.admits(due, solicitations=schedule.solicitations())
    claims = [t.claimed_at for t in schedule.touches if t.claimed_at is not None]
    if claims:
        assert schedule.local_date(due) > schedule.local_date(max(claims)), "never two on one local day"
