"""Every booking, move and cancellation reaches the shop's calendar in ShopMonkey (the fake, on a socket).

The sync's state shows in the appointments read model; an outage is retried with backoff; a refusal,
or an outage that outlasts the retries, flags the appointment for staff and never cancels it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.support.booking_claims import FRIDAY_10AM, book
from tests.support.chat_world import LOCATION, MAYA_CUSTOMER, MAYA_VEHICLE, ChatWorld
from tests.support.chat_world import chat_servers_on as chat_servers_on
from tests.support.chat_world import world as world

from leadorch.adapters.offline_assistant import OfflineAssistant
from leadorch.app.booking.crm_sync import (
    MAX_ATTEMPTS,
    SyncLedger,
    SyncOutcome,
    sync_appointment_to_crm,
    sync_pending_appointments,
)
from leadorch.app.booking.service import booking_service
from leadorch.app.config import config_service
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


def test_a_chat_booking_appears_in_shopmonkey_with_what_the_customer_asked(world: ChatWorld) -> None:
    world.container.extras["assistant"] = OfflineAssistant()
    world.say("How much for the premium package?")
    world.say("what times do you have Friday for the premium package?")

    world.say("Book Fri Nov 27, 10:00 AM (2026-11-27T10:00:00-08:00)")

    (created,) = world.crm_appointments()
    lead = world.lead()
    row = calendar_row(world)
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


def test_a_move_updates_and_a_cancellation_deletes_the_shopmonkey_appointment(world: ChatWorld) -> None:
    book(world)
    (created,) = world.crm_appointments()
    location = config_service(world.container).location(world.tenant_id, LOCATION)
    service = booking_service(world.container)

    service.reschedule(
        tenant_id=world.tenant_id,
        lead_id=world.lead_id,
        location=location,
        start=FRIDAY_10AM + timedelta(hours=3),
    )
    (moved,) = world.crm_appointments()
    service.cancel(tenant_id=world.tenant_id, lead_id=world.lead_id, reason="plans changed")

    assert moved["id"] == created["id"] and moved["startDate"] == "2026-11-27T21:00:00.000Z"
    assert world.crm_appointments() == []
    deletes = world.shopmonkey.requests_to(f"/v3/appointment/{created['id']}", method="DELETE")
    assert len(deletes) == 1 and deletes[0].json == {}
    row = calendar_row(world)
    assert (row.status, row.crm_sync) == ("cancelled", "synced")


def test_an_outage_is_retried_with_backoff_until_shopmonkey_takes_it(world: ChatWorld) -> None:
    world.shopmonkey.fail_next("/v3/appointment", times=2, method="POST")

    appointment_id = book(world)  # the first attempt runs with the booking and fails
    row = calendar_row(world)
    assert row.crm_sync == "pending" and f"(attempt 1 of {MAX_ATTEMPTS})" in (row.crm_sync_error or "")
    early = sync_appointment_to_crm(world.container, world.tenant_id, appointment_id)
    world.clock.advance(timedelta(seconds=6))
    second = sync_appointment_to_crm(world.container, world.tenant_id, appointment_id)
    world.clock.advance(timedelta(minutes=1))
    swept = sync_pending_appointments(world.container)

    assert early.status == "waiting"  # the backoff is honoured
    assert second.status == "retrying"
    assert swept == 1
    row = calendar_row(world)
    assert row.crm_sync == "synced" and row.crm_sync_error is None
    assert len(world.crm_appointments()) == 1


def test_a_create_shopmonkey_applied_but_answered_500_is_adopted_not_made_twice(world: ChatWorld) -> None:
    world.shopmonkey.apply_then_fail_next("/v3/appointment", method="POST")

    appointment_id = book(world)  # ShopMonkey stores it, yet the answer is a 500
    assert calendar_row(world).crm_sync == "pending"
    world.clock.advance(timedelta(seconds=6))
    retry = sync_appointment_to_crm(world.container, world.tenant_id, appointment_id)

    (only,) = world.crm_appointments()
    assert retry == SyncOutcome("adopted", only["id"])
    posts = world.shopmonkey.requests_to("/v3/appointment", method="POST")
    assert len([post for post in posts if post.json["orderId"] == world.lead().crm_order_id]) == 1
    row = calendar_row(world)
    assert (row.crm_sync, row.crm_appointment_id, row.crm_sync_error) == ("synced", only["id"], None)


def test_an_applied_create_whose_note_staff_rewrote_is_still_adopted_by_its_times(world: ChatWorld) -> None:
    world.shopmonkey.apply_then_fail_next("/v3/appointment", method="POST")
    appointment_id = book(world)
    (stored,) = world.crm_appointments()
    stored["note"] = "Customer will drop the car off early"

    world.clock.advance(timedelta(seconds=6))
    retry = sync_appointment_to_crm(world.container, world.tenant_id, appointment_id)

    assert retry.status == "adopted" and [a["id"] for a in world.crm_appointments()] == [stored["id"]]


def test_a_retry_adopts_the_applied_create_and_moves_it_when_the_booking_moved(world: ChatWorld) -> None:
    world.shopmonkey.apply_then_fail_next("/v3/appointment", method="POST")
    book(world)
    location = config_service(world.container).location(world.tenant_id, LOCATION)

    booking_service(world.container).reschedule(
        tenant_id=world.tenant_id,
        lead_id=world.lead_id,
        location=location,
        start=FRIDAY_10AM + timedelta(hours=3),
    )
    world.clock.advance(timedelta(minutes=5))
    world.catch_up()
    assert sync_pending_appointments(world.container) == 1

    (only,) = world.crm_appointments()
    assert only["startDate"] == "2026-11-27T21:00:00.000Z"
    assert calendar_row(world).crm_appointment_id == only["id"]


def test_cancelling_after_an_applied_but_failed_create_removes_it_from_shopmonkey(world: ChatWorld) -> None:
    world.shopmonkey.apply_then_fail_next("/v3/appointment", method="POST")
    book(world)
    assert len(world.crm_appointments()) == 1

    booking_service(world.container).cancel(
        tenant_id=world.tenant_id, lead_id=world.lead_id, reason="plans changed"
    )
    world.clock.advance(timedelta(minutes=5))
    world.catch_up()  # the sweep reads the appointments read model
    swept = sync_pending_appointments(world.container)

    assert swept == 1
    assert world.crm_appointments() == []
    row = calendar_row(world)
    assert (row.status, row.crm_sync) == ("cancelled", "synced")


def test_an_outage_that_outlasts_the_retries_flags_the_appointment_and_keeps_it(world: ChatWorld) -> None:
    world.shopmonkey.fail_next("/v3/appointment", times=MAX_ATTEMPTS, method="POST")
    appointment_id = book(world)

    for _ in range(MAX_ATTEMPTS):
        world.clock.advance(timedelta(hours=1))
        sync_appointment_to_crm(world.container, world.tenant_id, appointment_id)

    row = calendar_row(world)
    assert row.crm_sync == "failed"
    assert f"gave up after {MAX_ATTEMPTS} attempts" in (row.crm_sync_error or "")
    assert row.status == "confirmed"
    assert world.lead().status is LeadStatus.BOOKED
    world.clock.advance(timedelta(hours=1))
    assert sync_appointment_to_crm(world.container, world.tenant_id, appointment_id).status == "unchanged"


def test_a_lead_without_a_crm_vehicle_is_flagged_at_once(world: ChatWorld) -> None:
    lead_id = world.new_lead(first_name="Nova", vehicle_id=None)

    book(world, lead_id)

    row = calendar_row(world, lead_id)
    assert row.crm_sync == "failed"
    assert row.crm_sync_error == "the lead has no CRM vehicle, and ShopMonkey needs one for an appointment"
    assert row.status == "confirmed"


def test_a_refused_request_is_not_retried(world: ChatWorld) -> None:
    world.shopmonkey.fail_next("/v3/appointment", times=1, status=400, method="POST")

    book(world)

    row = calendar_row(world)
    assert row.crm_sync == "failed" and "HTTP 400" in (row.crm_sync_error or "")
    order = world.lead().crm_order_id
    posts = world.shopmonkey.requests_to("/v3/appointment", method="POST")
    assert len([post for post in posts if post.json["orderId"] == order]) == 1


def test_one_sync_at_a_time_per_appointment(world: ChatWorld) -> None:
    ledger = SyncLedger(world.container.db)
    now = world.clock.now()

    owner = ledger.lease("appointment-1", world.tenant_id, now)
    second = ledger.lease("appointment-1", world.tenant_id, now)
    assert owner is not None and second is None
    ledger.release("appointment-1", owner)
    assert ledger.lease("appointment-1", world.tenant_id, now) is not None


@pytest.mark.parametrize("missing", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
def test_syncing_an_unknown_appointment_does_nothing(world: ChatWorld, missing: str) -> None:
    assert sync_appointment_to_crm(world.container, world.tenant_id, missing).status == "missing"
