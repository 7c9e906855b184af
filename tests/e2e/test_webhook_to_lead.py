"""From a signed ShopMonkey webhook to a lead, end to end over real sockets.

Production shape: PostgreSQL, Redis, the API (uvicorn) and a worker as two separate containers sharing
the database, the fake ShopMonkey on its own socket. Embedded shape: SQLite and the in-process worker on
Dramatiq's in-memory broker. Both run the same story: a website quote becomes exactly one lead with its
customer, vehicle and started schedule (touch 1 claimed once); a repair order and an order of an unknown
location are rejected with their reasons in the ingest log; staff taking the order over hands the lead to
the shop; forgeries leave no trace. And with the broker down, the webhook still answers 2xx and the
relay delivers later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
from dramatiq.brokers.redis import RedisBroker
from tests.support.shopmonkey_world import (
    LEAD_ORDER,
    REPAIR_ORDER,
    START,
    TENANT,
    ShopMonkeyWorld,
    drain,
    shopmonkey_world,
    start_runtime,
    wait_until,
)

from leadorch.adapters.clocks import AdjustableClock
from leadorch.adapters.standins.server import serve_in_thread
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.http.app import create_app
from leadorch.app.ingestion.actors import RELAY_INBOX
from leadorch.app.ingestion.inbox import InboxStatus, WebhookInbox
from leadorch.app.projections.wiring import catch_up
from leadorch.app.readmodels.ingest_log import ingest_log
from leadorch.app.worker.runtime import build_runtime
from leadorch.domain.values import LeadStatus


def pending(container: Container) -> list[str]:
    return [
        row.request_id for row in WebhookInbox(container.db).rows(TENANT) if row.status is InboxStatus.PENDING
    ]


def touch_one_claims(world: ShopMonkeyWorld) -> int:
    return sum(1 for e in world.events_of("TouchPointSchedule.TouchClaimed") if e.touch_number == 1)


@contextmanager
def api(container: Container) -> Iterator[Callable[[bytes, dict[str, str]], httpx.Response]]:
    server = serve_in_thread(create_app(container))
    try:
        yield lambda body, headers: httpx.post(
            f"{server.url}/webhooks/shopmonkey/{TENANT}", content=body, headers=headers, timeout=30
        )
    finally:
        server.stop()


def the_story(
    world: ShopMonkeyWorld,
    post: Callable[[bytes, dict[str, str]], httpx.Response],
    settle: Callable[[], None],
) -> None:
    quote = world.body("order-insert-website-lead")
    forged = dict(world.signed(quote), **{"webhook-signature": "v1,bm90IHRoZSBzaWduYXR1cmU="})
    assert post(quote, forged).status_code == 401
    assert WebhookInbox(world.container.db).rows(TENANT) == []

    for body in (
        quote,
        world.body("order-insert-repair-order"),
        world.new_quote("o-far-away", locationId="f" * 24),
    ):
        assert post(body, world.signed(body)).json() == {"status": "accepted"}
    settle()

    lead = world.lead(LEAD_ORDER)
    assert (lead.contact.first_name, lead.contact.email, lead.contact.phone) == (
        "Maya",
        "maya.ortega@example.com",
        "+16195550142",
    )
    assert lead.vehicle.description == "2024 Toyota Camry"
    assert world.schedule(LEAD_ORDER).is_active
    assert len(world.events_of("Lead.Registered")) == 1
    wait_until(lambda: touch_one_claims(world) >= 1, what="touch 1 to be claimed")
    catch_up(world.container)
    log = {entry.order_id: entry for entry in ingest_log(world.container.db, TENANT)}
    assert (log[LEAD_ORDER].outcome, log[LEAD_ORDER].accepted) == ("lead_created", True)
    assert log[REPAIR_ORDER].outcome == "rejected"
    assert any("'RepairOrder'" in reason for reason in log[REPAIR_ORDER].reasons)
    assert log["o-far-away"].reasons == [f"location '{'f' * 24}' is not a configured location"]

    for fixture in ("order-update-staff-messaged", "order-update-appointment-set"):
        body = world.body(fixture)
        assert post(body, world.signed(body)).json() == {"status": "accepted"}
        settle()
    lead = world.lead(LEAD_ORDER)
    assert lead.status is LeadStatus.HANDLED_BY_SHOP
    assert lead.outcome_reason == "shop staff messaged the customer in the CRM (1 message(s))"
    assert world.schedule(LEAD_ORDER).is_stopped
    assert touch_one_claims(world) == 1
    assert len(world.events_of("Lead.Registered")) == 1


@pytest.mark.postgres
@pytest.mark.redis
def test_on_postgresql_and_redis_with_a_separate_worker(pg_url: str, clean_redis: str) -> None:
    with shopmonkey_world(pg_url, redis_url=clean_redis) as world:
        build_runtime(world.container)  # the API process only sends to Redis
        worker = bootstrap(world.container.settings, clock=AdjustableClock(START))
        runtime, enqueued = start_runtime(worker, threads=4)
        try:
            with api(world.container) as post:
                the_story(
                    world, post, lambda: wait_until(lambda: not pending(world.container), what="processing")
                )
            assert enqueued.counts["dispatch_touch"] == 1
        finally:
            runtime.stop()
            worker.close()


def test_embedded_on_sqlite_with_the_in_process_worker(sqlite_url: str) -> None:
    with shopmonkey_world(sqlite_url) as world:
        runtime, enqueued = start_runtime(world)
        with api(world.container) as post:
            the_story(world, post, lambda: drain(runtime))
        assert enqueued.counts["dispatch_touch"] == 1


@pytest.mark.postgres
@pytest.mark.redis
def test_with_redis_unreachable_the_webhook_still_answers_and_the_relay_delivers_later(
    pg_url: str, clean_redis: str
) -> None:
    with shopmonkey_world(pg_url, redis_url=clean_redis) as world:
        build_runtime(
            world.container, broker=RedisBroker(url="redis://127.0.0.1:9/0")
        )  # the API's Redis is down
        body = world.body("order-insert-website-lead")
        with api(world.container) as post:
            response = post(body, world.signed(body))
        assert response.status_code == 200 and response.json() == {"status": "accepted"}
        assert len(pending(world.container)) == 1

        worker_clock = AdjustableClock(START)
        worker = bootstrap(world.container.settings, clock=worker_clock)
        runtime, _ = start_runtime(worker)
        try:
            worker_clock.advance(timedelta(seconds=15))
            runtime.send(RELAY_INBOX.name)
            wait_until(lambda: not pending(world.container), what="the relay to deliver")
        finally:
            runtime.stop()
            worker.close()
        assert world.lead(LEAD_ORDER).crm_order_id == LEAD_ORDER
