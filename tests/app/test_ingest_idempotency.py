"""Not one lead imported twice: the same delivery 20 times (10 at once, over real sockets), the same
order version under another delivery id, and the poller seeing it too make one lead, one schedule and
one touch 1. Runs on SQLite and PostgreSQL with the in-process worker."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from tests.support.shopmonkey_world import (
    LEAD_ORDER,
    TENANT,
    ShopMonkeyWorld,
    drain,
    start_runtime,
)

from leadorch.adapters.shopmonkey_webhook import parse_delivery
from leadorch.adapters.standins.server import serve_in_thread
from leadorch.app.http.app import create_app
from leadorch.app.ingestion.poller import CrmPoller
from leadorch.app.ingestion.service import IngestionService
from leadorch.domain.intake import IntakeOutcome, IntakeSource


def touch_one_claims(world: ShopMonkeyWorld) -> int:
    return sum(1 for e in world.events_of("TouchPointSchedule.TouchClaimed") if e.touch_number == 1)


def test_twenty_deliveries_and_a_poll_make_one_lead_one_schedule_and_one_touch_one(
    shopmonkey_world: ShopMonkeyWorld,
) -> None:
    runtime, enqueued = start_runtime(shopmonkey_world, threads=4)
    server = serve_in_thread(create_app(shopmonkey_world.container))
    body = shopmonkey_world.body("order-insert-website-lead")
    headers = shopmonkey_world.signed(body, request_id="req_same_delivery")
    url = f"{server.url}/webhooks/shopmonkey/{TENANT}"
    start = threading.Barrier(10)

    def post(_: int) -> str:
        start.wait(timeout=10)
        return str(httpx.post(url, content=body, headers=headers, timeout=30).json()["status"])

    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            concurrent = list(pool.map(post, range(10)))
        sequential = [
            httpx.post(url, content=body, headers=headers, timeout=30).json()["status"] for _ in range(10)
        ]
        other_id = httpx.post(url, content=body, headers=shopmonkey_world.signed(body), timeout=30).json()[
            "status"
        ]
        drain(runtime)
        poll = CrmPoller(shopmonkey_world.container).poll(TENANT)
        drain(runtime)
    finally:
        server.stop()

    assert sorted(concurrent + sequential) == ["accepted"] + ["duplicate"] * 19
    assert other_id == "duplicate"
    assert poll.versions_new == 1  # only the repair order, which came by no webhook
    assert len(shopmonkey_world.events_of("Lead.Registered")) == 1
    assert len(shopmonkey_world.events_of("TouchPointSchedule.Started")) == 1
    assert [
        e.outcome
        for e in shopmonkey_world.events_of("OrderIntake.OrderVersionSeen")
        if e.order_id == LEAD_ORDER
    ] == ["lead_created"]
    assert enqueued.counts["process_inbox_delivery"] == 1
    assert enqueued.counts["dispatch_touch"] == 1
    assert touch_one_claims(shopmonkey_world) == 1


def test_concurrent_imports_of_one_order_version_collide_and_only_one_creates_the_lead(
    shopmonkey_world: ShopMonkeyWorld,
) -> None:
    """Below the inbox: ten workers deciding on the same version at once (e.g. expired claims)."""
    body = shopmonkey_world.body("order-insert-website-lead")
    delivery = parse_delivery(body, shopmonkey_world.signed(body))
    assert delivery.order is not None
    service = shopmonkey_world.container.ingestion
    services = [service] + [IngestionService(shopmonkey_world.container) for _ in range(3)]
    start = threading.Barrier(10)

    def decide(i: int) -> tuple[IntakeOutcome, bool, bool]:
        start.wait(timeout=10)
        decision = services[i % len(services)].process_order(
            TENANT, delivery.order, source=IntakeSource.WEBHOOK, received_at=shopmonkey_world.clock.now()
        )
        return decision.outcome, decision.lead_created, decision.duplicate

    with ThreadPoolExecutor(max_workers=10) as pool:
        decisions = list(pool.map(decide, range(10)))

    assert sorted(decisions) == [(IntakeOutcome.LEAD_CREATED, False, True)] * 9 + [
        (IntakeOutcome.LEAD_CREATED, True, False)
    ]
    assert len(shopmonkey_world.events_of("Lead.Registered")) == 1
    assert len(shopmonkey_world.events_of("TouchPointSchedule.Started")) == 1
