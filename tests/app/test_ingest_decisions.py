"""What ingestion decides for each ShopMonkey order version, with its reasons in the ingest log.

Deliveries go through the real webhook endpoint and are processed as the worker does; customers and
vehicles come from the fake ShopMonkey on a socket through the production adapter. Runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4

import pytest
from litestar.testing import TestClient
from tests.support.shopmonkey_world import (
    CRM_LOCATION,
    CUSTOMER,
    STAFF_EMAIL,
    STAFF_PHONE,
    TENANT,
    ShopMonkeyWorld,
    deliver,
    inbox_row,
)

from leadorch.app.ingestion.inbox import InboxStatus
from leadorch.domain.intake import IntakeOutcome
from leadorch.domain.values import Channel, LeadStatus


def seen_events(world: ShopMonkeyWorld, order_id: str) -> list:
    return [e for e in world.events_of("OrderIntake.OrderVersionSeen") if e.order_id == order_id]


def later(row: dict, minutes: int = 5) -> str:
    from datetime import datetime

    stamp = datetime.fromisoformat(row["updatedDate"]) + timedelta(minutes=minutes)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def test_a_website_quote_becomes_a_lead_with_its_customer_vehicle_and_a_started_schedule(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    body = shopmonkey_module_world.new_quote("o-quote")

    decision = deliver(shopmonkey_module_world, shopmonkey_client, body, request_id="req_quote")

    assert decision.outcome is IntakeOutcome.LEAD_CREATED and decision.lead_created
    lead = shopmonkey_module_world.lead("o-quote")
    assert (lead.contact.first_name, lead.contact.last_name) == ("Maya", "Ortega")
    assert (lead.contact.email, lead.contact.phone) == ("maya.ortega@example.com", "+16195550142")
    assert lead.vehicle.description == "2024 Toyota Camry"
    # the website form's preamble is dropped: messages quote this back to the customer
    assert lead.services == ("Ceramic tint, all windows except windshield",)
    assert (lead.location_id, lead.crm_customer_id) == ("san-diego", CUSTOMER)
    assert lead.can_contact(Channel.EMAIL) and lead.can_contact(Channel.SMS)
    schedule = shopmonkey_module_world.schedule("o-quote")
    assert schedule.is_active and schedule.next_due_at is not None
    assert (
        schedule.next_due_at <= shopmonkey_module_world.clock.now()
    )  # touch 1 is due at once: inside the window
    [seen] = seen_events(shopmonkey_module_world, "o-quote")
    assert (seen.outcome, seen.accepted, seen.source, seen.lead_id) == (
        "lead_created",
        True,
        "webhook",
        str(lead.id),
    )
    assert inbox_row(shopmonkey_module_world, "req_quote").status is InboxStatus.PROCESSED


def test_the_staff_get_a_new_lead_alert_and_demo_mode_holds_back_what_is_not_allowed(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    deliver(shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.new_quote("o-alerted"))

    standins = shopmonkey_module_world.container.standins
    lead_id = str(shopmonkey_module_world.lead("o-alerted").id)
    [email] = [m for m in standins.sendgrid.outbox if m.custom_args.get("lead_id") == lead_id]
    assert email.to == [STAFF_EMAIL]
    assert "Maya" in email.subject and "2024 Toyota Camry" in email.subject
    assert "Ceramic tint" in email.text
    assert f"https://leads.tint.example.com/console/leads/{lead_id}" in email.text
    # The staff phone is not on the demo allow-list, so no text went to it.
    assert not [m for m in standins.twilio.outbox if m.to == STAFF_PHONE]


def test_a_repair_order_is_rejected_with_every_reason(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    body = shopmonkey_module_world.body("order-insert-repair-order")

    decision = deliver(shopmonkey_module_world, shopmonkey_client, body, request_id="req_repair")

    assert decision.outcome is IntakeOutcome.REJECTED
    [seen] = seen_events(shopmonkey_module_world, "66a1f0c2b7e4d9a1c2f3e4ff")
    assert not seen.accepted
    assert any("workflow status" in reason for reason in seen.reasons)
    assert any("'RepairOrder'" in reason for reason in seen.reasons)
    assert any("authorized" in reason for reason in seen.reasons)
    assert any("3 message(s)" in reason for reason in seen.reasons)
    assert any("does not start with 'New Quote'" in reason for reason in seen.reasons)
    row = inbox_row(shopmonkey_module_world, "req_repair")
    assert row.status is InboxStatus.REJECTED and "RepairOrder" in row.reason
    assert not shopmonkey_module_world.container.store.exists(
        shopmonkey_module_world.lead_id_of("66a1f0c2b7e4d9a1c2f3e4ff")
    )


def test_an_order_of_an_unknown_location_is_rejected_with_that_reason(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    body = shopmonkey_module_world.new_quote("o-elsewhere", locationId="5f0000000000000000000000")

    decision = deliver(shopmonkey_module_world, shopmonkey_client, body)

    assert decision.outcome is IntakeOutcome.REJECTED
    assert decision.reasons == ("location '5f0000000000000000000000' is not a configured location",)
    assert not shopmonkey_module_world.container.store.exists(
        shopmonkey_module_world.lead_id_of("o-elsewhere")
    )


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("order-update-staff-messaged", "shop staff messaged the customer in the CRM (1 message(s))"),
        ("order-update-appointment-set", "an appointment was set in the CRM"),
    ],
)
def test_when_staff_take_the_order_over_the_lead_is_handed_to_the_shop_and_its_schedule_stops(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient, fixture: str, reason: str
) -> None:
    order_id = f"o-takeover-{fixture[-5:]}"
    row = shopmonkey_module_world.add_order(order_id)
    deliver(shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(row))
    update = json.loads(shopmonkey_module_world.body(fixture))["data"]
    update.update(id=order_id, updatedDate=later(row))

    decision = deliver(
        shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(update, "UPDATE")
    )

    assert (decision.outcome, decision.reasons) == (IntakeOutcome.HANDED_TO_SHOP, (reason,))
    lead = shopmonkey_module_world.lead(order_id)
    assert (lead.status, lead.outcome_reason) == (LeadStatus.HANDLED_BY_SHOP, reason)
    schedule = shopmonkey_module_world.schedule(order_id)
    assert schedule.is_stopped and schedule.next_due_at is None
    assert [e.outcome for e in seen_events(shopmonkey_module_world, order_id)] == [
        "lead_created",
        "handed_to_shop",
    ]


def test_a_lead_booked_through_the_assistant_is_not_handed_over_for_its_own_appointment(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    row = shopmonkey_module_world.add_order("o-booked")
    deliver(shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(row))
    lead = shopmonkey_module_world.lead("o-booked")
    lead.record_booking(appointment_id=uuid4(), at=shopmonkey_module_world.clock.now())
    shopmonkey_module_world.container.store.save(lead)
    update = {**row, "appointmentDates": ["2026-11-24T16:00:00.000Z"], "updatedDate": later(row)}

    decision = deliver(
        shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(update, "UPDATE")
    )

    assert decision.outcome is IntakeOutcome.UNCHANGED
    assert "booked through the assistant" in decision.reasons[0]
    assert shopmonkey_module_world.lead("o-booked").status is LeadStatus.BOOKED


def test_other_changes_to_the_order_update_the_lead(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    row = shopmonkey_module_world.add_order("o-details")
    deliver(shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(row))
    update = {**row, "complaint": "Ceramic tint on the windshield only", "updatedDate": later(row)}

    decision = deliver(
        shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(update, "UPDATE")
    )

    assert (decision.outcome, decision.reasons) == (IntakeOutcome.LEAD_UPDATED, ("services",))
    assert shopmonkey_module_world.lead("o-details").services == ("Ceramic tint on the windshield only",)
    unchanged = {**update, "updatedDate": later(update)}
    assert (
        deliver(
            shopmonkey_module_world,
            shopmonkey_client,
            shopmonkey_module_world.order_body(unchanged, "UPDATE"),
        ).outcome
        is IntakeOutcome.UNCHANGED
    )


def test_an_older_version_arriving_late_never_undoes_a_newer_one(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    older = shopmonkey_module_world.add_order("o-late", minutes_ago=10)
    newer = {**older, "complaint": "Full ceramic package", "updatedDate": later(older)}
    shopmonkey_module_world.shopmonkey.add_order(newer)

    first = deliver(shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(newer))
    late = deliver(shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(older))

    assert first.outcome is IntakeOutcome.LEAD_CREATED
    assert late.outcome is IntakeOutcome.SUPERSEDED
    assert shopmonkey_module_world.lead("o-late").services == ("Full ceramic package",)


def test_an_order_that_changed_before_it_was_processed_is_decided_on_its_newest_version(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    delivered = shopmonkey_module_world.add_order("o-changed", minutes_ago=3)
    shopmonkey_module_world.shopmonkey.update_order(
        "o-changed", messageCount=1
    )  # staff answered before the worker ran
    current = shopmonkey_module_world.shopmonkey.orders["o-changed"]

    decision = deliver(
        shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(delivered)
    )

    assert decision.outcome is IntakeOutcome.REJECTED
    assert decision.reasons == ("the shop already exchanged 1 message(s) on the order",)
    assert not shopmonkey_module_world.container.store.exists(shopmonkey_module_world.lead_id_of("o-changed"))
    outcomes = {(e.source, e.outcome) for e in seen_events(shopmonkey_module_world, "o-changed")}
    assert outcomes == {("webhook", "superseded"), ("fetch", "rejected")}
    # When the newer version's own webhook arrives it is recognised as already decided.
    again = deliver(
        shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(current, "UPDATE")
    )
    assert again.duplicate and again.outcome is IntakeOutcome.REJECTED


def test_a_fetch_that_lags_behind_the_webhook_never_regresses_to_the_older_version(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    stale = shopmonkey_module_world.add_order("o-lagging", minutes_ago=3)
    delivered = {**stale, "complaint": "Windshield strip", "updatedDate": later(stale, 1)}

    decision = deliver(
        shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(delivered)
    )

    assert decision.outcome is IntakeOutcome.LEAD_CREATED
    assert shopmonkey_module_world.lead("o-lagging").services == ("Windshield strip",)


def test_a_deleted_order_hands_its_lead_to_the_shop(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    row = shopmonkey_module_world.add_order("o-deleted")
    deliver(shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(row))

    decision = deliver(
        shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(row, "DELETE")
    )

    assert decision.outcome is IntakeOutcome.DELETED
    assert shopmonkey_module_world.lead("o-deleted").status is LeadStatus.HANDLED_BY_SHOP
    assert shopmonkey_module_world.schedule("o-deleted").is_stopped
    assert (
        deliver(shopmonkey_module_world, shopmonkey_client, shopmonkey_module_world.order_body(row, "DELETE"))
        is None
    )  # the same deletion again


@pytest.mark.parametrize(
    ("customer_changes", "reason"),
    [
        ({"marketingOptIn": False}, "the customer opted out of marketing in the CRM"),
        ({"emails": [], "phoneNumbers": []}, "no usable email address or phone number on file"),
    ],
)
def test_a_customer_who_cannot_be_contacted_is_rejected_with_the_reason(
    shopmonkey_module_world: ShopMonkeyWorld,
    shopmonkey_client: TestClient,
    customer_changes: dict,
    reason: str,
) -> None:
    customer_id = f"c-{uuid4().hex[:8]}"
    shopmonkey_module_world.shopmonkey.add_customer(
        {**shopmonkey_module_world.shopmonkey.customers[CUSTOMER], "id": customer_id, **customer_changes}
    )
    body = shopmonkey_module_world.new_quote(f"o-{customer_id}", customerId=customer_id)

    decision = deliver(shopmonkey_module_world, shopmonkey_client, body)

    assert decision.outcome is IntakeOutcome.REJECTED
    assert decision.reasons == (f"the customer cannot be contacted: {reason}",)


def test_the_location_lookup_uses_the_crm_location_id(shopmonkey_module_world: ShopMonkeyWorld) -> None:
    from leadorch.app.ingestion.tenancy import tenant_view

    view = tenant_view(shopmonkey_module_world.container, TENANT)
    location = view.location_for(CRM_LOCATION)
    assert location is not None and location.location_id == "san-diego"
    assert view.location_for("san-diego") is None


@pytest.mark.parametrize(
    ("complaint", "services"),
    [
        (
            "Customer requested a quote online: Ceramic tint, all windows except windshield.",
            ["Ceramic tint, all windows except windshield"],
        ),
        ("Quote request: windshield strip", ["windshield strip"]),
        ("Ceramic tint on the rear windows", ["Ceramic tint on the rear windows"]),
        ("Time: 10:30 works", ["Time: 10:30 works"]),
        ("   ", []),
    ],
)
def test_the_requested_services_are_what_the_customer_asked_for_without_the_forms_preamble(
    complaint: str, services: list[str]
) -> None:
    from types import SimpleNamespace

    from leadorch.app.ingestion.order_reading import requested_services

    assert requested_services(SimpleNamespace(complaint=complaint)) == services  # type: ignore[arg-type]
