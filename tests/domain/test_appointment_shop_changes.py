"""Changes the shop makes in its CRM calendar: they move, cancel or confirm ours without a sync back,
and our own writes echoing back (or older versions arriving late) change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate

from leadorch.domain.appointment import Appointment, AppointmentStatus, ShopConfirmation
from leadorch.domain.availability import ServiceLine
from leadorch.domain.errors import IllegalTransition, InvalidValue
from tests.domain.event_replay import MAPPER, rebuilt, state_of

AT = datetime(2026, 11, 21, 10, tzinfo=UTC)
START = datetime(2026, 11, 24, 17, tzinfo=UTC)
TINT = ServiceLine("tint", "Ultimate tint", 180, 45000)
WRITTEN = datetime(2026, 11, 21, 10, 3, 11, tzinfo=UTC)  # the CRM's updatedDate of our create


def synced() -> Appointment:
    appointment = Appointment.book(
        appointment_id=uuid4(), tenant_id="tint", lead_id="lead-1", location_id="sd",
        services=[TINT], start=START, at=AT,
    )  # fmt: skip
    appointment.record_crm_synced(crm_appointment_id="sm-1", crm_updated_at=WRITTEN, at=AT)
    return appointment


def test_staff_moving_it_moves_ours_without_asking_for_a_sync_back() -> None:
    appointment = synced()
    moved_at = WRITTEN + timedelta(days=1)

    appointment.reschedule_by_shop(
        start=START + timedelta(days=1, hours=1), end=START + timedelta(days=1, hours=4),
        crm_updated_at=moved_at, at=moved_at,
    )  # fmt: skip

    (event,) = [e for e in appointment.pending_events if isinstance(e, Appointment.RescheduledByShop)]
    assert (event.previous_start, event.start) == (START, START + timedelta(days=1, hours=1))
    assert appointment.interval == (START + timedelta(days=1, hours=1), START + timedelta(days=1, hours=4))
    assert not appointment.needs_crm_sync
    assert appointment.crm_updated_at == moved_at


def test_a_version_no_newer_than_our_own_write_is_not_news() -> None:
    appointment = synced()

    assert not appointment.is_news_from_the_crm(WRITTEN)  # our create echoing back
    assert not appointment.is_news_from_the_crm(WRITTEN - timedelta(seconds=1))  # older, late
    assert appointment.is_news_from_the_crm(WRITTEN + timedelta(seconds=1))
    assert appointment.is_news_from_the_crm(None)  # the CRM did not say: judge by content


def test_while_our_own_change_is_on_its_way_to_the_crm_nothing_from_it_is_news() -> None:
    appointment = synced()
    appointment.reschedule(start=START + timedelta(days=2), at=AT)

    assert not appointment.is_news_from_the_crm(WRITTEN + timedelta(days=1))


def test_the_same_times_from_the_shop_record_nothing() -> None:
    appointment = synced()
    appointment.collect_events()

    appointment.reschedule_by_shop(start=START, end=appointment.end, crm_updated_at=None, at=AT)

    assert appointment.pending_events == []


def test_the_shop_may_move_it_to_any_length_but_not_end_before_it_starts() -> None:
    appointment = synced()
    with pytest.raises(InvalidValue, match=r"ends .* before it starts"):
        appointment.reschedule_by_shop(start=START, end=START, crm_updated_at=None, at=AT)
    with pytest.raises(InvalidValue, match="timezone-aware"):
        appointment.reschedule_by_shop(
            start=START.replace(tzinfo=None), end=START + timedelta(hours=1), crm_updated_at=None, at=AT
        )


def test_a_cancellation_at_the_shop_cancels_ours_once_and_needs_no_sync() -> None:
    appointment = synced()

    appointment.cancel_by_shop(reason="cancelled at the shop", crm_updated_at=None, at=AT)
    appointment.cancel_by_shop(reason="deleted at the shop", crm_updated_at=None, at=AT)

    assert appointment.status is AppointmentStatus.CANCELLED
    assert appointment.status_reason == "cancelled at the shop"
    assert not appointment.needs_crm_sync
    with pytest.raises(
        IllegalTransition, match="cannot take the shop's new time: the appointment is cancelled"
    ):
        appointment.reschedule_by_shop(
            start=START, end=START + timedelta(hours=1), crm_updated_at=None, at=AT
        )


def test_a_completed_visit_is_not_cancelled_by_the_shop() -> None:
    appointment = synced()
    appointment.complete(at=START + timedelta(hours=3))
    with pytest.raises(IllegalTransition, match="the appointment is completed"):
        appointment.cancel_by_shop(reason="deleted at the shop", crm_updated_at=None, at=START)


def test_a_confirmation_or_decline_at_the_shop_shows_on_ours_when_it_changes() -> None:
    appointment = synced()
    appointment.collect_events()

    appointment.record_shop_confirmation(
        confirmation=ShopConfirmation.NO_RESPONSE, crm_updated_at=None, at=AT
    )
    assert appointment.pending_events == [] and appointment.shop_confirmation is None
    appointment.record_shop_confirmation(confirmation=ShopConfirmation.CONFIRMED, crm_updated_at=None, at=AT)
    appointment.record_shop_confirmation(confirmation=ShopConfirmation.CONFIRMED, crm_updated_at=None, at=AT)
    appointment.record_shop_confirmation(confirmation=ShopConfirmation.DECLINED, crm_updated_at=None, at=AT)

    assert [e.confirmation for e in appointment.pending_events] == ["confirmed", "declined"]
    assert appointment.shop_confirmation is ShopConfirmation.DECLINED
    assert appointment.is_confirmed  # a decline is shown, not acted on


def test_shop_changes_survive_the_store_and_replay_to_the_same_state() -> None:
    appointment = synced()
    appointment.reschedule_by_shop(
        start=START + timedelta(hours=1), end=START + timedelta(hours=5),
        crm_updated_at=WRITTEN + timedelta(hours=1), at=AT,
    )  # fmt: skip
    appointment.record_shop_confirmation(
        confirmation=ShopConfirmation.CONFIRMED, crm_updated_at=WRITTEN + timedelta(hours=2), at=AT
    )
    appointment.cancel_by_shop(reason="deleted at the shop", crm_updated_at=None, at=AT)

    assert state_of(rebuilt(appointment.pending_events, Appointment)) == state_of(appointment)


def test_a_version_1_crm_synced_event_reads_as_not_knowing_the_crm_update_time() -> None:
    appointment = synced()
    stored = MAPPER.to_stored_event(appointment.pending_events[-1])
    state = MAPPER.transcoder.decode(stored.state)
    del state["crm_updated_at"]
    state.pop("class_version", None)
    old = type(stored)(
        originator_id=stored.originator_id, originator_version=stored.originator_version,
        topic=stored.topic, state=MAPPER.transcoder.encode(state),
    )  # fmt: skip

    event = MAPPER.to_domain_event(old)

    assert isinstance(event, Aggregate.Event) and event.crm_updated_at is None  # type: ignore[attr-defined]
