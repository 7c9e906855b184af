"""Every booking, move and cancellation reaches the shop's calendar in ShopMonkey (the fake, on a socket).

The sync's state shows in the appointments read model; an outage is retried with backoff; a refusal,
or an outage that outlasts the retries, flags the appointment for staff and never cancels it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.support.booking_claims import FRIDAY_10AM, book
from tests.support.chat_world import LOCATION, MAYA_CUSTOMER, MAYA_VEHICLE, ChatWorld

from leadorch.adapters.offline_assistant import OfflineAssistant
from leadorch.app.booking.crm_sync import (
    MAX_ATTEMPTS,
    SyncLedger,
    SyncOutcome,
    sync_appointment_to_crm,
    sync_pending_appointments,
)
from leadorch.app.readmodels.appointments import AppointmentView, appointments_of_lead
from leadorch.domain.values import LeadStatus


@pytest.fixture(scope="module")
def shared_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sync's SQL runs on PostgreSQL in the end-to-end test; here the embedded store keeps it quick."""
    return f"sqlite:///{tmp_path_factory.mktemp('crm-sync') / 'events.db'}"


def calendar_row(world: ChatWorld, lead_id: str | None = None) -> AppointmentView:
    world.catch_up()
    (row,) = appointments_of_lead(world.container.db, world.tenant_id, lead_id or world.lead_id)
    return row


def test_a_chat_booking_appears_in_shopmonkey_with_what_the_customer_asked(chat_world: ChatWorld) -> None:
    chat_world.container.assistant = OfflineAssistant()
    chat_world.say("How much for the premium package?")
    chat_world.say("what times do you have Friday for the premium package?")

    chat_world.say("Book Fri Nov 27, 10:00 AM (2026-11-27T10:00:00-08:00)")

    (created,) = chat_world.crm_appointments()
    lead = chat_world.lead()
    row = calendar_row(chat_world)
    assert created["customerId"] == MAYA_CUSTOMER and created["vehicleId"] == MAYA_VEHICLE
    assert created["orderId"] == lead.crm_order_id
    assert created["locationId"] == "6198139a5391fa197fac13e7"
    assert (created["startDate"], created["endDate"]) == (
        "2026-11-27T18:00:00.000Z",
        "2026-11-27T20:00:00.000Z",
    )
    assert created["name"] == "Premium Tint Package - Maya Ortega"
    assert created["note"] == (
        "Booked online through the chat assistant.\n"
        'Customer asked: "How much for the premium package?"; "what times do you have Friday for the premium '
        'package?"; "Book Fri Nov 27, 10:00 AM"\n'
        "Chose: Premium Tint Package ($300) on Fri Nov 27, 10:00 AM.\n"
        f"Booking reference: {row.appointment_id}"
    )
    assert (row.crm_sync, row.crm_appointment_id, row.crm_sync_error) == ("synced", created["id"], None)


def test_a_move_updates_and_a_cancellation_deletes_the_shopmonkey_appointment(chat_world: ChatWorld) -> None:
    book(chat_world)
    (created,) = chat_world.crm_appointments()
    location = chat_world.container.config.location(chat_world.tenant_id, LOCATION)
    service = chat_world.container.booking

    service.reschedule(
        tenant_id=chat_world.tenant_id,
        lead_id=chat_world.lead_id,
        location=location,
        start=FRIDAY_10AM + timedelta(hours=3),
    )
    (moved,) = chat_world.crm_appointments()
    service.cancel(tenant_id=chat_world.tenant_id, lead_id=chat_world.lead_id, reason="plans changed")

    assert moved["id"] == created["id"] and moved["startDate"] == "2026-11-27T21:00:00.000Z"
    assert chat_world.crm_appointments() == []
    deletes = chat_world.shopmonkey.requests_to(f"/v3/appointment/{created['id']}", method="DELETE")
    assert len(deletes) == 1 and deletes[0].json == {}
    row = calendar_row(chat_world)
    assert (row.status, row.crm_sync) == ("cancelled", "synced")


def test_an_outage_is_retried_with_backoff_until_shopmonkey_takes_it(chat_world: ChatWorld) -> None:
    chat_world.shopmonkey.fail_next("/v3/appointment", times=2, method="POST")

    appointment_id = book(chat_world)  # the first attempt runs with the booking and fails
    row = calendar_row(chat_world)
    assert row.crm_sync == "pending" and f"(attempt 1 of {MAX_ATTEMPTS})" in (row.crm_sync_error or "")
    early = sync_appointment_to_crm(chat_world.container, chat_world.tenant_id, appointment_id)
    chat_world.clock.advance(timedelta(seconds=6))
    second = sync_appointment_to_crm(chat_world.container, chat_world.tenant_id, appointment_id)
    chat_world.clock.advance(timedelta(minutes=1))
    swept = sync_pending_appointments(chat_world.container)

    assert early.status == "waiting"  # the backoff is honoured
    assert second.status == "retrying"
    assert swept == 1
    row = calendar_row(chat_world)
    assert row.crm_sync == "synced" and row.crm_sync_error is None
    assert len(chat_world.crm_appointments()) == 1


def test_a_create_shopmonkey_applied_but_answered_500_is_adopted_not_made_twice(
    chat_world: ChatWorld,
) -> None:
    chat_world.shopmonkey.apply_then_fail_next("/v3/appointment", method="POST")

    appointment_id = book(chat_world)  # ShopMonkey stores it, yet the answer is a 500
    assert calendar_row(chat_world).crm_sync == "pending"
    chat_world.clock.advance(timedelta(seconds=6))
    retry = sync_appointment_to_crm(chat_world.container, chat_world.tenant_id, appointment_id)

    (only,) = chat_world.crm_appointments()
    assert retry == SyncOutcome("adopted", only["id"])
    posts = chat_world.shopmonkey.requests_to("/v3/appointment", method="POST")
    assert len([post for post in posts if post.json["orderId"] == chat_world.lead().crm_order_id]) == 1
    row = calendar_row(chat_world)
    assert (row.crm_sync, row.crm_appointment_id, row.crm_sync_error) == ("synced", only["id"], None)


