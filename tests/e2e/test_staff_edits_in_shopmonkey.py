"""Staff changing our booking in ShopMonkey's calendar, end to end.

PostgreSQL, the Dramatiq workers (in-memory broker), the ShopMonkey, SendGrid and Twilio stand-ins on
real sockets, the chat and webhook APIs over HTTP. Maya books through the chat; the booking reaches the
ShopMonkey calendar; then staff move, confirm or delete it there, and ShopMonkey's appointment webhooks
(signed as ShopMonkey signs them, including the ones echoing our own writes) bring the change back:
ours moves, and so does its reminder; a deletion cancels ours; our own writes change nothing.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from tests.support.chat_world import MAYA_EMAIL, ChatWorld, chat_servers
from tests.support.services import create_database, drop_database

from leadorch.adapters.shopmonkey_webhook import sign_delivery
from leadorch.app.booking.reminders import send_due_reminders
from leadorch.app.console.lead_page import build_lead_page
from leadorch.app.ingestion.poller import CrmPoller
from leadorch.app.readmodels.appointments import appointments_of_lead
from leadorch.domain.appointment import ShopConfirmation
from leadorch.domain.values import LeadStatus

SECRET = "whsec_bGVhZG9yY2gtZml4dHVyZS1zZWNyZXQtMzItYnl0ZXMh"
# Booked for Friday 27 November 2026, 09:00 in San Diego; staff move it to Saturday 28, 11:00 (PST).
_deliveries = itertools.count(1)
FRIDAY_0900 = datetime(2026, 11, 27, 17, tzinfo=UTC)
SATURDAY_1100 = datetime(2026, 11, 28, 19, tzinfo=UTC)


@pytest.fixture(scope="module")
def servers(pg_admin_url: str) -> Iterator[ChatWorld]:
    url = create_database(pg_admin_url)
    try:
        with chat_servers(url, workers=True) as servers:
            yield servers
    finally:
        drop_database(pg_admin_url, url)


@pytest.fixture
def world(servers: ChatWorld) -> ChatWorld:
    world = servers.fresh_tenant()
    world.container.config.set_crm_credentials(world.tenant_id, webhook_secret=SECRET, actor="test")
    world.shopmonkey.take_webhook_events()  # what other tests left queued
    return world


def deliver_shopmonkeys_webhooks(world: ChatWorld) -> list[str]:
    """Post every appointment webhook ShopMonkey queued, signed as it signs them; the answers."""
    answers = []
    for event in world.shopmonkey.take_webhook_events():
        body = json.dumps(event).encode()
        msg_id = f"msg_staffedits{next(_deliveries):06d}"
        headers = sign_delivery(SECRET, body, msg_id=msg_id, timestamp=world.clock.now())
        response = world.client.post(f"/webhooks/shopmonkey/{world.tenant_id}", content=body, headers=headers)
        assert response.status_code == 200, response.text
        answers.append(response.json()["status"])
    world.settle()
    return answers


def book_friday_nine(world: ChatWorld) -> str:
    """Maya books the premium package for Friday 09:00 through the chat; it is synced to ShopMonkey."""
    world.say("How much for the premium package?")
    times = world.say("what times do you have Friday?")
    first = times["slots"][0]
    booked = world.say(f"Book {first['label']} ({first['start']})")
    world.settle()
    assert booked["appointment"]["label"] == "Fri Nov 27, 9:00 AM PST"
    appointment_id: str = booked["appointment"]["id"]
    return appointment_id


def shop_events(world: ChatWorld) -> list[str]:
    return [
        type(event).__qualname__
        for suffix in ("RescheduledByShop", "CancelledByShop", "ShopConfirmationRecorded")
        for event in world.events(f"Appointment.{suffix}")
    ]


def test_staff_moving_our_appointment_in_shopmonkey_moves_ours_and_its_reminder(world: ChatWorld) -> None:
    appointment_id = book_friday_nine(world)
    (at_shop,) = world.crm_appointments()
    assert at_shop["metadata"] == {"leadorchAppointmentId": appointment_id}
    assert deliver_shopmonkeys_webhooks(world) == ["accepted"]  # our create, echoing back
    assert shop_events(world) == []
    writes_before = len(world.shopmonkey.requests_to("/v3/appointment*", "PUT"))

    world.clock.advance(timedelta(hours=2))
    world.shopmonkey.staff_update_appointment(
        at_shop["id"], startDate="2026-11-28T19:00:00.000Z", endDate="2026-11-28T22:00:00.000Z"
    )
    assert deliver_shopmonkeys_webhooks(world) == ["accepted"]

    appointment = world.appointment(appointment_id)
    assert appointment.interval == (SATURDAY_1100, SATURDAY_1100 + timedelta(hours=3))
    assert appointment.is_confirmed and not appointment.needs_crm_sync
    assert shop_events(world) == ["Appointment.RescheduledByShop"]
    (row,) = appointments_of_lead(world.container.db, world.tenant_id, world.lead_id)
    assert (row.start_at, row.crm_sync) == (SATURDAY_1100, "synced")
    assert world.lead().status is LeadStatus.BOOKED
    # The CRM already holds the shop's time: nothing is written back to it.
    assert len(world.shopmonkey.requests_to("/v3/appointment*", "PUT")) == writes_before
    assert world.crm_appointments()[0]["startDate"] == "2026-11-28T19:00:00.000Z"

    # The reminder follows: none a day before the old time, one a day before the new one.
    world.clock.set(FRIDAY_0900 - timedelta(hours=24))
    assert send_due_reminders(world.container) == 0
    world.clock.set(SATURDAY_1100 - timedelta(hours=24))
    assert send_due_reminders(world.container) == 1
    world.settle()
    (reminder,) = [m for m in world.emails_to(MAYA_EMAIL) if "reminder" in m.text.lower()]
    assert "Sat Nov 28, 11:00 AM" in reminder.text


def test_our_own_moves_echoing_back_from_shopmonkey_change_nothing(world: ChatWorld) -> None:
    appointment_id = book_friday_nine(world)
    world.clock.advance(timedelta(minutes=3))
    world.say("can I move it to Saturday?")
    moved = world.say("the first one")
    world.settle()
    assert moved["appointment"]["label"] == "Sat Nov 28, 10:00 AM PST"

    answers = deliver_shopmonkeys_webhooks(world)  # the create's and the move's echoes, in order

    assert answers == ["accepted", "accepted"]
    assert shop_events(world) == []
    assert world.appointment(appointment_id).start == datetime(2026, 11, 28, 18, tzinfo=UTC)


def test_a_late_echo_of_our_earlier_write_does_not_move_ours_back(world: ChatWorld) -> None:
    appointment_id = book_friday_nine(world)
    world.clock.advance(timedelta(minutes=3))
    world.say("can I move it to Saturday?")
    world.say("the first one")
    world.settle()
    create_echo, move_echo = world.shopmonkey.take_webhook_events()
    world.shopmonkey.webhook_events.extend([move_echo, create_echo])  # delivered out of order

    assert deliver_shopmonkeys_webhooks(world) == ["accepted", "accepted"]

    assert shop_events(world) == []
    assert world.appointment(appointment_id).start == datetime(2026, 11, 28, 18, tzinfo=UTC)


def test_staff_deleting_it_in_shopmonkey_cancels_ours_and_frees_the_lead_to_book_again(
    world: ChatWorld,
) -> None:
    appointment_id = book_friday_nine(world)
    deliver_shopmonkeys_webhooks(world)
    (at_shop,) = world.crm_appointments()

    world.shopmonkey.staff_delete_appointment(at_shop["id"])
    assert deliver_shopmonkeys_webhooks(world) == ["accepted"]

    appointment = world.appointment(appointment_id)
    assert (appointment.status.value, appointment.status_reason) == (
        "cancelled",
        "deleted by the shop in the CRM",
    )
    assert world.lead().status is LeadStatus.ENGAGED
    assert world.shopmonkey.requests_to("/v3/appointment/*", "DELETE") == []  # nothing to delete twice
    (row,) = appointments_of_lead(world.container.db, world.tenant_id, world.lead_id)
    assert (row.status, row.crm_sync) == ("cancelled", "synced")
    again = world.say("what times do you have Friday?")
    assert again["slots"][0]["label"] == "Fri Nov 27, 9:00 AM PST"  # the slot is free again


def test_a_confirmation_or_decline_set_in_shopmonkey_shows_on_ours(world: ChatWorld) -> None:
    appointment_id = book_friday_nine(world)
    deliver_shopmonkeys_webhooks(world)
    (at_shop,) = world.crm_appointments()

    world.clock.advance(timedelta(minutes=5))
    world.shopmonkey.staff_update_appointment(at_shop["id"], confirmationStatus="Confirmed", confirmed=True)
    deliver_shopmonkeys_webhooks(world)
    confirmed = world.appointment(appointment_id).shop_confirmation
    world.clock.advance(timedelta(minutes=5))
    world.shopmonkey.staff_update_appointment(at_shop["id"], confirmationStatus="Declined", confirmed=False)
    deliver_shopmonkeys_webhooks(world)

    appointment = world.appointment(appointment_id)
    assert (confirmed, appointment.shop_confirmation) == (
        ShopConfirmation.CONFIRMED,
        ShopConfirmation.DECLINED,
    )
    assert appointment.is_confirmed and appointment.start == FRIDAY_0900  # a decline is shown, not acted on
    (row,) = appointments_of_lead(world.container.db, world.tenant_id, world.lead_id)
    assert (row.status, row.shop_confirmation) == ("confirmed", "declined")
    (shown,) = build_lead_page(world.container, world.tenant_id, world.lead_id, reveal=False).appointments
    assert shown.shop_confirmation == "declined"


def test_the_poller_brings_a_staff_move_whose_webhook_never_came(world: ChatWorld) -> None:
    appointment_id = book_friday_nine(world)
    (at_shop,) = world.crm_appointments()
    world.clock.advance(timedelta(hours=1))
    world.shopmonkey.staff_update_appointment(
        at_shop["id"], startDate="2026-11-28T19:00:00.000Z", endDate="2026-11-28T22:00:00.000Z"
    )
    world.shopmonkey.take_webhook_events()  # the webhook is in an error state: nothing is delivered

    first = CrmPoller(world.container).poll(world.tenant_id)
    world.settle()
    again = CrmPoller(world.container).poll(world.tenant_id)

    assert world.appointment(appointment_id).start == SATURDAY_1100
    assert shop_events(world) == ["Appointment.RescheduledByShop"]
    assert first.appointments_complete and first.appointment_versions_new == 1
    assert again.appointment_versions_new == 0  # each version once, however often it is polled
    searches = world.shopmonkey.requests_to("/v3/appointment/search", "POST")
    assert searches[-1].json["orderBy"] == {"createdDate": "asc"}
