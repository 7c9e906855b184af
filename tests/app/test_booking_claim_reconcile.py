"""A cancellation or reschedule that crashed halfway leaves a claim the sweep brings back in line.

Runs on the embedded SQLite store and on PostgreSQL. The shop has two bays. Each crash is simulated by
doing the first half of the operation exactly as `BookingService` does it: a cancellation saves the
appointment and the lead but never marks the claim; a reschedule moves the claim through `SlotClaims`
but never saves the new time. Once the claim is older than the grace period, the sweep loads the
appointment from the event store and repairs the claim; nothing else is touched. Until then a moved
claim never hides the appointment's old slot: the read model still shows it booked, and that counts.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from tests.support.booking_claims import (
    FRIDAY_10AM,
    PAST_GRACE,
    PREMIUM_LINE,
    book,
    claim_rows,
    in_two_workers_at_once,
)
from tests.support.chat_world import LOCATION, ChatWorld

from leadorch.app.booking import actors
from leadorch.app.booking.orphan_claims import ORPHAN_GRACE, reconcile_claims
from leadorch.app.booking.service import SlotTaken
from leadorch.app.booking.slot_claims import Claim, Reconciled, SlotClaims
from leadorch.domain.appointment import Appointment, AppointmentStatus
from leadorch.domain.lead import Lead

FRIDAY_2PM = FRIDAY_10AM + timedelta(hours=4)
LOGGER = "leadorch.app.booking.orphan_claims"


def crashed_cancel(world: ChatWorld, lead_id: str, appointment_id: str) -> None:
    """The cancellation saved, as `BookingService.cancel` saves it, and the claim never marked."""
    store = world.container.store
    now = world.clock.now()
    lead = store.load(UUID(lead_id), Lead, world.tenant_id)
    appointment = store.load(UUID(appointment_id), Appointment, world.tenant_id)
    appointment.cancel(reason="plans changed", at=now)
    lead.record_booking_cancelled(appointment_id=appointment.id, at=now)
    store.save(appointment, lead)


def crashed_reschedule(world: ChatWorld, lead_id: str, appointment_id: str, start: Any) -> None:
    """The claim moved to `start`, as `BookingService.reschedule` moves it, and the new time never saved."""
    moved = Claim(
        appointment_id=appointment_id,
        tenant_id=world.tenant_id,
        location_id=LOCATION,
        lead_id=lead_id,
        start=start,
        end=start + PREMIUM_LINE.duration,
    )
    SlotClaims(world.container.db).claim(moved, refuse=lambda booked: None, now=world.clock.now())


def reconcile(world: ChatWorld) -> list[Reconciled]:
    """Run the repair; the claims it changed for this test's tenant (the database is shared by the module)."""
    return [c for c in reconcile_claims(world.container) if c.was.claim.tenant_id == world.tenant_id]


def warnings_for(world: ChatWorld, caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == LOGGER and r.levelno == logging.WARNING and world.tenant_id in r.getMessage()
    ]


def test_a_crashed_cancellation_frees_its_slot_once_the_claim_is_old(
    chat_world: ChatWorld, caplog: pytest.LogCaptureFixture
) -> None:
    ana = chat_world.new_lead(first_name="Ana")
    anas = book(chat_world, ana)
    book(chat_world, chat_world.new_lead(first_name="Ben"))
    crashed_cancel(chat_world, ana, anas)
    chat_world.catch_up()
    cy = chat_world.new_lead(first_name="Cy")
    with pytest.raises(SlotTaken, match="already taken"):
        book(chat_world, cy)  # the stale claim still holds Ana's bay
    chat_world.clock.advance(PAST_GRACE)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        changed = reconcile(chat_world)

    assert [(c.was.claim.appointment_id, c.now.cancelled) for c in changed] == [(anas, True)]
    warnings = warnings_for(chat_world, caplog)
    assert len(warnings) == 1
    assert all(
        part in warnings[0] for part in (anas, chat_world.tenant_id, LOCATION, "27 Nov 2026 18:00 UTC")
    )
    assert "cancelled" in warnings[0]
    assert "Ana" not in warnings[0] and "Ortega" not in warnings[0]
    assert dict((row[0], row[1]) for row in claim_rows(chat_world))[anas] == "cancelled"
    after = claim_rows(chat_world)
    assert reconcile(chat_world) == []
    assert claim_rows(chat_world) == after
    book(chat_world, cy)  # Ana's bay is free again


def test_a_crashed_reschedule_keeps_the_old_slot_and_frees_the_new_one(
    chat_world: ChatWorld, caplog: pytest.LogCaptureFixture
) -> None:
    ana = chat_world.new_lead(first_name="Ana")
    anas = book(chat_world, ana)
    book(chat_world, chat_world.new_lead(first_name="Ben"))
    book(chat_world, chat_world.new_lead(first_name="Dee"), FRIDAY_2PM)
    crashed_reschedule(chat_world, ana, anas, FRIDAY_2PM)
    chat_world.catch_up()
    cy = chat_world.new_lead(first_name="Cy")
    with pytest.raises(SlotTaken, match="already taken"):
        book(chat_world, cy)  # even before the repair, Ana's 10:00 is not sold to anyone else
    chat_world.clock.advance(PAST_GRACE)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        changed = reconcile(chat_world)

    assert [(c.was.claim.appointment_id, c.was.claim.start, c.now.start) for c in changed] == [
        (anas, FRIDAY_2PM, FRIDAY_10AM)
    ]
    warnings = warnings_for(chat_world, caplog)
    assert len(warnings) == 1
    assert all(
        part in warnings[0] for part in (anas, chat_world.tenant_id, LOCATION, "27 Nov 2026 18:00 UTC")
    )
    assert "Ana" not in warnings[0]
    appointment = chat_world.appointment(anas)
    assert (appointment.start, appointment.status) == (FRIDAY_10AM, AppointmentStatus.CONFIRMED)
    after = claim_rows(chat_world)
    assert reconcile(chat_world) == []
    assert claim_rows(chat_world) == after
    with pytest.raises(SlotTaken, match="already taken"):
        book(chat_world, cy)  # Ana still holds 10:00: it is not sold twice
    book(chat_world, cy, FRIDAY_2PM)  # the slot Ana never got is free


