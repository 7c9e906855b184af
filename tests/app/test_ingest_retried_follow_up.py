"""A delivery retried after a crash finishes its new lead once: the staff hear about the lead once.

A worker can die after it saved the lead and before it closed the inbox row. The retry (the row's
lease ran out, the relay sends it again) finds the lead already made and runs what follows a new lead,
since the dead worker may not have; each copy of the staff alert is claimed before it is sent, so a
contact the dead worker already alerted is not alerted again. Through the real webhook endpoint, on
SQLite and PostgreSQL, with the SendGrid stand-in counting what the staff received.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.support.shopmonkey_world import STAFF_EMAIL, TENANT, ShopMonkeyWorld, inbox_row

from leadorch.app.ingestion.deliveries import CLAIM_LEASE
from leadorch.app.ingestion.inbox import InboxStatus
from leadorch.app.staff_alert_claims import StaffAlertClaims
from leadorch.domain.intake import IntakeOutcome


class WorkerKilled(BaseException):
    """Stands for the SIGKILL: nothing after it runs, nothing catches it."""


def store_delivery(world: ShopMonkeyWorld, client: TestClient, order_id: str, request_id: str) -> None:
    body = world.new_quote(order_id)
    response = client.post(
        f"/webhooks/shopmonkey/{TENANT}", content=body, headers=world.signed(body, request_id=request_id)
    )
    assert response.status_code == 200 and response.json()["status"] == "accepted"


def staff_alerts_of(world: ShopMonkeyWorld, lead_id: str) -> list[Any]:
    return [
        m
        for m in world.container.standins.sendgrid.outbox
        if m.custom_args.get("lead_id") == lead_id and m.custom_args.get("kind") == "staff_new_lead"
    ]


@contextmanager
def killed_at(target: object, method: str) -> Iterator[None]:
    """The worker dies the first time `target.method` is called (it never returns)."""
    original = getattr(target, method)

    def die(*args: Any, **kwargs: Any) -> None:
        setattr(target, method, original)
        raise WorkerKilled(method)

    setattr(target, method, die)
    try:
        yield
    finally:
        setattr(target, method, original)


def test_a_delivery_retried_after_a_crash_between_the_lead_and_the_closed_row_alerts_the_staff_once(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    store_delivery(world, shopmonkey_client, "o-crash-after-alert", "req_crash_after_alert")
    deliveries = world.container.ingestion.deliveries

    with killed_at(deliveries.inbox, "finish"), pytest.raises(WorkerKilled):
        world.container.ingestion.process_delivery("req_crash_after_alert")
    lead_id = str(world.lead("o-crash-after-alert").id)
    assert len(staff_alerts_of(world, lead_id)) == 1  # the dead worker had alerted the staff
    assert inbox_row(world, "req_crash_after_alert").status is InboxStatus.PENDING
    world.clock.advance(CLAIM_LEASE + timedelta(seconds=1))
    retried = world.container.ingestion.process_delivery("req_crash_after_alert")

    assert retried is not None and retried.duplicate and retried.outcome is IntakeOutcome.LEAD_CREATED
    row = inbox_row(world, "req_crash_after_alert")
    assert (row.status, row.attempts) == (InboxStatus.PROCESSED, 2)
    [alert] = staff_alerts_of(world, lead_id)
    assert alert.to == [STAFF_EMAIL]
    assert StaffAlertClaims(world.container.db).copies_of(lead_id) == [("new_lead", STAFF_EMAIL, "sent")]


def test_a_delivery_retried_after_a_crash_before_the_alert_alerts_the_staff_then(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    store_delivery(world, shopmonkey_client, "o-crash-before-alert", "req_crash_before_alert")
    follow_up = world.container.ingestion.follow_up

    with killed_at(follow_up, "alert_staff"), pytest.raises(WorkerKilled):
        world.container.ingestion.process_delivery("req_crash_before_alert")
    lead_id = str(world.lead("o-crash-before-alert").id)
    assert staff_alerts_of(world, lead_id) == []
    world.clock.advance(CLAIM_LEASE + timedelta(seconds=1))
    retried = world.container.ingestion.process_delivery("req_crash_before_alert")
    again = world.container.ingestion.follow_up.alert_staff(TENANT, lead_id)  # a third run, for good measure

    assert retried is not None and retried.duplicate
    assert inbox_row(world, "req_crash_before_alert").status is InboxStatus.PROCESSED
    assert len(staff_alerts_of(world, lead_id)) == 1
    assert [(o.to, o.status) for o in again if o.channel == "email"] == [(STAFF_EMAIL, "duplicate")]
