"""PostgreSQL restart under load: every webhook either fails cleanly (503, so ShopMonkey retries it) or was
durably stored, and the API and the worker reconnect by themselves.

Real processes on a PostgreSQL cluster of this test's own (another port), restarted in the middle of
a steady stream of deliveries while `leadorch serve` and `leadorch worker` keep running. Afterwards:
no answer other than 200 or 503; every 200 is in the inbox; deliveries sent after the restart are
acknowledged and turned into leads by the same worker, untouched by anyone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.support.processes import (
    DedicatedPostgres,
    DedicatedRedis,
    app_settings,
    lead_counts_by_order,
    start_api,
    start_worker,
)
from tests.support.shopmonkey_world import TENANT, ShopMonkeyWorld, shopmonkey_world

from leadorch.app.bootstrap import bootstrap
from leadorch.app.ingestion.inbox import InboxStatus, WebhookInbox
from leadorch.app.ingestion.service import CLAIM_LEASE, IngestionService

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(170)]

RATE = 10.0  # deliveries per second while PostgreSQL goes away and comes back
DOWN_SECONDS = 3.0
RECONNECT_SECONDS = 30.0


@pytest.fixture
def cluster() -> Iterator[DedicatedPostgres]:
    server = DedicatedPostgres().init()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def world(cluster: DedicatedPostgres) -> Iterator[ShopMonkeyWorld]:
    with shopmonkey_world(cluster.create_database()) as built:
        yield built


class Sender(threading.Thread):
    """Posts a new quote's webhook RATE times a second until stopped; keeps every answer."""

    def __init__(self, api_url: str, world: ShopMonkeyWorld, prefix: str) -> None:
        super().__init__(daemon=True)
        self.api_url, self.world, self.prefix = api_url, world, prefix
        self.answers: list[tuple[str, int]] = []  # (order id, status; 0 = no answer)
        self.halt = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=45) as client:
            n = 0
            while not self.halt.is_set():
                order_id = f"{self.prefix}{n:018d}"
                body = self.world.new_quote(order_id)
                headers = self.world.signed(body, request_id=f"req_{order_id}", at=datetime.now(UTC))
                try:
                    status = client.post(
                        f"{self.api_url}/webhooks/shopmonkey/{TENANT}", content=body, headers=headers
                    ).status_code
                except httpx.HTTPError:
                    status = 0
                self.answers.append((order_id, status))
                n += 1
                self.halt.wait(1 / RATE)


def test_a_postgres_restart_under_load_fails_requests_cleanly_and_both_processes_reconnect(
    cluster: DedicatedPostgres, world: ShopMonkeyWorld, tmp_path: Path
) -> None:
    redis = DedicatedRedis().start()
    settings = app_settings(world.container.settings.database_url, redis.url, world.server.url)
    api = start_api(settings, tmp_path / "api.log")
    worker = start_worker(settings, tmp_path / "worker.log", threads=4)
    during = Sender(str(api.url), world, "d00d")
    after = Sender(str(api.url), world, "a00a")
    try:
        during.start()
        time.sleep(2)
        cluster.stop("fast")  # every server connection of both processes is cut
        time.sleep(DOWN_SECONDS)
        cluster.start()
        time.sleep(3)
        during.halt.set()
        during.join(timeout=60)
        after.start()
        time.sleep(4)
        after.halt.set()
        after.join(timeout=60)
        # This test's own container lost its connections in the restart too: check through a new one.
        fresh = bootstrap(world.container.settings, clock=world.clock)
        inbox = WebhookInbox(fresh.db)
        reconnected = [order for order, status in after.answers if status == 200]
        deadline = time.monotonic() + RECONNECT_SECONDS
        while time.monotonic() < deadline:
            rows = [inbox.get(f"req_{order}") for order in reconnected]
            if all(row is not None and row.status is not InboxStatus.PENDING for row in rows):
                break
            time.sleep(0.5)
        assert api.alive and worker.alive, "a process died of the restart"
    finally:
        worker.stop()
        api.stop()
        redis.destroy()

    statuses = {status for _, status in during.answers + after.answers}
    assert statuses <= {200, 503}, (
        f"answers other than 200/503: {sorted(during.answers + after.answers, key=lambda a: a[1])[:5]}"
    )
    assert any(status == 503 for _, status in during.answers), (
        "the outage should have been felt (no 503 seen)"
    )
    acknowledged = [order for order, status in during.answers + after.answers if status == 200]
    missing = [order for order in acknowledged if inbox.get(f"req_{order}") is None]
    assert not missing, f"acknowledged but not stored: {missing}"

    # The API reconnected: every delivery after the restart was acknowledged...
    assert after.answers and all(status == 200 for _, status in after.answers), after.answers
    # ...and the worker too: it turned them into leads on its own.
    counts = lead_counts_by_order(world.container.settings.database_url)
    assert {o: counts.get(o, 0) for o in reconnected} == dict.fromkeys(reconnected, 1)

    # A delivery whose processing the outage interrupted keeps its claim until the lease ends; then the
    # relay finishes it (run here with a clock past the lease instead of waiting 5 minutes).
    world.clock.set(datetime.now(UTC) + CLAIM_LEASE + timedelta(minutes=1))
    service = IngestionService(fresh)
    try:
        for request_id in inbox.take_due_for_relay(now=world.clock.now(), limit=1000):
            service.process_delivery(request_id)
    finally:
        fresh.close()
    counts = lead_counts_by_order(world.container.settings.database_url)
    assert {o: counts.get(o, 0) for o in acknowledged} == dict.fromkeys(acknowledged, 1)
