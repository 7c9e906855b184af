"""A booking that crashed between claiming its slot and saving its appointment gives the slot back.

Runs on the embedded SQLite store and on PostgreSQL. The shop has two bays; an orphan claim is written
through `SlotClaims` exactly as the booking service writes one, and the appointment is never saved, as
if the process had been killed in between. The sweep frees it once it is older than the grace period,
and touches nothing else.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from uuid import uuid4

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
from leadorch.app.booking.orphan_claims import ORPHAN_GRACE, release_orphan_claims
from leadorch.app.booking.service import SlotTaken
from leadorch.app.booking.slot_claims import Claim, SlotClaims


def crashed_booking(world: ChatWorld, start: datetime = FRIDAY_10AM) -> str:
    """The claim a booking writes before saving its appointment, and no appointment: the crash's leftover."""
    appointment_id = str(uuid4())
    claim = Claim(
        appointment_id=appointment_id,
        tenant_id=world.tenant_id,
        location_id=LOCATION,
        lead_id=world.new_lead(first_name="Crash"),
        start=start,
        end=start + PREMIUM_LINE.duration,
    )
    SlotClaims(world.container.db).claim(claim, refuse=lambda booked: None, now=world.clock.now())
    return appointment_id


def sweep(world: ChatWorld) -> list[Claim]:
    """Run the sweep; the claims it released for this test's tenant (the database is shared by the module)."""
    return [c for c in release_orphan_claims(world.container) if c.tenant_id == world.tenant_id]


def test_an_old_orphan_claim_is_released_and_its_slot_can_be_booked_again(
    chat_world: ChatWorld, caplog: pytest.LogCaptureFixture
) -> None:
    book(chat_world, chat_world.new_lead(first_name="Ana"))
    orphan = crashed_booking(chat_world)  # with Ana's, both bays at 10:00 look taken
    with pytest.raises(SlotTaken, match="already taken"):
        book(chat_world, chat_world.new_lead(first_name="Ben"))
    chat_world.clock.advance(PAST_GRACE)

    with caplog.at_level(logging.WARNING, logger="leadorch.app.booking.orphan_claims"):
        released = sweep(chat_world)

    assert [(c.appointment_id, c.location_id, c.start) for c in released] == [(orphan, LOCATION, FRIDAY_10AM)]
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "leadorch.app.booking.orphan_claims" and chat_world.tenant_id in r.getMessage()
    ]
    assert len(warnings) == 1
    assert all(
        part in warnings[0] for part in (orphan, chat_world.tenant_id, LOCATION, "27 Nov 2026 18:00 UTC")
    )
    assert "Crash" not in warnings[0] and "Ortega" not in warnings[0]
    assert orphan not in [row[0] for row in claim_rows(chat_world)]
    book(chat_world, chat_world.new_lead(first_name="Ben"))  # the bay is free again


def test_a_young_claim_without_appointment_is_a_booking_in_progress_and_is_kept(
    chat_world: ChatWorld,
) -> None:
    book(chat_world, chat_world.new_lead(first_name="Ana"))
    orphan = crashed_booking(chat_world)
    chat_world.clock.advance(ORPHAN_GRACE - timedelta(seconds=30))

    assert sweep(chat_world) == []

    assert orphan in [row[0] for row in claim_rows(chat_world)]
    with pytest.raises(SlotTaken, match="already taken"):
        book(chat_world, chat_world.new_lead(first_name="Ben"))


def test_claims_of_saved_appointments_are_kept_even_before_the_read_model_knows_them(
    chat_world: ChatWorld,
) -> None:
    book(chat_world, chat_world.new_lead(first_name="Ana"))
    book(chat_world, chat_world.new_lead(first_name="Ben"))  # no catch_up: the read model knows neither
    before = claim_rows(chat_world)
    chat_world.clock.advance(timedelta(hours=1))

    assert sweep(chat_world) == []
    chat_world.catch_up()
    assert sweep(chat_world) == []

    assert claim_rows(chat_world) == before
    with pytest.raises(SlotTaken, match="already taken"):
        book(chat_world, chat_world.new_lead(first_name="Cy"))


def test_cancelled_and_rescheduled_appointments_keep_their_claims_as_booking_left_them(
    chat_world: ChatWorld,
) -> None:
    ana, ben = chat_world.new_lead(first_name="Ana"), chat_world.new_lead(first_name="Ben")
    book(chat_world, ana)
    book(chat_world, ben)
    service = chat_world.container.booking
    location = chat_world.container.config.location(chat_world.tenant_id, LOCATION)
    service.cancel(tenant_id=chat_world.tenant_id, lead_id=ana, reason="plans changed")
    service.reschedule(
        tenant_id=chat_world.tenant_id, lead_id=ben, location=location, start=FRIDAY_10AM + timedelta(hours=4)
    )
    before = claim_rows(chat_world)
    chat_world.clock.advance(timedelta(hours=1))

    assert sweep(chat_world) == []

    assert claim_rows(chat_world) == before
    assert sorted(row[1] for row in before) == ["cancelled", "confirmed"]


def test_running_the_sweep_twice_or_from_two_workers_at_once_releases_each_orphan_once(
    chat_world: ChatWorld,
) -> None:
    first, second = crashed_booking(chat_world), crashed_booking(chat_world, FRIDAY_10AM + timedelta(hours=2))
    chat_world.clock.advance(PAST_GRACE)
    results = in_two_workers_at_once(lambda: sweep(chat_world))

    assert sorted(c.appointment_id for result in results for c in result) == sorted([first, second])
    kept = book(chat_world, chat_world.new_lead(first_name="Ana"))
    chat_world.clock.advance(PAST_GRACE)
    assert sweep(chat_world) == []
    assert [row[0] for row in claim_rows(chat_world)] == [kept]


def test_the_sweep_is_a_periodic_job_of_every_worker() -> None:
    assert actors.RELEASE_ORPHAN_CLAIMS in actors.ACTORS
    intervals = {spec.actor_name: spec.interval(None) for spec in actors.PERIODIC}
    assert intervals[actors.RELEASE_ORPHAN_CLAIMS.name] == 60.0
    assert actors.RELEASE_ORPHAN_CLAIMS.max_retries == 0  # the next run is the retry


def test_the_periodic_job_releases_an_orphan(chat_world: ChatWorld) -> None:
    orphan = crashed_booking(chat_world)
    chat_world.clock.advance(PAST_GRACE)

    actors.RELEASE_ORPHAN_CLAIMS.fn(chat_world.container)

    assert orphan not in [row[0] for row in claim_rows(chat_world)]


def test_a_negative_grace_period_is_refused(chat_world: ChatWorld) -> None:
    with pytest.raises(ValueError, match="older_than must not be negative"):
        release_orphan_claims(chat_world.container, older_than=timedelta(minutes=-1))
