"""The schedule under the sending rules: a Miami number at a San Diego shop, the cap, and the proof of a claim."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadorch.domain.cadence import DEFAULT_PLAN, SendingWindow, TouchPlan
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.sending_rules import RULES_VERSION, RecipientContext
from leadorch.domain.values import Channel
from tests.domain.event_replay import rebuilt, state_of
from tests.support.leads import a_lead

LA, NY = ZoneInfo("America/Los_Angeles"), ZoneInfo("America/New_York")
MIAMI = RecipientContext(state="FL", zones=("America/New_York",), derived_from="area code 305 (FL)")
TEXTS_ONLY = TouchPlan.of((day, ["sms"]) for day in (0, 1, 2, 3))


def san_diego_lead_with_a_miami_number(
    arrival: datetime, plan: TouchPlan = DEFAULT_PLAN
) -> TouchPointSchedule:
    builder = a_lead(
        phone="+13055550142", recipient=MIAMI, plan=plan, at=arrival, time_zone="America/Los_Angeles"
    )
    return builder.arrived()[1]


def send_all(schedule: TouchPointSchedule, now: datetime, claim: str) -> None:
    claimed = schedule.claim_next_touch(now=now, claim_id=claim)
    assert claimed is not None
    for channel in claimed.channels:
        schedule.record_sent(
            touch_number=claimed.touch_number,
            channel=channel,
            provider_message_id=f"{claim}-{channel}",
            now=now,
        )


def test_an_evening_lead_from_miami_waits_for_the_morning_in_both_zones() -> None:
    arrival = datetime(2026, 6, 10, 19, 0, tzinfo=LA).astimezone(UTC)  # 22:00 in Miami
    schedule = san_diego_lead_with_a_miami_number(arrival)
    due = schedule.next_due_at
    assert due is not None
    assert due.astimezone(LA).time() == time(9, 0), "the shop's window opens at 09:00 (12:00 in Miami)"
    assert due.astimezone(NY).date() == arrival.astimezone(LA).date() + timedelta(days=1)


def test_every_planned_touch_to_a_miami_number_is_inside_florida_hours_and_the_shops_window() -> None:
    arrival = datetime(2026, 6, 10, 18, 45, tzinfo=LA).astimezone(UTC)
    schedule = san_diego_lead_with_a_miami_number(arrival)
    for tick in range(len(DEFAULT_PLAN)):
        due = schedule.next_due_at
        assert due is not None
        assert time(8) <= due.astimezone(NY).time() <= time(20), due.astimezone(NY)
        assert time(9) <= due.astimezone(LA).time() <= time(20)
        send_all(schedule, due + timedelta(seconds=5), f"c{tick}")
    assert schedule.is_finished


def test_a_claim_outside_floridas_hours_moves_the_touch_and_says_which_rule() -> None:
    arrival = datetime(2026, 6, 10, 10, 0, tzinfo=LA).astimezone(UTC)
    schedule = san_diego_lead_with_a_miami_number(arrival)
    late = datetime(2026, 6, 10, 17, 30, tzinfo=LA).astimezone(UTC)  # 20:30 in Miami
    assert schedule.claim_next_touch(now=late, claim_id="late") is None
    moved = schedule.pending_events[-1]
    assert isinstance(moved, TouchPointSchedule.TouchRescheduled)
    assert "FL-501.059 hours in America/New_York" in moved.reason
    assert moved.next_due_at == datetime(2026, 6, 11, 9, 0, tzinfo=LA).astimezone(UTC)


def test_the_claim_records_the_rules_that_allowed_it() -> None:
    arrival = datetime(2026, 6, 10, 16, 58, tzinfo=LA).astimezone(UTC)  # 19:58 in Miami
    schedule = san_diego_lead_with_a_miami_number(arrival)
    claimed = schedule.claim_next_touch(now=arrival, claim_id="c1")
    assert claimed is not None and claimed.allowed_by is not None
    proof = claimed.allowed_by
    assert proof["rules_version"] == RULES_VERSION
    assert proof["recipient"]["state"] == "FL"
    assert proof["location_window"]["local_time"] == "2026-06-10T16:58:00"
    assert {(row["rule"], row["local_time"]) for row in proof["legal_hours"]} == {
        ("US-TCPA-calling-hours", "2026-06-10T19:58:00"),
        ("FL-501.059", "2026-06-10T19:58:00"),
    }
    assert proof["cap"]["count_with_this_one"] == 1
    assert state_of(rebuilt(schedule.pending_events, TouchPointSchedule)) == state_of(schedule)


def test_other_marketing_texts_to_the_number_count_against_the_cap() -> None:
    arrival = datetime(2026, 6, 10, 12, 0, tzinfo=LA).astimezone(UTC)
    schedule = san_diego_lead_with_a_miami_number(arrival, TEXTS_ONLY)
    others = [arrival - timedelta(hours=h) for h in (1, 2, 3)]
    assert schedule.claim_next_touch(now=arrival, claim_id="c1", other_solicitations=others) is None
    moved = schedule.pending_events[-1]
    assert isinstance(moved, TouchPointSchedule.TouchRescheduled)
    assert "cap of 3 per 24 hours" in moved.reason
    assert moved.next_due_at is not None and moved.next_due_at > others[-1] + timedelta(hours=24)


def test_an_email_only_touch_is_not_a_text_to_the_number_and_is_not_capped() -> None:
    emails = TouchPlan.of([(0, ["email"])])
    arrival = datetime(2026, 6, 10, 12, 0, tzinfo=LA).astimezone(UTC)
    schedule = san_diego_lead_with_a_miami_number(arrival, emails)
    others = [arrival - timedelta(hours=h) for h in (1, 2, 3)]
    claimed = schedule.claim_next_touch(now=arrival, claim_id="c1", other_solicitations=others)
    assert claimed is not None and claimed.channels == {Channel.EMAIL}
    assert claimed.allowed_by is not None and claimed.allowed_by["cap"] is None


def test_a_shop_window_that_never_meets_the_recipients_hours_stops_the_cadence_saying_why() -> None:
    dawn_only = SendingWindow(time(8), time(8, 30))  # 08:00 in Los Angeles is 11:00 in Miami…
    miami_dusk = RecipientContext(state="FL", zones=("Asia/Tokyo",))  # …and 00:00 in Tokyo
    builder = a_lead(window=dawn_only, recipient=miami_dusk, at=datetime(2026, 6, 10, 19, tzinfo=UTC))
    schedule = builder.arrived()[1]
    assert schedule.is_stopped and schedule.next_due_at is None
    assert schedule.stop_reason is not None and "no moment" in schedule.stop_reason


SAN_DIEGO = RecipientContext(state="CA", zones=("America/Los_Angeles",), derived_from="area code 619 (CA)")


def test_a_new_number_moves_the_next_touch_inside_the_new_recipients_hours_on_its_day() -> None:
    """Touch 2 of an evening lead is planned at 19:15 in San Diego; once the number is Miami's, that is
    22:15 there, so it moves to the same day's last planned time inside Florida's hours."""
    arrival = datetime(2026, 6, 10, 19, 15, tzinfo=LA).astimezone(UTC)
    schedule = a_lead(
        phone="+16195550142",
        recipient=SAN_DIEGO,
        plan=TEXTS_ONLY,
        at=arrival,
        time_zone="America/Los_Angeles",
    ).arrived()[1]
    send_all(schedule, arrival, "c1")
    planned = schedule.next_due_at
    assert planned is not None and planned.astimezone(LA) == datetime(2026, 6, 11, 19, 15, tzinfo=LA)

    schedule.change_recipient(recipient=MIAMI, reason="the number changed", now=arrival + timedelta(hours=1))

    moved = schedule.next_due_at
    assert moved is not None and moved.astimezone(LA).date() == planned.astimezone(LA).date()
    assert moved.astimezone(NY).time() <= time(19, 30), "30 minutes' margin before Florida's 20:00"
    assert schedule.recipient == MIAMI and schedule.terms.admits(
        moved, solicitations=schedule.solicitations()
    )
    assert state_of(rebuilt(schedule.pending_events, TouchPointSchedule)) == state_of(schedule)


def test_the_same_context_or_a_cadence_that_is_over_records_no_change() -> None:
    arrival = datetime(2026, 6, 10, 12, tzinfo=LA).astimezone(UTC)
    schedule = san_diego_lead_with_a_miami_number(arrival)
    count = len(schedule.pending_events)
    schedule.change_recipient(recipient=MIAMI, reason="read again", now=arrival)
    schedule.stop(reason="the customer answered", now=arrival)
    schedule.change_recipient(recipient=SAN_DIEGO, reason="too late", now=arrival)
    assert [type(e).__name__ for e in schedule.pending_events[count:]] == ["Stopped"]
    assert schedule.recipient == MIAMI


def test_a_touch_in_flight_keeps_its_claim_and_the_next_one_is_planned_by_the_new_number() -> None:
    arrival = datetime(2026, 6, 10, 19, 15, tzinfo=LA).astimezone(UTC)
    schedule = a_lead(
        phone="+16195550142",
        recipient=SAN_DIEGO,
        plan=TEXTS_ONLY,
        at=arrival,
        time_zone="America/Los_Angeles",
    ).arrived()[1]
    claimed = schedule.claim_next_touch(now=arrival, claim_id="c1")
    assert claimed is not None

    schedule.change_recipient(recipient=MIAMI, reason="the number changed", now=arrival)
    assert schedule.claimed == claimed
    schedule.record_sent(touch_number=1, channel="sms", provider_message_id="m1", now=arrival)

    due = schedule.next_due_at
    assert due is not None and time(8) <= due.astimezone(NY).time() <= time(19, 30)
