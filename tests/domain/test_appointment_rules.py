"""The Appointment: booked from services, moved, cancelled, completed; only legal transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from leadorch.domain.appointment import Appointment, AppointmentStatus
from leadorch.domain.availability import ServiceLine
from leadorch.domain.errors import IllegalTransition, InvalidValue
from tests.domain.event_replay import rebuilt, state_of

AT = datetime(2025, 6, 9, 16, tzinfo=UTC)
START = AT + timedelta(days=2)
TINT = ServiceLine("tint", "Full tint", 120, 29900)
STRIP = ServiceLine("strip", "Old tint removal", 45, 7500)


def book(services: list[ServiceLine] | None = None) -> Appointment:
    return Appointment.book(
        appointment_id=uuid4(),
        tenant_id="tint-co",
        lead_id="lead-1",
        location_id="loc-1",
        services=[TINT, STRIP] if services is None else services,
        start=START,
        at=AT,
    )


def test_end_and_price_follow_from_the_services() -> None:
    appointment = book()
    assert appointment.status is AppointmentStatus.CONFIRMED
    assert appointment.end == START + timedelta(minutes=165)
    assert appointment.price_cents == 37400
    assert appointment.needs_crm_sync


def test_rescheduling_keeps_the_duration_and_needs_a_new_sync() -> None:
    appointment = book()
    appointment.record_crm_synced(crm_appointment_id="sm-appt-1", at=AT)
    assert not appointment.needs_crm_sync
    appointment.reschedule(start=START + timedelta(days=1), at=AT)
    assert appointment.interval == (START + timedelta(days=1), START + timedelta(days=1, minutes=165))
    assert appointment.needs_crm_sync


def test_final_statuses_refuse_further_changes_with_the_reason() -> None:
    appointment = book()
    appointment.cancel(reason="customer changed their mind", at=AT)
    with pytest.raises(IllegalTransition, match="cannot reschedule: the appointment is cancelled"):
        appointment.reschedule(start=START, at=AT)
    with pytest.raises(IllegalTransition, match="cannot complete: the appointment is cancelled"):
        appointment.complete(at=START + timedelta(hours=3))


def test_completion_and_no_show_need_the_start_to_have_come() -> None:
    appointment = book()
    with pytest.raises(IllegalTransition, match="cannot complete: the appointment starts at"):
        appointment.complete(at=AT)
    appointment.mark_no_show(at=START + timedelta(minutes=30))
    assert appointment.status is AppointmentStatus.NO_SHOW
    with pytest.raises(IllegalTransition, match="cannot mark a no-show: the appointment is no_show"):
        appointment.mark_no_show(at=START + timedelta(hours=1))


def test_a_permanent_sync_failure_stops_retries_until_someone_looks() -> None:
    appointment = book()
    appointment.record_crm_sync_failed(reason="timeout", permanent=False, at=AT)
    assert appointment.needs_crm_sync and appointment.crm_sync_error == "timeout"
    appointment.record_crm_sync_failed(reason="422 invalid technician", permanent=True, at=AT)
    assert not appointment.needs_crm_sync


def test_bad_bookings_are_refused() -> None:
    with pytest.raises(InvalidValue, match="at least one service"):
        book(services=[])
    with pytest.raises(IllegalTransition, match="starting in the past"):
        Appointment.book(
            appointment_id=uuid4(),
            tenant_id="t",
            lead_id="l",
            location_id="loc",
            services=[TINT],
            start=AT - timedelta(hours=1),
            at=AT,
        )


def test_an_appointment_rebuilt_from_its_stored_events_is_the_same() -> None:
    appointment = book()
    appointment.record_crm_synced(crm_appointment_id="sm-1", at=AT)
    appointment.reschedule(start=START + timedelta(hours=3), at=AT)
    appointment.complete(at=START + timedelta(hours=4))
    assert state_of(rebuilt(appointment.pending_events, Appointment)) == state_of(appointment)


def test_a_notice_sent_is_recorded_once_with_its_proof_and_survives_a_rebuild() -> None:
    appointment = book()
    proof = {"rules_version": "v", "message": {"kind": "booked"}, "cap": None}
    for _ in range(2):
        appointment.record_notice_sent(
            notice="booked", kind="booked", channel="sms", provider_message_id="SM1", allowed_by=proof, at=AT
        )
    sent = [e for e in appointment.pending_events if isinstance(e, Appointment.NoticeSent)]
    assert [(e.notice, e.channel, e.allowed_by) for e in sent] == [("booked", "sms", proof)]
    assert state_of(rebuilt(appointment.pending_events, Appointment)) == state_of(appointment)
    with pytest.raises(InvalidValue, match="unknown notice"):
        appointment.record_notice_sent(
            notice="x", kind="promo", channel="sms", provider_message_id="SM2", allowed_by={}, at=AT
        )
