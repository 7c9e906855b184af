"""The polling backup finds orders whose webhook never came, and sees every order version exactly once
even when ShopMonkey's listing shuffles rows between pages and ignores the filter. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from tests.support.shopmonkey_world import (
    LEAD_ORDER,
    REPAIR_ORDER,
    TENANT,
    ShopMonkeyWorld,
)

from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.app.ingestion.inbox import WebhookInbox
from leadorch.app.ingestion.poller import SWEEP_EVERY, CrmPoller
from leadorch.app.ingestion.service import IngestionService
from leadorch.domain.intake import IntakeOutcome
from leadorch.ports.crm import CrmCustomer


class CarelessShopMonkey(FakeShopMonkey):
    """Answers order listings as if it understood neither the filter nor the sort: every order, every
    time, in whatever order (shuffled between calls when `shuffle_pages`)."""

    def _list_orders(self, query: dict[str, str]) -> Any:
        understood = {name: value for name, value in query.items() if name not in ("where", "orderby")}
        return super()._list_orders(understood)


def seen(world: ShopMonkeyWorld) -> Counter[tuple[str, datetime]]:
    return Counter((e.order_id, e.updated_date) for e in world.events_of("OrderIntake.OrderVersionSeen"))


def wire(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def test_the_poller_brings_in_an_order_whose_webhook_never_came(shopmonkey_world: ShopMonkeyWorld) -> None:
    poller = CrmPoller(shopmonkey_world.container)

    result = poller.poll(TENANT)

    assert result.complete and result.versions_new == 2
    assert result.outcomes == {"lead_created": 1, "rejected": 1}
    assert shopmonkey_world.lead(LEAD_ORDER).contact.first_name == "Maya"
    [lead_seen] = [
        e for e in shopmonkey_world.events_of("OrderIntake.OrderVersionSeen") if e.order_id == LEAD_ORDER
    ]
    assert (lead_seen.source, lead_seen.outcome) == ("poll", "lead_created")
    assert poller.cursor(TENANT) == datetime.fromisoformat("2026-11-20T17:42:05.118Z")
    # The next poll overlaps the last one and finds nothing new.
    shopmonkey_world.clock.advance(timedelta(seconds=30))
    again = poller.poll(TENANT)
    assert again.versions_matching == 2 and again.versions_new == 0
    assert set(seen(shopmonkey_world).values()) == {1}


def test_a_version_the_webhook_already_brought_is_not_processed_again(
    shopmonkey_world: ShopMonkeyWorld,
) -> None:
    from litestar.testing import TestClient
    from tests.support.shopmonkey_world import deliver

    from leadorch.app.http.app import create_app

    with TestClient(create_app(shopmonkey_world.container)) as client:
        deliver(shopmonkey_world, client, shopmonkey_world.body("order-insert-website-lead"))

    result = CrmPoller(shopmonkey_world.container).poll(TENANT)

    assert result.versions_new == 1  # only the repair order, which had no webhook
    assert seen(shopmonkey_world)[(LEAD_ORDER, datetime.fromisoformat("2026-11-20T17:42:05.118Z"))] == 1
    assert len(shopmonkey_world.events_of("Lead.Registered")) == 1


def test_the_cursor_moves_only_after_the_batch_is_processed(shopmonkey_world: ShopMonkeyWorld) -> None:
    class BrokenCustomerLookup:
        """Our own CRM port wrapped so that reading a customer fails unexpectedly."""

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        async def get_customer(self, customer_id: str, **contact_ids: str | None) -> CrmCustomer:
            raise RuntimeError("database of customers on fire")

    healthy = IngestionService(shopmonkey_world.container)
    broken = IngestionService(
        shopmonkey_world.container, crm=lambda tenant: BrokenCustomerLookup(healthy.crm_for_tenant(tenant))
    )

    with pytest.raises(RuntimeError, match="on fire"):
        CrmPoller(shopmonkey_world.container, broken).poll(TENANT)

    poller = CrmPoller(shopmonkey_world.container, healthy)
    assert poller.cursor(TENANT) is None
    pending = [
        row for row in WebhookInbox(shopmonkey_world.container.db).rows(TENANT) if row.status == "pending"
    ]
    assert [row.order.id for row in pending] == [LEAD_ORDER]  # put back, for the relay
    shopmonkey_world.clock.advance(timedelta(minutes=1))
    for request_id in WebhookInbox(shopmonkey_world.container.db).take_due_for_relay(
        now=shopmonkey_world.clock.now()
    ):
        healthy.process_delivery(request_id)
    result = poller.poll(TENANT)
    # The repair order was never reached by the failed poll; the quote is already in the inbox.
    assert (result.versions_new, result.outcomes, result.complete) == (1, {"rejected": 1}, True)
    assert poller.cursor(TENANT) is not None
    assert shopmonkey_world.lead(LEAD_ORDER).crm_order_id == LEAD_ORDER


def test_two_pollers_at_once_do_not_both_poll_a_tenant(shopmonkey_world: ShopMonkeyWorld) -> None:
    shopmonkey_world.shopmonkey.add_latency("/v3/order", 0.4)
    results = []

    def poll() -> None:
        results.append(CrmPoller(shopmonkey_world.container).poll(TENANT))

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(r.busy for r in results) == [False, True]
    assert (
        seen(shopmonkey_world) == Counter({k: 1 for k in seen(shopmonkey_world)})
        and len(seen(shopmonkey_world)) == 2
    )
    assert len(shopmonkey_world.events_of("Lead.Registered")) == 1


def test_a_late_visible_order_behind_the_cursor_is_found_by_the_periodic_wider_sweep(
    shopmonkey_world: ShopMonkeyWorld,
) -> None:
    poller = CrmPoller(shopmonkey_world.container)
    poller.poll(TENANT)
    cursor = poller.cursor(TENANT)
    assert cursor is not None
    hidden = shopmonkey_world.add_order("o-late-visible")
    hidden["updatedDate"] = wire(cursor - timedelta(hours=2))  # replicated late, dated well behind the cursor
    shopmonkey_world.shopmonkey.add_order(hidden)

    found_at = None
    for poll_number in range(2, SWEEP_EVERY + 1):
        shopmonkey_world.clock.advance(timedelta(seconds=30))
        result = poller.poll(TENANT)
        if result.versions_new:
            found_at = (poll_number, result.swept)
            break

    assert found_at == (SWEEP_EVERY, True)
    assert shopmonkey_world.lead("o-late-visible").crm_order_id == "o-late-visible"


def test_every_order_is_seen_exactly_once_through_shuffled_pages_and_an_ignored_filter(
    shared_world: ShopMonkeyWorld,
) -> None:
    world = shared_world
    world.reset(fake_class=CarelessShopMonkey, shuffle_pages=True, seed=7)
    now = world.clock.now()
    repair = world.shopmonkey.orders[REPAIR_ORDER]
    for i in range(120):
        stamp = now - timedelta(minutes=i, seconds=7)
        world.shopmonkey.add_order({**repair, "id": f"ro-{i:03d}", "updatedDate": wire(stamp)})
    for i in range(6):
        world.add_order(f"quote-{i}", minutes_ago=3 * i + 1)
    for i in range(20):  # updated days ago: outside every window, and the filter check must drop them
        world.shopmonkey.add_order(
            {**repair, "id": f"old-{i:02d}", "updatedDate": wire(now - timedelta(days=3))}
        )
    poller = CrmPoller(world.container)

    results = [poller.poll(TENANT)]
    for _ in range(3):  # later polls, with a fresh update of one order in between each
        world.clock.advance(timedelta(seconds=30))
        world.shopmonkey.update_order("ro-001", note="updated")
        results.append(poller.poll(TENANT))
    while not results[-1].complete and len(results) < 12:  # a listing this erratic may need a few more
        world.clock.advance(timedelta(seconds=30))
        results.append(poller.poll(TENANT))

    counts = seen(world)
    assert results[-1].complete and poller.cursor(TENANT) is not None
    assert set(counts.values()) == {1}
    assert not [order for order, _ in counts if order.startswith("old-")]
    expected = (
        {f"ro-{i:03d}" for i in range(120)} | {f"quote-{i}" for i in range(6)} | {LEAD_ORDER, REPAIR_ORDER}
    )
    assert {order for order, _ in counts} == expected
    assert sum(1 for order, _ in counts if order == "ro-001") == 4  # each of its versions once
    assert len(world.events_of("Lead.Registered")) == 7
    outcomes = Counter(e.outcome for e in world.events_of("OrderIntake.OrderVersionSeen"))
    assert outcomes[IntakeOutcome.LEAD_CREATED] == 7


def test_a_staff_appointment_on_a_leads_order_whose_webhook_never_came_hands_the_lead_over(
    shopmonkey_world: ShopMonkeyWorld,
) -> None:
    poller = CrmPoller(shopmonkey_world.container)
    poller.poll(TENANT)  # the fixture quote becomes a lead
    shopmonkey_world.clock.advance(timedelta(minutes=2))
    shopmonkey_world.shopmonkey.staff_add_appointment(
        {
            "id": "66a2aa01b7e4d9a1c2f3f0cc",
            "createdDate": wire(shopmonkey_world.clock.now()),
            "orderId": LEAD_ORDER,
            "locationId": "6198139a5391fa197fac13e7",
            "startDate": "2026-11-24T17:00:00.000Z",
            "endDate": "2026-11-24T19:00:00.000Z",
            "name": "Ceramic tint - phone booking",
            "confirmationStatus": "Confirmed",
        }
    )

    result = poller.poll(TENANT)

    assert result.appointments_complete and result.appointment_versions_new == 1
    assert shopmonkey_world.lead(LEAD_ORDER).status.value == "handled_by_shop"
    assert shopmonkey_world.schedule(LEAD_ORDER).is_stopped
    assert poller.poll(TENANT).appointment_versions_new == 0


def test_a_failing_appointment_listing_keeps_its_cursor_and_not_the_order_poll_from_finishing(
    shopmonkey_world: ShopMonkeyWorld,
) -> None:
    poller = CrmPoller(shopmonkey_world.container)
    shopmonkey_world.shopmonkey.fail_next("/v3/appointment/search", status=400)

    result = poller.poll(TENANT)

    assert result.complete and result.outcomes == {"lead_created": 1, "rejected": 1}
    assert not result.appointments_complete and result.appointment_cursor_after is None
    assert poller.cursor(TENANT) == datetime.fromisoformat("2026-11-20T17:42:05.118Z")
