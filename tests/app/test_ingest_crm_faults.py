"""ShopMonkey misbehaving while an order is processed: transient faults are ridden out or retried later,
permanent ones are rejections with their reason, and an acknowledged delivery is never dropped.
Runs on SQLite and PostgreSQL against the fake ShopMonkey on a real socket."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from tests.support.shopmonkey_world import (
    CUSTOMER,
    ShopMonkeyWorld,
    deliver,
    inbox_row,
)

from leadorch.app.ingestion.inbox import InboxStatus, WebhookInbox
from leadorch.domain.intake import IntakeOutcome


def customer_requests(world: ShopMonkeyWorld) -> int:
    return len(world.shopmonkey.requests_to(f"/v3/customer/{CUSTOMER}"))


def test_a_server_error_then_success_still_makes_the_lead(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    body = shopmonkey_module_world.new_quote("o-flaky")
    before = customer_requests(shopmonkey_module_world)
    shopmonkey_module_world.shopmonkey.fail_next(f"/v3/customer/{CUSTOMER}", status=500)

    decision = deliver(shopmonkey_module_world, shopmonkey_client, body)

    assert decision.outcome is IntakeOutcome.LEAD_CREATED
    assert customer_requests(shopmonkey_module_world) - before == 2


def test_a_rate_limit_is_waited_out_as_retry_after_asks(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    body = shopmonkey_module_world.new_quote("o-throttled")
    shopmonkey_module_world.shopmonkey.rate_limit_next("/v3/order/o-throttled", retry_after="1")
    started = time.monotonic()

    decision = deliver(shopmonkey_module_world, shopmonkey_client, body)

    assert decision.outcome is IntakeOutcome.LEAD_CREATED
    assert time.monotonic() - started >= 1.0
    assert len(shopmonkey_module_world.shopmonkey.requests_to("/v3/order/o-throttled")) == 2


def test_a_missing_customer_is_a_permanent_rejection_not_retried(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    body = shopmonkey_module_world.new_quote("o-orphan", customerId="66a1f0c1b7e4d9a1c2f3ffff")

    decision = deliver(shopmonkey_module_world, shopmonkey_client, body, request_id="req_orphan")

    assert decision.outcome is IntakeOutcome.REJECTED
    assert decision.reasons == ("customer 66a1f0c1b7e4d9a1c2f3ffff of the order was not found in the CRM",)
    row = inbox_row(shopmonkey_module_world, "req_orphan")
    assert row.status is InboxStatus.REJECTED and row.attempts == 1
    shopmonkey_module_world.clock.advance(timedelta(hours=2))
    assert "req_orphan" not in WebhookInbox(shopmonkey_module_world.container.db).take_due_for_relay(
        now=shopmonkey_module_world.clock.now()
    )


def test_a_missing_vehicle_still_makes_a_lead_without_one(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    body = shopmonkey_module_world.new_quote("o-no-vehicle", vehicleId="66a1f0c1b7e4d9a1c2f3eeee")

    decision = deliver(shopmonkey_module_world, shopmonkey_client, body)

    assert decision.outcome is IntakeOutcome.LEAD_CREATED
    assert decision.reasons == ("vehicle 66a1f0c1b7e4d9a1c2f3eeee was not found in the CRM",)
    lead = shopmonkey_module_world.lead("o-no-vehicle")
    assert lead.vehicle.description == "" and lead.crm_vehicle_id is None


@pytest.mark.parametrize("fault", ["refused credentials", "malformed answer"])
def test_a_crm_failure_puts_the_delivery_back_and_the_relay_brings_it_in_later(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient, fault: str
) -> None:
    order_id = f"o-retry-{fault.split()[0]}"
    body = shopmonkey_module_world.new_quote(order_id)
    request_id = f"req_{order_id}"
    api_key = shopmonkey_module_world.shopmonkey.api_key
    if fault == "refused credentials":
        shopmonkey_module_world.shopmonkey.api_key = "rotated-key"
    else:
        shopmonkey_module_world.shopmonkey.malformed_next(f"/v3/order/{order_id}")

    assert deliver(shopmonkey_module_world, shopmonkey_client, body, request_id=request_id) is None

    row = inbox_row(shopmonkey_module_world, request_id)
    assert (row.status, row.attempts) == (InboxStatus.PENDING, 1)
    assert row.reason.startswith("will retry: ShopMonkey")
    assert not shopmonkey_module_world.container.store.exists(shopmonkey_module_world.lead_id_of(order_id))
    shopmonkey_module_world.shopmonkey.api_key = api_key  # the shop fixed its key / ShopMonkey recovered
    inbox = WebhookInbox(shopmonkey_module_world.container.db)
    assert request_id not in inbox.take_due_for_relay(
        now=shopmonkey_module_world.clock.now()
    )  # it rests first
    shopmonkey_module_world.clock.advance(timedelta(seconds=16))
    assert request_id in inbox.take_due_for_relay(now=shopmonkey_module_world.clock.now())

    decision = shopmonkey_module_world.container.ingestion.process_delivery(request_id)

    assert decision is not None and decision.outcome is IntakeOutcome.LEAD_CREATED
    assert inbox_row(shopmonkey_module_world, request_id).status is InboxStatus.PROCESSED
