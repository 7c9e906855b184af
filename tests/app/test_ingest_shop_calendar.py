"""Appointment webhooks: changes staff make in the shop's ShopMonkey calendar go through the same verified
inbox as orders (acknowledged only once stored) and are decided on with their reasons. Staff making an
appointment on a lead's order hands the lead to the shop. Runs on SQLite and PostgreSQL.

(Our own appointments moved, cancelled or confirmed at the shop: `tests/e2e/test_staff_edits_in_shopmonkey.py`.)
"""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from litestar.testing import TestClient
from tests.support.shopmonkey_world import ShopMonkeyWorld, deliver, inbox_row

from leadorch.app.booking.shop_changes import STAFF_SET_AN_APPOINTMENT
from leadorch.app.ingestion.inbox import InboxStatus
from leadorch.domain.values import LeadStatus

MOVED_BY_STAFF = "appointment-update-moved-by-staff"


def appointment_body(world: ShopMonkeyWorld, operation: str = "INSERT", **changes: Any) -> bytes:
    """An appointment webhook from the fixture row, changed as given (no metadata: made by staff)."""
    payload = json.loads(world.body(MOVED_BY_STAFF))
    payload["operation"] = operation
    payload["data"].update(changes)
    if operation != "UPDATE":
        payload.pop("diff", None)
    return json.dumps(payload).encode()


def a_lead_for(world: ShopMonkeyWorld, client: TestClient, order_id: str) -> None:
    deliver(world, client, world.order_body(world.add_order(order_id)))
    assert world.lead(order_id).status is LeadStatus.NEW


def test_an_appointment_delivery_is_stored_for_processing_not_ignored(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    body = world.body(MOVED_BY_STAFF)
    headers = world.signed(body, request_id="req_moved_unknown")

    response = shopmonkey_client.post("/webhooks/shopmonkey/tint", content=body, headers=headers)

    assert response.json() == {"status": "accepted"}
    row = inbox_row(world, "req_moved_unknown")
    assert row.status is InboxStatus.PENDING and row.appointment is not None
    assert row.appointment.our_id == "0d6f3c9e-2b5a-4d8e-9a61-3f7c2e1b8a40"
    again = shopmonkey_client.post("/webhooks/shopmonkey/tint", content=body, headers=headers)
    assert again.json() == {"status": "duplicate"}


def test_a_move_naming_an_appointment_we_do_not_have_is_ignored_with_the_reason(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    body = appointment_body(world, "UPDATE", updatedDate="2026-11-22T16:25:00.000Z")

    deliver(world, shopmonkey_client, body, request_id="req_moved_stranger")

    row = inbox_row(world, "req_moved_stranger")
    assert row.status is InboxStatus.IGNORED
    assert "0d6f3c9e-2b5a-4d8e-9a61-3f7c2e1b8a40" in row.reason and "does not have" in row.reason


def test_staff_making_an_appointment_on_a_leads_order_hands_the_lead_to_the_shop(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    a_lead_for(world, shopmonkey_client, "o-staff-appointment")
    body = appointment_body(
        world, id="66a2aa01b7e4d9a1c2f3f0aa", orderId="o-staff-appointment", metadata=None, note="phone call"
    )

    deliver(world, shopmonkey_client, body, request_id="req_staff_made")

    lead = world.lead("o-staff-appointment")
    assert (lead.status, lead.outcome_reason) == (LeadStatus.HANDLED_BY_SHOP, STAFF_SET_AN_APPOINTMENT)
    assert world.schedule("o-staff-appointment").is_stopped
    row = inbox_row(world, "req_staff_made")
    assert (row.status, row.reason) == (InboxStatus.PROCESSED, f"handed_to_shop: {STAFF_SET_AN_APPOINTMENT}")


def test_a_staff_appointment_on_an_order_that_is_no_lead_is_ignored(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    body = appointment_body(world, id="66a2aa01b7e4d9a1c2f3f0bb", orderId="o-repair-only", metadata=None)

    deliver(world, shopmonkey_client, body, request_id="req_no_lead")

    row = inbox_row(world, "req_no_lead")
    assert (row.status, row.reason) == (InboxStatus.IGNORED, "ignored: order o-repair-only is not a lead's")


def test_an_appointment_row_with_a_broken_date_is_refused_with_the_reason(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    body = appointment_body(world, startDate="next week")
    headers = world.signed(body, request_id="req_bad_appointment")

    response = shopmonkey_client.post("/webhooks/shopmonkey/tint", content=body, headers=headers)

    assert response.status_code == 400
    assert "$.data.startDate" in response.json()["detail"]
    assert inbox_row(world, "req_bad_appointment").status is InboxStatus.REJECTED


def test_a_staff_appointment_on_the_order_of_a_lead_booked_through_the_assistant_does_not_hand_it_over(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    a_lead_for(world, shopmonkey_client, "o-booked-by-chat")
    lead = world.lead("o-booked-by-chat")
    lead.record_booking(appointment_id=uuid4(), at=world.clock.now())
    world.container.store.save(lead)
    body = appointment_body(world, id="66a2aa01b7e4d9a1c2f3f0dd", orderId="o-booked-by-chat", metadata=None)

    deliver(world, shopmonkey_client, body, request_id="req_staff_on_booked")

    assert world.lead("o-booked-by-chat").status is LeadStatus.BOOKED
    row = inbox_row(world, "req_staff_on_booked")
    assert row.status is InboxStatus.PROCESSED
    assert row.reason.startswith(
        "unchanged: not handed to the shop: cannot hand to shop: lead already booked"
    )
