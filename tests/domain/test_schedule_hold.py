"""An out-of-office holds the cadence: nothing goes out until after the day the customer is back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from leadorch.domain.cadence import DEFAULT_PLAN
from leadorch.domain.errors import InvalidValue
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import MAX_HOLD_DAYS, TouchPointSchedule
from leadorch.domain.values import LeadStatus
from tests.domain.event_replay import rebuilt, state_of
from tests.support.leads import a_lead

LA = ZoneInfo("America/Los_Angeles")
ARRIVAL = datetime(2025, 6, 10, 10, 30, tzinfo=LA).astimezone(UTC)  # a Tuesday morning
AWAY = "the customer's out-of-office says they are back on this day"


def started() -> TouchPointSchedule:
    builder = a_lead(order="order-1", location_id="loc-1", at=ARRIVAL)
    return builder.schedule_of(builder.registered())


def send_due(schedule: TouchPointSchedule, claim_id: str) -> datetime:
    due = schedule.next_due_at
    assert due is not None
    claimed = schedule.claim_next_touch(now=due, claim_id=claim_id)
    assert claimed is not None
    for channel in sorted(claimed.channels):
        schedule.record_sent(
            touch_number=claimed.touch_number,
            channel=channel,
            provider_message_id=f"{claim_id}-{channel}",
            now=due,
        )
    return due


def local_day(instant: datetime) -> date:
    return instant.astimezone(LA).date()


def test_the_next_touch_waits_until_after_the_return_day_and_the_plan_keeps_its_spacing() -> None:
    schedule = started()
    first = send_due(schedule, "c-1")  # touch 1, Tue 10 June; touch 2 due Wed 11 June
    planned = [DEFAULT_PLAN.touch(n).day for n in range(2, 14)]

    schedule.hold_until(day=date(2025, 6, 20), reason=AWAY, now=first + timedelta(minutes=5))

    due = schedule.next_due_at
    assert due is not None and local_day(due) == date(2025, 6, 21)
    assert schedule.window.admits(due, "America/Los_Angeles")
    assert isinstance(schedule.pending_events[-1], TouchPointSchedule.Held)
    days = [local_day(send_due(schedule, f"c-{n}")) for n in range(2, 14)]
    assert all(a < b for a, b in pairwise(days)), "in order, never two on one day"
    assert [(b - a).days for a, b in pairwise(days)] == [b - a for a, b in pairwise(planned)]
    assert schedule.is_finished


def test_a_hold_while_a_touch_is_in_flight_applies_to_the_touch_after_it() -> None:
    schedule = started()
    claimed = schedule.claim_next_touch(now=ARRIVAL, claim_id="c-1")
    assert claimed is not None

    schedule.hold_until(day=date(2025, 6, 16), reason=AWAY, now=ARRIVAL)
    assert schedule.next_due_at is None  # touch 1 is still in flight
    for channel in sorted(claimed.channels):
        schedule.record_sent(touch_number=1, channel=channel, provider_message_id=f"m-{channel}", now=ARRIVAL)

    due = schedule.next_due_at
    assert schedule.next_touch_number == 2 and due is not None and local_day(due) == date(2025, 6, 17)


def test_a_hold_the_plan_already_meets_or_a_past_day_changes_nothing() -> None:
    schedule = started()
    send_due(schedule, "c-1")
    schedule.collect_events()
    due = schedule.next_due_at  # Wed 11 June

    schedule.hold_until(day=date(2025, 6, 10), reason=AWAY, now=ARRIVAL)  # today: back before touch 2
    schedule.hold_until(day=date(2025, 6, 1), reason=AWAY, now=ARRIVAL)  # in the past

    assert schedule.collect_events() == [] and schedule.next_due_at == due


def test_holding_twice_keeps_the_later_day() -> None:
    schedule = started()
    now = send_due(schedule, "c-1")

    schedule.hold_until(day=date(2025, 6, 25), reason=AWAY, now=now)
    schedule.hold_until(day=date(2025, 6, 15), reason=AWAY, now=now)

    due = schedule.next_due_at
    assert due is not None and local_day(due) == date(2025, 6, 26)


def test_a_hold_on_a_paused_schedule_is_kept_when_it_resumes() -> None:
    schedule = started()
    now = send_due(schedule, "c-1")
    schedule.pause(by="staff:jo", now=now)

    schedule.hold_until(day=date(2025, 6, 20), reason=AWAY, now=now)
    schedule.resume(by="staff:jo", now=now + timedelta(days=2))

    due = schedule.next_due_at
    assert due is not None and local_day(due) == date(2025, 6, 21)


def test_a_stopped_or_finished_cadence_holds_nothing() -> None:
    schedule = started()
    schedule.stop(reason="the customer replied", now=ARRIVAL)
    schedule.collect_events()

    schedule.hold_until(day=date(2025, 6, 20), reason=AWAY, now=ARRIVAL)

    assert schedule.collect_events() == [] and schedule.is_stopped


def test_a_hold_further_than_the_limit_is_refused_and_a_datetime_is_not_a_day() -> None:
    schedule = started()

    with pytest.raises(InvalidValue, match=f"more than {MAX_HOLD_DAYS} days away"):
        schedule.hold_until(
            day=date(2025, 6, 10) + timedelta(days=MAX_HOLD_DAYS + 1), reason=AWAY, now=ARRIVAL
        )
    with pytest.raises(InvalidValue, match="needs a date"):
        schedule.hold_until(day=ARRIVAL, reason=AWAY, now=ARRIVAL)
    with pytest.raises(InvalidValue, match="reason"):
        schedule.hold_until(day=date(2025, 6, 20), reason=" ", now=ARRIVAL)


def test_a_held_schedule_replays_to_the_same_state() -> None:
    schedule = started()
    now = send_due(schedule, "c-1")
    schedule.hold_until(day=date(2025, 6, 20), reason=AWAY, now=now)

    assert state_of(rebuilt(schedule.pending_events, TouchPointSchedule)) == state_of(schedule)


def test_an_auto_reply_is_kept_on_the_lead_but_is_not_a_response() -> None:
    builder = a_lead(order="order-1", at=ARRIVAL)
    lead: Lead = builder.registered()
    lead.record_contacted(at=ARRIVAL)

    lead.record_auto_reply(
        channel="email",
        kind="out_of_office",
        sign="Auto-Submitted",
        text="I'm out of the office until June 20. " + "x" * 400,
        returns_on=date(2025, 6, 20),
        at=ARRIVAL,
    )

    [event] = [e for e in lead.pending_events if isinstance(e, Lead.AutoReplyReceived)]
    assert (event.channel, event.kind, event.returns_on) == ("email", "out_of_office", "2025-06-20")
    assert event.excerpt.startswith("I'm out of the office until June 20.") and len(event.excerpt) == 200
    assert lead.status is LeadStatus.CONTACTING and not lead.is_responsive and not lead.stops_cadence
    assert state_of(rebuilt(lead.pending_events, Lead)) == state_of(lead)
