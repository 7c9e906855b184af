"""A dead worker is noticed within a minute, a live one never: leases name the worker that took them,
workers beat (`app/worker/liveness.py`), and the relay and the poll take over what a silent worker held.

Time is simulated on two clocks moved together: the business clock the leases are written on, and the
wall clock the beats are written on (so moving the demo's clock cannot make a worker look dead), here
stopped at a real instant. The relay runs
every `RELAY_INTERVAL_SECONDS`, as the scheduler runs it. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient
from tests.support.shopmonkey_world import (
    TENANT,
    ShopMonkeyWorld,
    drain,
    forget_runtime,
    inbox_row,
    start_runtime,
)

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.ingestion.actors import RELAY_INTERVAL_SECONDS, relay_inbox
from leadorch.app.ingestion.deliveries import CLAIM_LEASE
from leadorch.app.ingestion.inbox import InboxStatus, WebhookInbox
from leadorch.app.ingestion.poller import LEASE, CrmPoller
from leadorch.app.worker.liveness import DEAD_AFTER, WorkerLiveness
from leadorch.app.worker.runtime import Runtime

RELAY_EVERY = timedelta(seconds=RELAY_INTERVAL_SECONDS)


class Workers:
    """The world's worker (this container, whose runtime runs the relay) and another one that holds
    leases, sharing one wall clock."""

    def __init__(self, world: ShopMonkeyWorld) -> None:
        self.world = world
        self.beats = AdjustableClock(datetime.now(UTC))
        self.holder = WorkerLiveness(world.container.db, self.beats)
        self.holder.register()
        self.survivor = WorkerLiveness(world.container.db, self.beats)
        self.runtime: Runtime | None = None

    def start_survivor(self) -> Runtime:
        """The surviving worker's runtime: registered and beating (its relay runs when `relay()` says)."""
        self.world.container.liveness = self.survivor
        self.runtime, _ = start_runtime(self.world)
        return self.runtime

    def elapse(self, delta: timedelta, *, holder_beats: bool) -> None:
        """`delta` passes on both clocks; the survivor beats, and so does the holder if it still lives."""
        self.world.clock.advance(delta)
        self.beats.advance(delta)
        self.survivor.beat()
        if holder_beats:
            self.holder.beat()

    def relay(self) -> int:
        """One run of the periodic relay, and the deliveries it sent processed."""
        assert self.runtime is not None
        sent = relay_inbox(self.world.container)
        drain(self.runtime)
        return sent


@pytest.fixture
def workers(shopmonkey_module_world: ShopMonkeyWorld) -> Iterator[Workers]:
    world = shopmonkey_module_world
    own = world.container.liveness
    built = Workers(world)
    try:
        yield built
    finally:
        forget_runtime(world)
        world.container.liveness = own


def store_delivery(world: ShopMonkeyWorld, client: TestClient, order_id: str, request_id: str) -> None:
    body = world.new_quote(order_id)
    response = client.post(
        f"/webhooks/shopmonkey/{TENANT}", content=body, headers=world.signed(body, request_id=request_id)
    )
    assert response.status_code == 200 and response.json()["status"] == "accepted"


def claimed_by(world: ShopMonkeyWorld, request_id: str, worker: WorkerLiveness | None) -> None:
    """What a worker does first with a delivery (then, in these tests, it is killed: nothing more)."""
    row = WebhookInbox(world.container.db).claim(
        request_id,
        now=world.clock.now(),
        lease=CLAIM_LEASE,
        owner=worker.worker_id if worker else None,
        gone_before=worker.dead_before() if worker else None,
    )
    assert row is not None and row.attempts == 1


def has_lead(world: ShopMonkeyWorld, order_id: str) -> bool:
    return any(e.crm_order_id == order_id for e in world.events_of("Lead.Registered"))


def test_a_worker_is_alive_while_it_beats_and_gone_once_silent_or_stopped(
    shopmonkey_module_world: ShopMonkeyWorld,
) -> None:
    beats = AdjustableClock(datetime.now(UTC))
    db = shopmonkey_module_world.container.db
    worker, observer = WorkerLiveness(db, beats), WorkerLiveness(db, beats)
    worker_id = worker.register()

    assert observer.is_alive(worker_id)
    beats.advance(DEAD_AFTER)
    assert observer.is_alive(worker_id), "exactly DEAD_AFTER of silence is not dead yet"
    beats.advance(timedelta(seconds=1))
    assert not observer.is_alive(worker_id)
    worker.beat()
    assert observer.is_alive(worker_id), "a beat brings it back"
    assert not observer.is_alive("a-worker-that-never-beat")


