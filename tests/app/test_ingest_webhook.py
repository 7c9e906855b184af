"""`POST /webhooks/shopmonkey/{tenant_id}`: only verified deliveries are stored, each once, and the answer
comes after the commit. Runs on the embedded SQLite store and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from dramatiq.brokers.redis import RedisBroker
from litestar.testing import TestClient
from tests.support.shopmonkey_world import (
    LEAD_ORDER,
    TENANT,
    ShopMonkeyWorld,
    drain,
    forget_runtime,
    start_runtime,
)

from leadorch.app.http.app import create_app
from leadorch.app.ingestion.actors import relay_inbox
from leadorch.app.ingestion.inbox import InboxStatus, WebhookInbox, workers_listen
from leadorch.app.worker.runtime import build_runtime
from leadorch.domain.values import LeadStatus

URL = f"/webhooks/shopmonkey/{TENANT}"


@pytest.fixture(scope="module")
def app_client(shopmonkey_module_world: ShopMonkeyWorld) -> Iterator[TestClient]:
    with TestClient(create_app(shopmonkey_module_world.container)) as client:
        yield client


@pytest.fixture
def client(shopmonkey_module_world: ShopMonkeyWorld, app_client: TestClient) -> Iterator[TestClient]:
    """The module's client, with an empty inbox and no worker runtime at the start of each test."""
    with shopmonkey_module_world.container.db.transaction() as cur:
        cur.execute("DELETE FROM webhook_inbox")
    yield app_client
    forget_runtime(shopmonkey_module_world)


def inbox_rows(world: ShopMonkeyWorld) -> list:
    return WebhookInbox(world.container.db).rows(TENANT)


def test_a_signed_order_delivery_is_committed_and_acknowledged(
    shopmonkey_module_world: ShopMonkeyWorld, client: TestClient
) -> None:
    body = shopmonkey_module_world.body("order-insert-website-lead")
    headers = shopmonkey_module_world.signed(body, request_id="req_first")

    response = client.post(URL, content=body, headers=headers)

    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    [row] = inbox_rows(shopmonkey_module_world)
    assert (row.request_id, row.source, row.status) == ("req_first", "webhook", InboxStatus.PENDING)
    assert row.order is not None and row.order.id == LEAD_ORDER
    assert row.raw_body == body.decode()
    assert row.headers["x-request-id"] == "req_first"
    assert "webhook-signature" not in row.headers  # kept for diagnosis, minus what proves nothing once stored


def test_a_redelivery_and_the_same_order_version_under_another_id_are_duplicates(
    shopmonkey_module_world: ShopMonkeyWorld, client: TestClient
) -> None:
    body = shopmonkey_module_world.body("order-insert-website-lead")
    first = client.post(URL, content=body, headers=shopmonkey_module_world.signed(body, request_id="req_a"))
    again = client.post(URL, content=body, headers=shopmonkey_module_world.signed(body, request_id="req_a"))
    same_version = client.post(
        URL, content=body, headers=shopmonkey_module_world.signed(body, request_id="req_b")
    )

    assert [r.json()["status"] for r in (first, again, same_version)] == [
        "accepted",
        "duplicate",
        "duplicate",
    ]
    assert [row.request_id for row in inbox_rows(shopmonkey_module_world)] == ["req_a"]


@pytest.mark.parametrize(
    "forgery",
    ["wrong secret", "no signature headers", "stale timestamp", "future timestamp", "tampered body"],
)
def test_an_unverifiable_delivery_is_refused_and_nothing_is_stored(
    shopmonkey_module_world: ShopMonkeyWorld, client: TestClient, forgery: str
) -> None:
    body = shopmonkey_module_world.body("order-insert-website-lead")
    headers = shopmonkey_module_world.signed(body)
    if forgery == "wrong secret":
        headers = shopmonkey_module_world.signed(
            body, secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
        )
    elif forgery == "no signature headers":
        headers = {k: v for k, v in headers.items() if not k.startswith("webhook-")}
    elif forgery == "stale timestamp":
        headers = shopmonkey_module_world.signed(
            body, at=shopmonkey_module_world.clock.now() - timedelta(minutes=10)
        )
    elif forgery == "future timestamp":
        headers = shopmonkey_module_world.signed(
            body, at=shopmonkey_module_world.clock.now() + timedelta(minutes=10)
        )
    else:
        body = body.replace(b"Ceramic tint", b"Cheap tint!!")

    response = client.post(URL, content=body, headers=headers)

    assert response.status_code == 401
    assert response.json()["detail"].startswith("signature not accepted")
    assert inbox_rows(shopmonkey_module_world) == []


