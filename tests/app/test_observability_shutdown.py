"""Graceful shutdown of a real `leadorch worker` process, and the worker's own `/metrics`.

SIGTERM while a job is in flight: the process exits 0 well within its bound, the job in flight finished
(its lead exists), and the job it had not started yet stayed in Redis: a second worker, started
later, picks it up and makes that lead too — exactly one lead per order, nothing lost, nothing twice.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dramatiq.brokers.redis import RedisBroker
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.support.processes import (
    ChildProcess,
    DedicatedRedis,
    _spawn,
    app_settings,
    child_environment,
    free_port,
    lead_counts_by_order,
)
from tests.support.shopmonkey_world import TENANT, ShopMonkeyWorld, shopmonkey_world, wait_until

from leadorch.app.cli.worker import SHUTDOWN_BOUND_SECONDS
from leadorch.app.http.app import create_app
from leadorch.app.worker.runtime import build_runtime

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(120)]

CRM_LATENCY = 0.3  # every ShopMonkey answer takes this long, so a job is surely in flight at SIGTERM
IN_FLIGHT = "66b0000000000000000000a1"
WAITING = "66b0000000000000000000b2"


@pytest.fixture
def world(pg_url: str) -> Iterator[ShopMonkeyWorld]:
    with shopmonkey_world(pg_url) as built:
        built.shopmonkey.add_latency("*", CRM_LATENCY)
        yield built


@pytest.fixture
def redis_server() -> Iterator[DedicatedRedis]:
    server = DedicatedRedis().start()
    yield server
    server.destroy()


def start_worker(settings: dict[str, str], log_path: Path, metrics_port: int) -> ChildProcess:
    """`leadorch worker` with one thread and no scheduler: only the jobs this test enqueues run."""
    argv = [sys.executable, "-m", "leadorch.app.cli", "worker", "--threads", "1", "--no-scheduler"]
    argv += ["--metrics-port", str(metrics_port)]
    child = _spawn("worker", argv, child_environment(settings), log_path, None)
    child.wait_for_log("worker running", timeout=60)
    return child


def worker_metric(port: int, name: str, **labels: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def test_sigterm_lets_the_job_in_flight_finish_and_leaves_the_rest_in_redis(
    world: ShopMonkeyWorld, redis_server: DedicatedRedis, tmp_path: Path
) -> None:
    database_url = world.container.settings.database_url
    settings = app_settings(database_url, redis_server.url, world.server.url)
    # This process plays the API: deliveries are stored and their jobs enqueued on the worker's Redis.
    build_runtime(world.container, broker=RedisBroker(url=redis_server.url))  # type: ignore[no-untyped-call]
    with TestClient(create_app(world.container)) as client:
        for order_id in (IN_FLIGHT, WAITING):
            body = world.new_quote(order_id)
            answer = client.post(f"/webhooks/shopmonkey/{TENANT}", content=body, headers=world.signed(body))
            assert answer.json() == {"status": "accepted"}

    first_port = free_port()
    first = start_worker(settings, tmp_path / "worker-1.log", first_port)
    try:
        wait_until(lambda: world.shopmonkey.requests_to("*/order/*"), timeout=30, what="a job in flight")
        in_flight = [r.path for r in world.shopmonkey.requests_to("*/order/*")]
        assert all(IN_FLIGHT in path for path in in_flight), "one thread: one order at a time"
        stopping_at = time.monotonic()
        exit_code = first.stop(timeout=SHUTDOWN_BOUND_SECONDS + 15)
        took = time.monotonic() - stopping_at
    finally:
        first.kill()

    assert exit_code == 0, first.tail()
    assert took < SHUTDOWN_BOUND_SECONDS, f"the worker took {took:.1f} s to stop"
    assert "worker stopped" in first.log()
    assert lead_counts_by_order(database_url).get(IN_FLIGHT) == 1, "the job in flight should have finished"
    assert WAITING not in lead_counts_by_order(database_url), "the waiting job should not have started"

    second_port = free_port()
    second = start_worker(settings, tmp_path / "worker-2.log", second_port)
    try:
        wait_until(
            lambda: lead_counts_by_order(database_url).get(WAITING) == 1,
            timeout=30,
            what="the job left in Redis to be redelivered",
        )
        wait_until(
            lambda: worker_metric(second_port, "leadorch_leads_created_total", source="webhook") == 1,
            timeout=10,
            what="the second worker's metrics to count its lead",
        )
    finally:
        assert second.stop(timeout=SHUTDOWN_BOUND_SECONDS + 15) == 0, second.tail()
    assert lead_counts_by_order(database_url) == {IN_FLIGHT: 1, WAITING: 1}