def test_a_finished_reschedule_frees_the_old_slot_once_the_log_is_read(chat_world: ChatWorld) -> None:
    ana = chat_world.new_lead(first_name="Ana")
    book(chat_world, ana)
    book(chat_world, chat_world.new_lead(first_name="Ben"))
    chat_world.catch_up()
    location = chat_world.container.config.location(chat_world.tenant_id, LOCATION)
    chat_world.container.booking.reschedule(
        tenant_id=chat_world.tenant_id, lead_id=ana, location=location, start=FRIDAY_2PM
    )
    chat_world.catch_up()

    book(chat_world, chat_world.new_lead(first_name="Cy"))  # the 10:00 bay Ana left

    chat_world.clock.advance(PAST_GRACE)
    assert reconcile(chat_world) == []


def test_young_disagreeing_claims_are_changes_in_progress_and_are_kept(chat_world: ChatWorld) -> None:
    ana, ben = chat_world.new_lead(first_name="Ana"), chat_world.new_lead(first_name="Ben")
    anas, bens = book(chat_world, ana), book(chat_world, ben, FRIDAY_2PM)
    crashed_cancel(chat_world, ana, anas)
    crashed_reschedule(chat_world, ben, bens, FRIDAY_10AM + timedelta(days=4))
    chat_world.catch_up()
    before = claim_rows(chat_world)
    chat_world.clock.advance(ORPHAN_GRACE - timedelta(seconds=30))

    assert reconcile(chat_world) == []

    assert claim_rows(chat_world) == before


def test_claims_that_agree_or_belong_to_another_tenant_are_never_touched(chat_world: ChatWorld) -> None:
    ana, ben = chat_world.new_lead(first_name="Ana"), chat_world.new_lead(first_name="Ben")
    anas = book(chat_world, ana)
    bens = book(chat_world, ben)
    crashed_cancel(chat_world, ben, bens)
    with chat_world.container.db.transaction() as cur:  # a claim naming an appointment of another tenant
        cur.execute(
            "UPDATE location_bookings SET tenant_id = 'other-tenant' WHERE appointment_id = %s", (bens,)
        )
    chat_world.catch_up()
    before = claim_rows(chat_world)
    with chat_world.container.db.transaction() as cur:
        cur.execute("SELECT status, start_at FROM location_bookings WHERE appointment_id = %s", (bens,))
        other_before = cur.fetchone()
    chat_world.clock.advance(timedelta(hours=1))

    assert [
        c for c in reconcile_claims(chat_world.container) if c.was.claim.appointment_id in (anas, bens)
    ] == []

    assert claim_rows(chat_world) == before
    with chat_world.container.db.transaction() as cur:
        cur.execute("SELECT status, start_at FROM location_bookings WHERE appointment_id = %s", (bens,))
        assert cur.fetchone() == other_before
        cur.execute("DELETE FROM location_bookings WHERE appointment_id = %s", (bens,))


def test_two_workers_at_once_repair_each_claim_once(chat_world: ChatWorld) -> None:
    ana, ben = chat_world.new_lead(first_name="Ana"), chat_world.new_lead(first_name="Ben")
    anas, bens = book(chat_world, ana), book(chat_world, ben, FRIDAY_2PM)
    crashed_cancel(chat_world, ana, anas)
    crashed_reschedule(chat_world, ben, bens, FRIDAY_10AM + timedelta(days=4))
    chat_world.catch_up()
    chat_world.clock.advance(PAST_GRACE)
    results = in_two_workers_at_once(lambda: reconcile(chat_world))

    assert sorted(c.was.claim.appointment_id for result in results for c in result) == sorted([anas, bens])
    rows = {row[0]: row[1:3] for row in claim_rows(chat_world)}
    assert rows[anas][0] == "cancelled"
    assert rows[bens][0] == "confirmed"
    assert chat_world.appointment(bens).start == FRIDAY_2PM


def test_the_periodic_job_repairs_a_crashed_cancellation(chat_world: ChatWorld) -> None:
    ana = chat_world.new_lead(first_name="Ana")
    anas = book(chat_world, ana)
    crashed_cancel(chat_world, ana, anas)
    chat_world.catch_up()
    chat_world.clock.advance(PAST_GRACE)

    actors.RELEASE_ORPHAN_CLAIMS.fn(chat_world.container)

    assert dict((row[0], row[1]) for row in claim_rows(chat_world))[anas] == "cancelled"


def test_a_limit_below_one_is_refused(chat_world: ChatWorld) -> None:
    with pytest.raises(ValueError, match="limit must be at least 1"):
        reconcile_claims(chat_world.container, limit=0)
