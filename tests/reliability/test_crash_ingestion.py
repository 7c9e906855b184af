"""Crash during ingestion: a real `leadorch worker` process is SIGKILLed at random points while it turns
webhook deliveries into leads, over several trials, and a new worker takes over each time.

Promises checked at the end: every delivery the API acknowledged is in the inbox and ends decided
(none lost), and every qualifying order made exactly one lead (none twice), although deliveries were
also sent twice. A row whose worker died while holding it is taken over once that worker stops beating
(`tests/app/test_worker_liveness_process.py` times it); instead of waiting, the test runs the relay's
recovery with a clock past the lease, the bound for every claim.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.support.processes import (
    ChildProcess,
    DedicatedRedis,
    app_settings,
    lead_counts_by_order,
    start_api,
    start_worker,
)
from tests.support.shopmonkey_world import TENANT, ShopMonkeyWorld, shopmonkey_world

from leadorch.app.ingestion.inbox import InboxStatus, WebhookInbox
from leadorch.app.ingestion.service import CLAIM_LEASE, IngestionService

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(180)]

TRIALS = 10
QUOTES_PER_TRIAL = 6
CRM_LATENCY = 0.05  # each CRM call takes this long, so a kill lands inside ingestion


@pytest.fixture
def world(pg_url: str) -> Iterator[ShopMonkeyWorld]:
    with shopmonkey_world(pg_url) as built:
        built.shopmonkey.add_latency("*", CRM_LATENCY)
        yield built


def post(api: ChildProcess, world: ShopMonkeyWorld, body: bytes, request_id: str) -> str | None:
    """The acknowledged status ("accepted", "duplicate"), or None if the delivery was not acknowledged."""
    headers = world.signed(body, request_id=request_id, at=datetime.now(UTC))
    try:
        response = httpx.post(
            f"{api.url}/webhooks/shopmonkey/{TENANT}", content=body, headers=headers, timeout=30
        )
    except httpx.HTTPError:
        return None
    return str(response.json()["status"]) if response.status_code == 200 else None


def test_killing_the_worker_mid_ingestion_loses_no_acknowledged_delivery_and_duplicates_no_lead(
    world: ShopMonkeyWorld, tmp_path: Path
) -> None:
    redis = DedicatedRedis().start()
    rng = random.Random(20261125)
    settings = app_settings(world.container.settings.database_url, redis.url, world.server.url)
    api = start_api(settings, tmp_path / "api.log")
    worker = start_worker(settings, tmp_path / "worker-0.log", threads=4)
    acknowledged: dict[str, str] = {}  # request id -> how it was acknowledged
    orders: list[str] = []
    kills = 0
    try:
        for trial in range(TRIALS):
            for n in range(QUOTES_PER_TRIAL):
                order_id = f"c0ffee{trial:02d}{n:02d}" + "0" * 12
                orders.append(order_id)
                body = world.new_quote(order_id)
                for copy in range(2 if n % 2 else 1):  # some deliveries arrive twice (ShopMonkey retries)
                    request_id = f"req_{order_id}_{copy}"
                    status = post(api, world, body, request_id)
                    if status is not None:
                        acknowledged[request_id] = status
            time.sleep(rng.uniform(0.0, 0.6))  # somewhere inside claiming, CRM calls, the save, or finishing
            worker.kill()
            kills += 1
            worker = start_worker(settings, tmp_path / f"worker-{trial + 1}.log", threads=4)
        time.sleep(3)  # the last worker finishes what it can reach now
    finally:
        worker.stop()
        api.stop()
        redis.destroy()

    assert kills == TRIALS
    assert len(acknowledged) == TRIALS * QUOTES_PER_TRIAL * 3 // 2, (
        "every delivery should have been acknowledged"
    )
    # A repeated delivery of the same order version is recognised by the natural key and stored once.
    assert {rid: status for rid, status in acknowledged.items() if rid.endswith("_1")} == {
        rid: "duplicate" for rid in acknowledged if rid.endswith("_1")
    }
    firsts = [rid for rid in acknowledged if rid.endswith("_0")]
    inbox = WebhookInbox(world.container.db)
    assert all(inbox.get(rid) is not None for rid in firsts), (
        "an acknowledged delivery is missing from the inbox"
    )

    # Past the lease of any claim a killed worker held: what the relay does then.
    world.clock.set(datetime.now(UTC) + CLAIM_LEASE + timedelta(minutes=1))
    service = IngestionService(world.container)
    for request_id in inbox.take_due_for_relay(now=world.clock.now(), limit=1000):
        service.process_delivery(request_id)

    undecided = [
        rid for rid in firsts if (row := inbox.get(rid)) is None or row.status is InboxStatus.PENDING
    ]
    assert not undecided, f"acknowledged deliveries never decided: {undecided}"
    counts = lead_counts_by_order(world.container.settings.database_url)
    assert {order: counts.get(order, 0) for order in orders} == dict.fromkeys(orders, 1)
