"""The touch-point schedule as a dispatcher sees it: claim, send, complete; stop, pause, opt out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadorch.domain.cadence import DEFAULT_PLAN, TouchPlan
from leadorch.domain.errors import (
    IllegalTransition,
    InvalidValue,
    ScheduleStopped,
    TouchAlreadyClaimed,
    TouchNotDue,
    UnknownTouch,
)
from leadorch.domain.ids import lead_id, schedule_id
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel
from tests.domain.event_replay import rebuilt, state_of
from tests.support.leads import a_lead

LA = ZoneInfo("America/Los_Angeles")
LEAD = str(lead_id("tint-co", "order-1"))
ARRIVAL = datetime(2025, 6, 10, 10, 30, tzinfo=LA).astimezone(UTC)  # a Tuesday morning


def start(
    plan: TouchPlan = DEFAULT_PLAN, *, email_ok: bool = True, sms_ok: bool = True
) -> TouchPointSchedule:
    """Lead `LEAD`'s schedule on `plan`, started at `ARRIVAL` on the channels it consented to."""
    builder = a_lead(
        order="order-1",
        location_id="loc-1",
        email_consent=email_ok,
        sms_consent=sms_ok,
        plan=plan,
        at=ARRIVAL,
    )
    return builder.schedule_of(builder.registered())


def send_due_touch(schedule: TouchPointSchedule, claim_id: str) -> int:
    """Claim the due touch at its due time and confirm every channel; returns its number."""
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
    return claimed.touch_number


def test_a_new_schedule_has_touch_1_due_at_arrival() -> None:
    schedule = start()
    assert schedule.id == schedule_id(LEAD)
    assert schedule.next_touch_number == 1
    assert schedule.next_due_at == ARRIVAL
    assert schedule.is_active and schedule.sent_count == 0


def test_claiming_gives_channels_and_stable_idempotency_keys() -> None:
    schedule = start()
    claimed = schedule.claim_next_touch(now=ARRIVAL, claim_id="c-1")
    assert claimed is not None
    assert claimed.touch_number == 1 and claimed.channels == {Channel.EMAIL, Channel.SMS}
    assert claimed.idempotency_key(Channel.SMS) == f"{schedule.id}:1:sms"
    assert schedule.next_due_at is None, "nothing else is due while a touch is in flight"
    assert schedule.claim_next_touch(now=ARRIVAL, claim_id="c-1") == claimed, (
        "a redelivered claim gets the same"
    )
    with pytest.raises(TouchAlreadyClaimed, match="touch 1 is in flight"):
        schedule.claim_next_touch(now=ARRIVAL, claim_id="c-2")


def test_a_touch_completes_when_every_channel_has_an_outcome() -> None:
    schedule = start()
    schedule.claim_next_touch(now=ARRIVAL, claim_id="c-1")
    schedule.record_sent(touch_number=1, channel="email", provider_message_id="em-1", now=ARRIVAL)
    assert schedule.claimed is not None
    schedule.record_sent(touch_number=1, channel="sms", provider_message_id="SM1", now=ARRIVAL)
    assert schedule.claimed is None
    assert schedule.next_touch_number == 2
    assert schedule.next_due_at == ARRIVAL + timedelta(days=1)
    assert schedule.sent_count == 2
    assert schedule.touches[0].outcomes == {Channel.EMAIL: TouchOutcome.SENT, Channel.SMS: TouchOutcome.SENT}
    schedule.record_sent(touch_number=1, channel="sms", provider_message_id="SM1", now=ARRIVAL)  # redelivered


def test_a_touch_cannot_be_claimed_before_it_is_due() -> None:
    schedule = start()
    send_due_touch(schedule, "c-1")
    with pytest.raises(TouchNotDue, match="cannot claim touch 2: it is due at 2025-06-11T17:30:00"):
        schedule.claim_next_touch(now=ARRIVAL + timedelta(hours=2), claim_id="c-2")