def test_an_unknown_tenant_is_not_found(shopmonkey_module_world: ShopMonkeyWorld, client: TestClient) -> None:
    body = shopmonkey_module_world.body("order-insert-website-lead")
    response = client.post(
        "/webhooks/shopmonkey/nobody", content=body, headers=shopmonkey_module_world.signed(body)
    )
    assert response.status_code == 404
    assert "nobody" in response.json()["detail"]
    assert inbox_rows(shopmonkey_module_world) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"apiVersion":"3","operation":"INSERT","table":"order","data":{', "not valid JSON"),
        (b'{"apiVersion":"3","operation":"INSERT","table":"order"}', "data"),
        (b'{"apiVersion":"3","operation":"UPSERT","table":"order","data":{}}', "operation"),
    ],
)
def test_a_signed_but_unreadable_delivery_is_a_400_kept_as_rejected(
    shopmonkey_module_world: ShopMonkeyWorld, client: TestClient, body: bytes, reason: str
) -> None:
    response = client.post(
        URL, content=body, headers=shopmonkey_module_world.signed(body, request_id="req_bad")
    )

    assert response.status_code == 400
    assert reason in response.json()["detail"]
    [row] = inbox_rows(shopmonkey_module_world)
    assert (row.request_id, row.status, row.raw_body) == ("req_bad", InboxStatus.REJECTED, body.decode())
    assert row.reason == response.json()["detail"]


def test_an_order_row_missing_a_field_the_rule_needs_is_a_400_naming_it(
    shopmonkey_module_world: ShopMonkeyWorld, client: TestClient
) -> None:
    payload = json.loads(shopmonkey_module_world.body("order-insert-website-lead"))
    del payload["data"]["messageCount"]
    body = json.dumps(payload).encode()

    response = client.post(URL, content=body, headers=shopmonkey_module_world.signed(body))

    assert response.status_code == 400
    assert "messageCount" in response.json()["detail"]
    assert [row.status for row in inbox_rows(shopmonkey_module_world)] == [InboxStatus.REJECTED]


def test_another_table_is_acknowledged_and_recorded_as_ignored(
    shopmonkey_module_world: ShopMonkeyWorld, client: TestClient
) -> None:
    body = json.dumps(
        {"apiVersion": "3", "operation": "INSERT", "table": "customer", "data": {"id": "c1"}}
    ).encode()

    response = client.post(
        URL, content=body, headers=shopmonkey_module_world.signed(body, request_id="req_customer")
    )

    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    [row] = inbox_rows(shopmonkey_module_world)
    assert (row.status, row.reason) == (InboxStatus.IGNORED, "table 'customer' is not acted on")


def test_an_oversized_body_is_refused_before_it_is_read(
    shopmonkey_module_world: ShopMonkeyWorld, client: TestClient
) -> None:
    body = b'{"pad":"' + b"x" * (256 * 1024) + b'"}'
    response = client.post(URL, content=body, headers=shopmonkey_module_world.signed(body))
    assert response.status_code == 413
    assert inbox_rows(shopmonkey_module_world) == []


def test_an_accepted_delivery_is_enqueued_and_processed_by_a_worker(
    shopmonkey_module_world: ShopMonkeyWorld, client: TestClient
) -> None:
    runtime, enqueued = start_runtime(shopmonkey_module_world)
    body = shopmonkey_module_world.new_quote("order-enqueued")

    assert client.post(URL, content=body, headers=shopmonkey_module_world.signed(body)).json() == {
        "status": "accepted"
    }
    drain(runtime)

    assert enqueued.counts["process_inbox_delivery"] == 1
    assert shopmonkey_module_world.lead("order-enqueued").status in (LeadStatus.NEW, LeadStatus.CONTACTING)
    assert [row.status for row in inbox_rows(shopmonkey_module_world)] == [InboxStatus.PROCESSED]


def test_with_the_broker_down_the_delivery_is_still_acknowledged_and_the_relay_delivers_it(
    shopmonkey_module_world: ShopMonkeyWorld, client: TestClient
) -> None:
    build_runtime(
        shopmonkey_module_world.container, broker=RedisBroker(url="redis://127.0.0.1:9/0")
    )  # nothing listens there
    body = shopmonkey_module_world.new_quote("order-relayed")

    response = client.post(URL, content=body, headers=shopmonkey_module_world.signed(body))

    assert response.status_code == 200 and response.json() == {"status": "accepted"}
    assert [row.status for row in inbox_rows(shopmonkey_module_world)] == [InboxStatus.PENDING]

    listening = workers_listen(shopmonkey_module_world.container)
    forget_runtime(shopmonkey_module_world)
    runtime, enqueued = start_runtime(shopmonkey_module_world)  # the broker is back
    if listening:
        # PostgreSQL with Redis-backed workers: the handler never touched the broker; the delivery was
        # due at once, for the listening workers (or, as here, the relay) to send.
        assert relay_inbox(shopmonkey_module_world.container) == 1
    else:
        assert (
            relay_inbox(shopmonkey_module_world.container) == 0
        )  # a delivery a few seconds old may still be in flight
        shopmonkey_module_world.clock.advance(timedelta(seconds=11))
        assert relay_inbox(shopmonkey_module_world.container) == 1
    drain(runtime)

    assert enqueued.counts["process_inbox_delivery"] == 1
    assert [row.status for row in inbox_rows(shopmonkey_module_world)] == [InboxStatus.PROCESSED]
    assert shopmonkey_module_world.lead("order-relayed").crm_order_id == "order-relayed"