def test_a_running_worker_beats_and_its_graceful_stop_ends_its_life_at_once(
    shopmonkey_module_world: ShopMonkeyWorld, workers: Workers
) -> None:
    runtime = workers.start_survivor()
    worker_id = workers.survivor.worker_id
    assert worker_id is not None
    assert workers.holder.is_alive(worker_id)

    forget_runtime(shopmonkey_module_world)

    assert runtime.container.liveness.worker_id is None
    assert not workers.holder.is_alive(worker_id), "a stopped worker's leases need not wait for it"


def test_a_delivery_held_by_a_dead_worker_becomes_a_lead_within_a_minute(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient, workers: Workers
) -> None:
    world = shopmonkey_module_world
    store_delivery(world, shopmonkey_client, "o-held-by-the-dead", "req_held_by_the_dead")
    claimed_by(world, "req_held_by_the_dead", workers.holder)  # ... and the holder is SIGKILLed
    workers.start_survivor()

    waited = timedelta()
    while not has_lead(world, "o-held-by-the-dead"):
        assert waited < timedelta(minutes=1), "the dead worker's delivery was not taken over in a minute"
        workers.elapse(RELAY_EVERY, holder_beats=False)
        waited += RELAY_EVERY
        workers.relay()

    assert DEAD_AFTER < waited <= DEAD_AFTER + 2 * RELAY_EVERY
    assert waited < CLAIM_LEASE
    row = inbox_row(world, "req_held_by_the_dead")
    assert (row.status, row.attempts) == (InboxStatus.PROCESSED, 2)


def test_a_delivery_held_by_a_live_worker_is_left_to_it_until_its_lease_ends(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient, workers: Workers
) -> None:
    world = shopmonkey_module_world
    store_delivery(world, shopmonkey_client, "o-held-by-the-living", "req_held_by_the_living")
    claimed_by(world, "req_held_by_the_living", workers.holder)  # a slow job, still running
    workers.start_survivor()

    waited = timedelta()
    while waited <= CLAIM_LEASE:
        workers.elapse(RELAY_EVERY, holder_beats=True)
        waited += RELAY_EVERY
        if waited <= CLAIM_LEASE:
            assert workers.relay() == 0, f"a live worker's delivery was taken after {waited}"
            assert world.container.ingestion.process_delivery("req_held_by_the_living") is None
    assert not has_lead(world, "o-held-by-the-living")

    assert workers.relay() == 1, "the lease is the upper bound, even for a worker that still beats"
    assert has_lead(world, "o-held-by-the-living")
    assert inbox_row(world, "req_held_by_the_living").status is InboxStatus.PROCESSED


def test_a_delivery_claimed_by_no_known_worker_keeps_the_whole_lease(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient, workers: Workers
) -> None:
    world = shopmonkey_module_world
    store_delivery(world, shopmonkey_client, "o-held-by-nobody", "req_held_by_nobody")
    claimed_by(world, "req_held_by_nobody", None)  # a process that runs no worker took it
    workers.start_survivor()

    workers.elapse(timedelta(minutes=1), holder_beats=False)
    assert workers.relay() == 0
    workers.elapse(CLAIM_LEASE - timedelta(minutes=1) + RELAY_EVERY, holder_beats=False)
    assert workers.relay() == 1
    assert has_lead(world, "o-held-by-nobody")


def held_poll_lock(world: ShopMonkeyWorld, worker: WorkerLiveness) -> None:
    """The tenant's poll lock taken by `worker`'s poll, which is then killed and never gives it back."""
    own = world.container.liveness
    world.container.liveness = worker
    try:
        assert CrmPoller(world.container)._take_lease(TENANT, "killed-poll") is not None
    finally:
        world.container.liveness = own


def test_a_poll_lock_held_by_a_dead_worker_is_taken_over_by_the_next_poll(
    shopmonkey_module_world: ShopMonkeyWorld, workers: Workers
) -> None:
    world = shopmonkey_module_world
    held_poll_lock(world, workers.holder)
    workers.start_survivor()
    poller = CrmPoller(world.container)

    assert poller.poll(TENANT).busy
    workers.elapse(DEAD_AFTER + timedelta(seconds=1), holder_beats=False)
    result = poller.poll(TENANT)

    assert not result.busy and result.complete, "the backup poll runs again within a minute"
    assert not poller.poll(TENANT).busy, "the taking poll gave the lock back"


def test_a_poll_lock_held_by_a_live_worker_is_respected_until_its_lease_ends(
    shopmonkey_module_world: ShopMonkeyWorld, workers: Workers
) -> None:
    world = shopmonkey_module_world
    held_poll_lock(world, workers.holder)
    workers.start_survivor()
    poller = CrmPoller(world.container)

    workers.elapse(DEAD_AFTER + timedelta(seconds=1), holder_beats=True)
    assert poller.poll(TENANT).busy
    workers.elapse(LEASE - DEAD_AFTER, holder_beats=True)

    assert not poller.poll(TENANT).busy
