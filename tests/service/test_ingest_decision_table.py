"""What ingestion decides for an order version, as a table: the fast tier (no server, fakes of our ports)."""

from __future__ import annotations

from typing import Any

import pytest

from leadorch.domain.intake import IntakeOutcome
from leadorch.domain.values import Channel
from tests.service.conftest import TENANT, ServiceWorld, customer

DECISIONS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("a fresh website quote", {}, {}, "lead_created"),
    (
        "an order not named as a website quote",
        {"name": "Brake job"},
        {},
        "rejected: name 'Brake job' does not start with 'New Quote'",
    ),
    (
        "a quote in another workflow status",
        {"workflow_status_id": "wf-phone"},
        {},
        "rejected: workflow status 'wf-phone' is not one of the tenant's website-lead statuses",
    ),
    (
        "a quote at a location we do not serve",
        {"location_id": "loc-elsewhere"},
        {},
        "rejected: location 'loc-elsewhere' is not a configured location",
    ),
    (
        "an authorized repair order",
        {"authorized": True, "status": "RepairOrder"},
        {},
        "rejected: status is 'RepairOrder', not 'Estimate'; the order is already authorized",
    ),
    (
        "an invoiced order",
        {"invoiced": True, "status": "Invoice"},
        {},
        "rejected: status is 'Invoice', not 'Estimate'; the order is invoiced",
    ),
    (
        "a customer with no email and no phone",
        {},
        {"email": None, "phone": None},
        "rejected: the customer cannot be contacted: no usable email address or phone number on file",
    ),
]


@pytest.mark.parametrize(
    ("case", "order_changes", "customer_changes", "summary"), DECISIONS, ids=[d[0] for d in DECISIONS]
)
def test_the_decision_for_each_kind_of_order_with_its_reasons(
    service_world: ServiceWorld,
    case: str,
    order_changes: dict[str, Any],
    customer_changes: dict[str, Any],
    summary: str,
) -> None:
    service_world.crm.customers["c-1"] = customer(**customer_changes)
    order = service_world.order("o-1", **order_changes)

    decision = service_world.container.ingestion.process_order(
        TENANT, order, source="webhook", received_at=order.updated_date
    )

    assert decision.summary == summary
    assert decision.lead_created is (decision.outcome is IntakeOutcome.LEAD_CREATED)


def test_the_same_version_twice_is_one_lead(service_world: ServiceWorld) -> None:
    order = service_world.order("o-1")
    ingestion = service_world.container.ingestion

    first = ingestion.process_order(TENANT, order, source="webhook", received_at=order.updated_date)
    second = ingestion.process_order(TENANT, order, source="poll", received_at=order.updated_date)

    assert first.lead_created and not second.lead_created
    assert second.duplicate and second.lead_id == first.lead_id


@pytest.mark.parametrize(
    ("email_subscribed", "sms_subscribed", "channels"),
    [
        (True, True, {Channel.EMAIL, Channel.SMS}),
        (True, False, {Channel.EMAIL}),
        (False, True, {Channel.SMS}),
    ],
)
def test_a_lead_may_be_contacted_only_on_the_channels_the_customer_consented_to(
    service_world: ServiceWorld, email_subscribed: bool, sms_subscribed: bool, channels: set[Channel]
) -> None:
    service_world.crm.customers["c-1"] = customer(
        email_subscribed=email_subscribed, sms_subscribed=sms_subscribed
    )
    order = service_world.order("o-1")

    decision = service_world.container.ingestion.process_order(
        TENANT, order, source="webhook", received_at=order.updated_date
    )

    from leadorch.app.leads.use_cases import lead_uuid
    from leadorch.domain.lead import Lead

    lead = service_world.container.store.load(lead_uuid(decision.lead_id), Lead, TENANT)
    assert {channel for channel in Channel if lead.can_contact(channel)} == channels
