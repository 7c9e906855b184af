"""What the booking tests share: a booking on the demo shop, and for the slot-claim sweep tests the
claim rows and running a job in two workers at once.

The shop (`chat_world`) has two bays; bookings are made through the real booking service.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from leadorch.app.booking.orphan_claims import ORPHAN_GRACE
from leadorch.domain.availability import ServiceLine
from tests.support.chat_world import LOCATION, PREMIUM, ChatWorld

R = TypeVar("R")

FRIDAY_10AM = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 10:00 in San Diego
PREMIUM_LINE = ServiceLine(
    service_id=PREMIUM, name="Premium Tint Package", duration_minutes=120, price_cents=30000
)
PAST_GRACE = ORPHAN_GRACE + timedelta(minutes=1)


def book(world: ChatWorld, lead_id: str | None = None, start: datetime = FRIDAY_10AM) -> str:
    """A booking through the service, as the chat makes one (for the world's own lead unless `lead_id`
    is given); the appointment's id."""
    location = world.container.config.location(world.tenant_id, LOCATION)
    appointment = world.container.booking.book(
        tenant_id=world.tenant_id,
        lead_id=lead_id or world.lead_id,
        location=location,
        services=[PREMIUM_LINE],
        start=start,
    )
    return str(appointment.id)


def claim_rows(world: ChatWorld) -> list[tuple[Any, ...]]:
    """This test's tenant's claims: (appointment id, status, start, end, updated at)."""
    with world.container.db.transaction() as cur:
        cur.execute(
            "SELECT appointment_id, status, start_at, end_at, updated_at FROM location_bookings "
            "WHERE tenant_id = %s ORDER BY appointment_id",
            (world.tenant_id,),
        )
        rows: list[tuple[Any, ...]] = cur.fetchall()
    return rows


def in_two_workers_at_once(job: Callable[[], R]) -> list[R]:
    """Run `job` in two threads released together (two workers' schedulers firing at once); both results.

    Raises the first error either worker met.
    """
    barrier = threading.Barrier(2)
    results: list[R] = []
    errors: list[BaseException] = []

    def one_worker() -> None:
        barrier.wait()
        try:
            results.append(job())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]
    assert len(results) == 2, "a worker never came back"
    return results
