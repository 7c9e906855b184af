"""Redis down: ShopMonkey webhooks are still acknowledged durably while Redis is stopped, and the work
resumes by itself when Redis returns — nothing is lost, although Redis (no persistence, like a
restarted cache) comes back empty.

Real processes: `leadorch serve` and `leadorch worker` against a Redis server of this test's own, which
the test stops and starts again on the same port. The inbox relay (a periodic job of the worker)
re-sends every acknowledged delivery still pending once Redis is back.
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
from tests.support.shopmonkey_world import TENANT, ShopMonkeyWorld, shopmonkey_world

from leadorch.app.ingestion.inbox import InboxStatus, WebhookInbox

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(150)]

RECOVERY_SECONDS = 60.0  # relay: first resend 10 s after receipt, every 5 s


@pytest.fixture
def world(pg_url: str) -> Iterator[ShopMonkeyWorld]:
    with shopmonkey_world(pg_url) as built:
        yield built


def deliver(api_url: str, world: ShopMonkeyWorld, order_id: str) -> httpx.Response:
    body = world.new_quote(order_id)
    headers = world.signed(body, request_id=f"req_{order_id}", at=datetime.now(UTC))
    return httpx.post(f"{api_url}/webhooks/shopmonkey/{TENANT}", content=body, headers=headers, timeout=30)


def test_webhooks_are_acknowledged_durably_while_redis_is_down_and_processed_when_it_returns(
    world: ShopMonkeyWorld, tmp_path: Path
) -> None:
    redis = DedicatedRedis().start()
    settings = app_settings(world.container.settings.database_url, redis.url, world.server.url)
    api = start_api(settings, tmp_path / "api.log")
    worker = start_worker(settings, tmp_path / "worker.log", threads=4)
    inbox = WebhookInbox(world.container.db)
    try:
        before = [f"beef0000{n:016d}" for n in range(3)]
        for order_id in before:
            assert deliver(str(api.url), world, order_id).status_code == 200

        redis.stop()
        during = [f"beef0001{n:016d}" for n in range(5)]
        for order_id in during:
            response = deliver(str(api.url), world, order_id)
            assert response.status_code == 200, response.text
            assert response.json() == {"status": "accepted"}
            row = inbox.get(f"req_{order_id}")  # committed before the answer: durable without Redis
            assert row is not None and row.status is InboxStatus.PENDING
        time.sleep(2)  # the worker and its scheduler meet the outage too
        assert api.alive and worker.alive, "a process died of the outage"

        redis.start()  # empty: whatever was queued before is gone, as after a cache restart
        after = [f"beef0002{n:016d}" for n in range(2)]
        for order_id in after:
            assert deliver(str(api.url), world, order_id).status_code == 200

        everything = before + during + after
        deadline = time.monotonic() + RECOVERY_SECONDS
        while time.monotonic() < deadline:
            if all(inbox.get(f"req_{o}").status is not InboxStatus.PENDING for o in everything):  # type: ignore[union-attr]
                break
            time.sleep(0.5)
    finally:
        worker.stop()
        api.stop()
        redis.destroy()

    pending = [o for o in everything if inbox.get(f"req_{o}").status is InboxStatus.PENDING]  # type: ignore[union-attr]
    assert not pending, (
        f"not processed {RECOVERY_SECONDS:.0f} s after Redis returned: {pending}\n{worker.tail()}"
    )
    counts = lead_counts_by_order(world.container.settings.database_url)
    assert {o: counts.get(o, 0) for o in everything} == dict.fromkeys(everything, 1)