def test_all_13_touches_then_the_schedule_finishes_and_lost_is_due_after_a_grace_day() -> None:
    schedule = start()
    numbers = [send_due_touch(schedule, f"c-{n}") for n in range(13)]
    assert numbers == list(range(1, 14))
    assert not schedule.is_active and schedule.finished_at is not None
    assert schedule.next_due_at is None
    with pytest.raises(ScheduleStopped, match="all 13 touches are done"):
        schedule.claim_next_touch(now=schedule.finished_at + timedelta(days=1), claim_id="c-x")
    assert not schedule.is_lost_due(schedule.finished_at + timedelta(hours=23))
    assert schedule.is_lost_due(schedule.finished_at + timedelta(hours=24))
    schedule.stop(reason="the customer replied", now=schedule.finished_at + timedelta(hours=1))
    assert not schedule.is_lost_due(schedule.finished_at + timedelta(days=2)), "a late answer is not lost"


def test_stop_on_sms_keeps_email_going() -> None:
    schedule = start()
    send_due_touch(schedule, "c-1")
    schedule.disable_channel(channel=Channel.SMS, reason="customer replied STOP", now=ARRIVAL)
    assert schedule.is_active
    send_due_touch(schedule, "c-2")  # touch 2: email
    due = schedule.next_due_at
    assert due is not None
    assert schedule.claim_next_touch(now=due, claim_id="c-3") is None, "touch 3 is SMS only: skipped"
    assert schedule.touches[-1].skipped_reason == "no allowed channel among sms"
    assert schedule.next_touch_number == 4
    claimed4 = schedule.claim_next_touch(now=schedule.next_due_at or due, claim_id="c-4")
    assert claimed4 is not None and claimed4.channels == {Channel.EMAIL}


def test_with_no_channel_left_the_schedule_stops() -> None:
    schedule = start()
    schedule.disable_channel(channel="sms", reason="STOP", now=ARRIVAL)
    schedule.disable_channel(channel="email", reason="unsubscribed", now=ARRIVAL)
    assert schedule.is_stopped
    assert schedule.stop_reason == "no channel left to reach the customer (unsubscribed)"


def test_a_permanent_failure_disables_the_channel_a_transient_one_does_not() -> None:
    schedule = start()
    schedule.claim_next_touch(now=ARRIVAL, claim_id="c-1")
    schedule.record_failed(
        touch_number=1, channel="email", reason="503 from provider", retriable=True, now=ARRIVAL
    )
    schedule.record_failed(
        touch_number=1, channel="sms", reason="21211 invalid number", retriable=False, now=ARRIVAL
    )
    assert schedule.enabled_channels == {Channel.EMAIL}
    assert schedule.next_touch_number == 2 and schedule.sent_count == 0


def test_suppressed_touches_count_as_done_but_not_sent() -> None:
    schedule = start()
    schedule.claim_next_touch(now=ARRIVAL, claim_id="c-1")
    for channel in ("email", "sms"):
        schedule.record_suppressed(touch_number=1, channel=channel, reason="demo mode", now=ARRIVAL)
    assert schedule.next_touch_number == 2 and schedule.sent_count == 0


def test_an_uncertain_touch_is_closed_never_reclaimed_and_can_be_resolved_later() -> None:
    schedule = start()
    schedule.claim_next_touch(now=ARRIVAL, claim_id="c-1")
    schedule.record_sent(touch_number=1, channel="email", provider_message_id="em-1", now=ARRIVAL)
    schedule.mark_uncertain(touch_number=1, now=ARRIVAL + timedelta(minutes=15))
    assert schedule.next_touch_number == 2, "the schedule moves on instead of risking a second send"
    assert schedule.touches[0].uncertain_channels == {Channel.SMS}
    schedule.resolve_uncertain(
        touch_number=1, outcome="sent", by="staff:jo", now=ARRIVAL + timedelta(hours=1)
    )
    assert schedule.sent_count == 2
    with pytest.raises(UnknownTouch, match="cannot resolve touch 1: it is not uncertain"):
        schedule.resolve_uncertain(touch_number=1, outcome="sent", by="staff:jo", now=ARRIVAL)


def test_a_late_provider_confirmation_resolves_an_uncertain_touch() -> None:
    schedule = start()
    schedule.claim_next_touch(now=ARRIVAL, claim_id="c-1")
    schedule.mark_uncertain(touch_number=1, now=ARRIVAL)
    schedule.record_sent(touch_number=1, channel="sms", provider_message_id="SM1", now=ARRIVAL)
    assert schedule.touches[0].outcomes[Channel.SMS] is TouchOutcome.SENT
    assert schedule.touches[0].outcomes[Channel.EMAIL] is TouchOutcome.UNCERTAIN


