"""`GET /metrics` counts what happened where it happened: webhook deliveries by outcome, leads created,
touches by channel and outcome, speed to lead, projection lag and failed background jobs.

The registry is one per process, shared by every test in it, so each test compares a scrape taken
before with one taken after and asserts the difference.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.support.shopmonkey_world import TENANT, ShopMonkeyWorld, drain, shopmonkey_world, start_runtime

from leadorch.app.http.app import create_app
from leadorch.app.ingestion.delivery_job import PROCESS_INBOX_DELIVERY
from leadorch.app.observability.metrics import PROJECTION_LAG, REGISTRY
from leadorch.app.projections.wiring import projection_runner, start_projections
from leadorch.app.worker.runtime import build_broker

pytestmark = pytest.mark.postgres

URL = f"/webhooks/shopmonkey/{TENANT}"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def world(pg_url: str) -> Iterator[ShopMonkeyWorld]:
    with shopmonkey_world(pg_url) as built:
        yield built


@pytest.fixture
def client(world: ShopMonkeyWorld) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(world.container)) as test_client:
        yield test_client


def scrape(client: TestClient[Any]) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_a_webhook_that_becomes_a_lead_and_touch_one_is_counted_end_to_end(
    world: ShopMonkeyWorld, client: TestClient[Any]
) -> None:
    before = scrape(client)
    body = world.body("order-insert-website-lead")
    headers = world.signed(body)
    # No worker yet: the delivery waits in the inbox while 90 s pass, then a worker takes it.
    assert client.post(URL, content=body, headers=headers).json() == {"status": "accepted"}
    world.clock.advance(timedelta(seconds=90))
    runtime, _ = start_runtime(world)
    runtime.send(PROCESS_INBOX_DELIVERY.name, headers["X-Request-Id"])
    drain(runtime)
    after = scrape(client)

    assert grew(before, after, "leadorch_webhook_deliveries_total", outcome="accepted") == 1
    assert grew(before, after, "leadorch_leads_created_total", source="webhook") == 1
    assert grew(before, after, "leadorch_touches_total", channel="sms", outcome="sent") == 1
    assert grew(before, after, "leadorch_touches_total", channel="email", outcome="sent") == 1
    # One observation for the lead (touch 1's first accepted channel), 90 s after the webhook arrived.
    assert grew(before, after, "leadorch_speed_to_lead_seconds_count") == 1
    assert grew(before, after, "leadorch_speed_to_lead_seconds_sum") == pytest.approx(90)
    assert grew(before, after, "leadorch_speed_to_lead_seconds_bucket", le="60.0") == 0
    assert grew(before, after, "leadorch_speed_to_lead_seconds_bucket", le="300.0") == 1
    assert grew(before, after, "leadorch_actor_failures_total", actor=PROCESS_INBOX_DELIVERY.name) == 0


def test_every_webhook_answer_is_counted_under_its_outcome(
    world: ShopMonkeyWorld, client: TestClient[Any]
) -> None:
    before = scrape(client)
    quote = world.body("order-insert-website-lead")
    once = world.signed(quote, request_id="req_twice")
    customer = json.dumps(
        {"apiVersion": "3", "operation": "INSERT", "table": "customer", "data": {"id": "c1"}}
    )
    unreadable = b'{"apiVersion":"3","operation":"INSERT","table":"order","data":{'
    huge = b'{"pad":"' + b"x" * (256 * 1024) + b'"}'

    answers = [
        client.post(URL, content=quote, headers=once).status_code,
        client.post(URL, content=quote, headers=once).status_code,
        client.post(URL, content=customer.encode(), headers=world.signed(customer.encode())).status_code,
        client.post(URL, content=unreadable, headers=world.signed(unreadable)).status_code,
        client.post(URL, content=quote, headers=world.signed(quote, secret="whsec_" + "A" * 32)).status_code,
        client.post("/webhooks/shopmonkey/nobody", content=quote, headers=world.signed(quote)).status_code,
        client.post(URL, content=huge, headers=world.signed(huge)).status_code,
    ]
    after = scrape(client)

    assert answers == [200, 200, 200, 400, 401, 404, 413]
    counted = {
        outcome: grew(before, after, "leadorch_webhook_deliveries_total", outcome=outcome)
        for outcome in (
            "accepted",
            "duplicate",
            "ignored",
            "malformed",
            "unauthorized",
            "unknown_tenant",
            "too_large",
        )
    }
    assert counted == dict.fromkeys(counted, 1.0)


def test_the_projection_daemon_reports_each_projections_lag_after_catching_up(
    world: ShopMonkeyWorld, client: TestClient[Any]
) -> None:
    body = world.body("order-insert-website-lead")
    headers = world.signed(body)
    client.post(URL, content=body, headers=headers)
    runtime, _ = start_runtime(world)
    runtime.send(PROCESS_INBOX_DELIVERY.name, headers["X-Request-Id"])
    drain(runtime)
    names = [projection.name for projection in projection_runner(world.container).projections]
    assert names, "the application should have read models"
    for name in names:  # a value only the daemon can correct
        PROJECTION_LAG.labels(projection=name).set(123_456)

    start_projections(world.container, poll_interval=0.05)
    deadline = time.monotonic() + 15
    while any(value(scrape(client), "leadorch_projection_lag_events", projection=n) != 0 for n in names):
        assert time.monotonic() < deadline, "the daemon never reported its lag"
        time.sleep(0.05)


def test_a_failing_background_job_is_counted_by_actor_and_each_retry_counts() -> None:
    labels = {"actor": "observability_test_fails"}
    before = REGISTRY.get_sample_value("leadorch_actor_failures_total", labels) or 0.0
    broker = build_broker(None)  # the runtime's broker, with the runtime's middleware
    assert isinstance(broker, StubBroker)
    broker.emit_after("process_boot")
    attempts: list[int] = []

    def always_fails() -> None:
        attempts.append(1)
        raise RuntimeError("the provider is down")

    dramatiq.Actor(
        always_fails,
        broker=broker,
        actor_name="observability_test_fails",
        queue_name="observability-test",
        priority=0,
        options={"max_retries": 2, "min_backoff": 1, "max_backoff": 1},
    ).send()
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        broker.join("observability-test", timeout=10_000, fail_fast=False)
        worker.join()
    finally:
        worker.stop()
        broker.close()

    after = REGISTRY.get_sample_value("leadorch_actor_failures_total", labels) or 0.0
    assert len(attempts) == 3
    assert after - before == 3
