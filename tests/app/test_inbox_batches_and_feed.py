"""The inbox under a burst, on real PostgreSQL: deliveries committed together keep each its own answer,
and a commit of deliveries due at once wakes a listening worker, which sends each one to processing.

The feed is exercised with an in-memory stand-in for the worker runtime (it records what would be
sent); the NOTIFY/LISTEN and the rows are the real database's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadorch.app.db import open_database
from leadorch.app.ingestion.delivery_job import PROCESS_INBOX_DELIVERY
from leadorch.app.ingestion.inbox import NewRow, WebhookInbox, order_row, workers_listen
from leadorch.app.ingestion.inbox_feed import InboxFeed
from leadorch.app.schema import create_tables
from leadorch.app.worker.liveness import WorkerLiveness
from leadorch.ports.crm import CrmOrder

NOW = datetime(2025, 6, 2, 17, 0, tzinfo=UTC)


class RecordingRuntime:
    """What the feed needs of the worker runtime: its actors, `send`, and whether it runs in this process."""

    in_process = False
    actors = (PROCESS_INBOX_DELIVERY.name,)

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, actor_name: str, *args: Any) -> None:
        self.sent.append((actor_name, *args))


class Container:
    def __init__(self, db: Any, runtime: RecordingRuntime | None) -> None:
        self.db = db
        self.runtime = runtime
        self.clock = self
        self.liveness = WorkerLiveness(db)

    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def inbox(pg_url: str) -> Iterator[WebhookInbox]:
    db = open_database(pg_url)
    create_tables(db)
    yield WebhookInbox(db)
    db.close()


def order(order_id: str, updated: datetime = NOW) -> CrmOrder:
    return CrmOrder(
        id=order_id,
        location_id="loc-1",
        company_id="co-1",
        customer_id="cus-1",
        vehicle_id=None,
        workflow_status_id=None,
        status="Estimate",
        authorized=False,
        message_count=0,
        name=None,
        appointment_dates=[],
        invoiced=False,
        paid=False,
        created_date=updated,
        updated_date=updated,
    )


def row(request_id: str, order_id: str, *, due_now: bool = False, at: datetime = NOW) -> NewRow:
    return order_row(
        request_id=request_id,
        tenant_id="tint-co",
        source="webhook",
        received_at=at,
        headers={"x-request-id": request_id},
        raw_body="{}",
        operation="INSERT",
        order=order(order_id),
        relay_after=timedelta(0) if due_now else timedelta(seconds=10),
    )


def test_a_batch_answers_each_delivery_as_if_it_had_been_committed_alone(inbox: WebhookInbox) -> None:
    assert inbox.record(row("req-known", "o-known")) is True

    fresh = inbox.commit_rows(
        [
            row("req-1", "o-1"),
            row("req-known", "o-other"),  # a redelivery of a known delivery
            row("req-2", "o-2"),
            row("req-2", "o-2"),  # the same delivery twice in one batch: new only the first time
            row("req-3", "o-1"),  # another delivery of an order version already in this batch
        ]
    )

    assert fresh == [True, False, True, False, False]
    stored = {r.request_id for r in inbox.rows("tint-co")}
    assert stored == {"req-known", "req-1", "req-2"}


def test_a_listening_worker_is_woken_by_the_commit_and_sends_each_due_delivery_once(
    inbox: WebhookInbox,
) -> None:
    runtime = RecordingRuntime()
    container = Container(inbox.db, runtime)
    assert workers_listen(container), "PostgreSQL with a Redis-backed runtime: the workers listen"
    feed = InboxFeed(container)
    feed.start()
    try:
        deadline = time.monotonic() + 10
        while feed.sent == 0 and time.monotonic() < deadline:  # the feed is listening once it has fed
            inbox.record(row("req-probe", "o-probe", due_now=True, at=datetime.now(UTC)))
            time.sleep(0.05)
        sent_before = len(runtime.sent)
        now = datetime.now(UTC)
        inbox.commit_rows([row(f"req-{n}", f"o-{n}", due_now=True, at=now) for n in range(5)])
        inbox.record(row("req-later", "o-later", due_now=False, at=now))
        deadline = time.monotonic() + 10
        while len(runtime.sent) < sent_before + 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # room for a wrong extra send to show up
    finally:
        feed.stop()

    new = runtime.sent[sent_before:]
    assert sorted(new) == sorted((PROCESS_INBOX_DELIVERY.name, f"req-{n}") for n in range(5))
    assert (PROCESS_INBOX_DELIVERY.name, "req-later") not in runtime.sent, (
        "not due yet: the relay sends it later"
    )
    assert runtime.sent.count((PROCESS_INBOX_DELIVERY.name, "req-probe")) == 1


def test_the_embedded_default_does_not_listen(inbox: WebhookInbox) -> None:
    in_process = RecordingRuntime()
    in_process.in_process = True
    assert not workers_listen(Container(inbox.db, in_process))
    assert not workers_listen(Container(inbox.db, None))


def test_workers_woken_together_take_disjoint_deliveries(inbox: WebhookInbox) -> None:
    """While one worker is taking due rows (its transaction open), another takes the rest, not the same."""
    now = datetime.now(UTC)
    inbox.commit_rows([row(f"req-{n}", f"o-{n}", due_now=True, at=now) for n in range(6)])
    with inbox.db.transaction() as first:
        first.execute(
            "SELECT request_id FROM webhook_inbox WHERE request_id IN ('req-0', 'req-1', 'req-2') FOR UPDATE"
        )
        second = inbox.take_due_for_relay(now=now, limit=10)

    assert sorted(second) == ["req-3", "req-4", "req-5"]
    assert sorted(inbox.take_due_for_relay(now=now, limit=10)) == ["req-0", "req-1", "req-2"]