def test_outcomes_for_touches_not_in_flight_are_refused() -> None:
    schedule = start()
    with pytest.raises(UnknownTouch, match="cannot record touch 1 as sent: no touch is in flight"):
        schedule.record_sent(touch_number=1, channel="sms", provider_message_id="SM1", now=ARRIVAL)
    schedule.disable_channel(channel="sms", reason="STOP", now=ARRIVAL)
    schedule.claim_next_touch(now=ARRIVAL, claim_id="c-1")
    with pytest.raises(UnknownTouch, match="it was claimed for email"):
        schedule.record_sent(touch_number=1, channel="sms", provider_message_id="SM1", now=ARRIVAL)


def test_a_stopped_schedule_claims_nothing() -> None:
    schedule = start()
    schedule.stop(reason="the customer replied", now=ARRIVAL)
    schedule.stop(reason="booked", now=ARRIVAL)  # a second stop changes nothing
    assert schedule.stop_reason == "the customer replied"
    assert schedule.next_due_at is None
    with pytest.raises(
        ScheduleStopped, match=r"cannot claim a touch: schedule stopped \(the customer replied\)"
    ):
        schedule.claim_next_touch(now=ARRIVAL, claim_id="c-1")


def test_a_claim_outside_the_window_moves_the_touch_to_the_next_opening() -> None:
    schedule = start()
    send_due_touch(schedule, "c-1")
    late = datetime(2025, 6, 11, 20, 30, tzinfo=LA).astimezone(UTC)
    assert schedule.claim_next_touch(now=late, claim_id="c-2") is None
    assert schedule.next_due_at == datetime(2025, 6, 12, 9, 0, tzinfo=LA).astimezone(UTC)


def test_resuming_after_a_long_pause_continues_with_the_next_touch_without_a_burst() -> None:
    schedule = start()
    send_due_touch(schedule, "c-1")
    schedule.pause(by="staff:jo", now=ARRIVAL + timedelta(hours=1))
    assert schedule.next_due_at is None
    with pytest.raises(IllegalTransition, match="cannot claim a touch: schedule paused by staff:jo"):
        schedule.claim_next_touch(now=ARRIVAL + timedelta(days=1), claim_id="c-2")
    resumed_at = datetime(2025, 6, 20, 12, 0, tzinfo=LA).astimezone(UTC)
    schedule.resume(by="staff:jo", now=resumed_at)
    assert schedule.next_due_at == resumed_at, "touch 2 is due now, not nine days ago"
    send_due_touch(schedule, "c-2")
    due3 = schedule.next_due_at
    assert due3 is not None
    assert due3.astimezone(LA).date() == date(2025, 6, 22), "touch 3 keeps its two-day spacing from touch 2"
    assert due3.astimezone(LA).time() == time(10, 30)


def test_pause_and_resume_refuse_the_wrong_state() -> None:
    schedule = start()
    with pytest.raises(IllegalTransition, match="cannot resume: the schedule is not paused"):
        schedule.resume(by="staff:jo", now=ARRIVAL)
    schedule.pause(by="staff:jo", now=ARRIVAL)
    with pytest.raises(IllegalTransition, match="already paused by staff:jo"):
        schedule.pause(by="staff:al", now=ARRIVAL)


def test_a_schedule_needs_a_channel_and_aware_times() -> None:
    with pytest.raises(IllegalTransition, match="reached on no channel"):
        start(email_ok=False, sms_ok=False)
    with pytest.raises(InvalidValue, match="now must be timezone-aware"):
        start().claim_next_touch(now=datetime(2025, 6, 10, 12), claim_id="c")


def test_a_schedule_rebuilt_from_its_stored_events_is_the_same_schedule() -> None:
    schedule = start()
    send_due_touch(schedule, "c-1")
    schedule.disable_channel(channel="sms", reason="STOP", now=ARRIVAL)
    schedule.claim_next_touch(now=schedule.next_due_at or ARRIVAL, claim_id="c-2")
    schedule.mark_uncertain(touch_number=2, now=ARRIVAL + timedelta(days=2))
    schedule.pause(by="staff:jo", now=ARRIVAL + timedelta(days=2))
    schedule.resume(by="staff:jo", now=ARRIVAL + timedelta(days=9))
    assert state_of(rebuilt(schedule.pending_events, TouchPointSchedule)) == state_of(schedule)
