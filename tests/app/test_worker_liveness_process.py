"""A real `leadorch worker` SIGKILLed while it holds a delivery: a new worker makes the lead within a
minute, not when the claim's 5-minute lease runs out.

The API acknowledges the webhook, the worker's inbox feed takes the delivery and claims it, and the
CRM answers slowly so the worker is inside processing when it is killed. The new worker's relay sees
that the claim's worker stopped beating (`app/worker/liveness.py`) and takes the delivery over.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from tests.support.processes import (
    DedicatedRedis,
    app_settings,
    lead_counts_by_order,
    start_api,
    start_worker,
)
from tests.support.shopmonkey_world import TENANT, ShopMonkeyWorld, shopmonkey_world, wait_until

from leadorch.app.ingestion.deliveries import CLAIM_LEASE
from leadorch.app.ingestion.inbox import InboxStatus, WebhookInbox

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(180)]

ORDER = "d0d0d0d0d0d0d0d0d0d0d0d0"
REQUEST_ID = "req_held_when_killed"
SLOW_CRM = 4.0  # seconds per ShopMonkey answer: below the client's timeout, long enough to kill inside


@pytest.fixture
def world(pg_url: str) -> Iterator[ShopMonkeyWorld]:
    with shopmonkey_world(pg_url) as built:
        yield built


def claimed_by(world: ShopMonkeyWorld) -> str | None:
    with world.container.db.transaction() as cur:
        cur.execute("SELECT claimed_by FROM webhook_inbox WHERE request_id = %s", (REQUEST_ID,))
        row = cur.fetchone()
    return row[0] if row else None


def decided(world: ShopMonkeyWorld) -> bool:
    row = WebhookInbox(world.container.db).get(REQUEST_ID)
    return row is not None and row.status is not InboxStatus.PENDING


def test_a_delivery_held_by_a_killed_worker_becomes_a_lead_within_a_minute(
    world: ShopMonkeyWorld, tmp_path: Path
) -> None:
    redis = DedicatedRedis().start()
    settings = app_settings(world.container.settings.database_url, redis.url, world.server.url)
    api = start_api(settings, tmp_path / "api.log")
    worker = start_worker(settings, tmp_path / "worker-killed.log", threads=2)
    survivor = None
    try:
        world.shopmonkey.add_latency("*", SLOW_CRM)
        body = world.new_quote(ORDER)
        response = httpx.post(
            f"{api.url}/webhooks/shopmonkey/{TENANT}",
            content=body,
            headers=world.signed(body, request_id=REQUEST_ID, at=datetime.now(UTC)),
            timeout=30,
        )
        assert response.status_code == 200 and response.json()["status"] == "accepted"
        wait_until(lambda: claimed_by(world) is not None, timeout=30, what="the worker to claim the delivery")
        holder = claimed_by(world)
        worker.kill()
        assert f"worker id {holder}" in worker.log(), "the claim names the worker that was killed"
        killed_at = time.monotonic()
        world.shopmonkey.add_latency("*", 0)
        survivor = start_worker(settings, tmp_path / "worker-new.log", threads=2)

        wait_until(
            lambda: decided(world), timeout=90, what="the delivery the killed worker held to be decided"
        )
        took = time.monotonic() - killed_at
    finally:
        if survivor is not None:
            survivor.stop()
        worker.kill()
        api.stop()
        redis.destroy()

    assert took < 60, f"the delivery became a lead {took:.0f} s after the kill"
    assert took < CLAIM_LEASE.total_seconds()
    row = WebhookInbox(world.container.db).get(REQUEST_ID)
    assert row is not None and row.status is InboxStatus.PROCESSED
    assert row.attempts == 2, "claimed by the killed worker, then once by the new one"
    assert world.container.liveness.is_alive(str(holder)) is False
    assert lead_counts_by_order(world.container.settings.database_url) == {ORDER: 1}