def test_an_applied_create_whose_note_staff_rewrote_is_still_adopted_by_its_times(
    chat_world: ChatWorld,
) -> None:
    chat_world.shopmonkey.apply_then_fail_next("/v3/appointment", method="POST")
    appointment_id = book(chat_world)
    (stored,) = chat_world.crm_appointments()
    stored["note"] = "Customer will drop the car off early"

    chat_world.clock.advance(timedelta(seconds=6))
    retry = sync_appointment_to_crm(chat_world.container, chat_world.tenant_id, appointment_id)

    assert retry.status == "adopted" and [a["id"] for a in chat_world.crm_appointments()] == [stored["id"]]


def test_a_retry_adopts_the_applied_create_and_moves_it_when_the_booking_moved(chat_world: ChatWorld) -> None:
    chat_world.shopmonkey.apply_then_fail_next("/v3/appointment", method="POST")
    book(chat_world)
    location = chat_world.container.config.location(chat_world.tenant_id, LOCATION)

    chat_world.container.booking.reschedule(
        tenant_id=chat_world.tenant_id,
        lead_id=chat_world.lead_id,
        location=location,
        start=FRIDAY_10AM + timedelta(hours=3),
    )
    chat_world.clock.advance(timedelta(minutes=5))
    chat_world.catch_up()
    assert sync_pending_appointments(chat_world.container) == 1

    (only,) = chat_world.crm_appointments()
    assert only["startDate"] == "2026-11-27T21:00:00.000Z"
    assert calendar_row(chat_world).crm_appointment_id == only["id"]


def test_cancelling_after_an_applied_but_failed_create_removes_it_from_shopmonkey(
    chat_world: ChatWorld,
) -> None:
    chat_world.shopmonkey.apply_then_fail_next("/v3/appointment", method="POST")
    book(chat_world)
    assert len(chat_world.crm_appointments()) == 1

    chat_world.container.booking.cancel(
        tenant_id=chat_world.tenant_id, lead_id=chat_world.lead_id, reason="plans changed"
    )
    chat_world.clock.advance(timedelta(minutes=5))
    chat_world.catch_up()  # the sweep reads the appointments read model
    swept = sync_pending_appointments(chat_world.container)

    assert swept == 1
    assert chat_world.crm_appointments() == []
    row = calendar_row(chat_world)
    assert (row.status, row.crm_sync) == ("cancelled", "synced")


def test_an_outage_that_outlasts_the_retries_flags_the_appointment_and_keeps_it(
    chat_world: ChatWorld,
) -> None:
    chat_world.shopmonkey.fail_next("/v3/appointment", times=MAX_ATTEMPTS, method="POST")
    appointment_id = book(chat_world)

    for _ in range(MAX_ATTEMPTS):
        chat_world.clock.advance(timedelta(hours=1))
        sync_appointment_to_crm(chat_world.container, chat_world.tenant_id, appointment_id)

    row = calendar_row(chat_world)
    assert row.crm_sync == "failed"
    assert f"gave up after {MAX_ATTEMPTS} attempts" in (row.crm_sync_error or "")
    assert row.status == "confirmed"
    assert chat_world.lead().status is LeadStatus.BOOKED
    chat_world.clock.advance(timedelta(hours=1))
    assert (
        sync_appointment_to_crm(chat_world.container, chat_world.tenant_id, appointment_id).status
        == "unchanged"
    )


def test_a_lead_without_a_crm_vehicle_is_flagged_at_once(chat_world: ChatWorld) -> None:
    lead_id = chat_world.new_lead(first_name="Nova", vehicle_id=None)

    book(chat_world, lead_id)

    row = calendar_row(chat_world, lead_id)
    assert row.crm_sync == "failed"
    assert row.crm_sync_error == "the lead has no CRM vehicle, and ShopMonkey needs one for an appointment"
    assert row.status == "confirmed"


def test_a_refused_request_is_not_retried(chat_world: ChatWorld) -> None:
    chat_world.shopmonkey.fail_next("/v3/appointment", times=1, status=400, method="POST")

    book(chat_world)

    row = calendar_row(chat_world)
    assert row.crm_sync == "failed" and "HTTP 400" in (row.crm_sync_error or "")
    order = chat_world.lead().crm_order_id
    posts = chat_world.shopmonkey.requests_to("/v3/appointment", method="POST")
    assert len([post for post in posts if post.json["orderId"] == order]) == 1


def test_one_sync_at_a_time_per_appointment(chat_world: ChatWorld) -> None:
    ledger = SyncLedger(chat_world.container.db)
    now = chat_world.clock.now()

    owner = ledger.lease("appointment-1", chat_world.tenant_id, now)
    second = ledger.lease("appointment-1", chat_world.tenant_id, now)
    assert owner is not None and second is None
    ledger.release("appointment-1", owner)
    assert ledger.lease("appointment-1", chat_world.tenant_id, now) is not None


@pytest.mark.parametrize("missing", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
def test_syncing_an_unknown_appointment_does_nothing(chat_world: ChatWorld, missing: str) -> None:
    assert sync_appointment_to_crm(chat_world.container, chat_world.tenant_id, missing).status == "missing"
