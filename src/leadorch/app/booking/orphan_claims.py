"""Give back the slots held by claims whose booking crashed before its appointment was saved.

A booking writes its slot claim, then saves the appointment's events; a process killed in between leaves
a claim without an appointment, and the slot looks taken forever (see `slot_claims.py`). The periodic
job `release_orphan_claims` deletes such a claim once it is older than `ORPHAN_GRACE` and the event store
(not the read model, which may lag) has no aggregate under its appointment id. Each deletion happens
under the location's lock, the critical section every booking's check-and-claim uses, and logs one
warning naming the tenant, location, slot and appointment (never the customer).

The same run then repairs claims that disagree with their appointment (`reconcile_claims`). A
cancellation saves the appointment and only then marks its claim cancelled; a crash in between leaves a
confirmed claim that blocks a free slot forever. A reschedule moves the claim and then saves the new
time; a crash in between leaves the claim at the new slot, hiding the appointment's real (old) slot, which
could then be sold twice. For each claim older than the grace period that the read model contradicts (or
that the read model does not know yet), the Appointment is loaded from the event store, the source of
truth, and under the location's lock the claim is marked cancelled or moved back to the appointment's
start and end, with one warning each. Claims that agree, young claims (a change in progress) and claims
whose appointment belongs to another tenant are left alone.

Running the sweep twice, even at once in two workers, is harmless: every change is conditional on the
row being exactly as it was read, under the lock, so the second finds nothing left to do.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import TYPE_CHECKING
from uuid import UUID

from leadorch.app.booking.slot_claims import BookedAs, Claim, Reconciled, SlotClaims, StandingClaim
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.observability.logging import bind
from leadorch.app.worker.specs import ActorSpec
from leadorch.domain.appointment import Appointment, AppointmentStatus

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

ORPHAN_GRACE = timedelta(minutes=5)
"""How old a claim without an appointment must be before its slot is given back.

A booking saves its appointment milliseconds after writing the claim (a few seconds at worst, with
optimistic-concurrency retries on a loaded database). Five minutes is far beyond any booking in
progress, so a claim this old without an appointment is a crash's leftover; a shorter grace could free
the slot of a booking about to commit (a slot sold twice), a longer one only keeps a lost slot longer.
"""

SWEEP_LIMIT = 200
"""Claims examined per run, so one run stays short; the next run (a minute later) takes the rest."""


def release_orphan_claims(
    container: Container,
    *,
    now: datetime | None = None,
    older_than: timedelta = ORPHAN_GRACE,
    limit: int = SWEEP_LIMIT,
) -> list[Claim]:
    """Delete the claims older than `older_than` whose appointment was never saved; the claims released.

    Then repairs the claims that disagree with their appointment (see `reconcile_claims`), so the one
    periodic job covers every crash of a booking, cancellation or reschedule.
    """
    _check(older_than, limit)
    moment = now if now is not None else container.clock.now()
    released = _release(container, moment, older_than, limit)
    reconcile_claims(container, now=moment, older_than=older_than, limit=limit)
    return released


def reconcile_claims(
    container: Container,
    *,
    now: datetime | None = None,
    older_than: timedelta = ORPHAN_GRACE,
    limit: int = SWEEP_LIMIT,
) -> list[Reconciled]:
    """Bring claims older than `older_than` in line with their appointment's log; the claims changed."""
    _check(older_than, limit)
    moment = now if now is not None else container.clock.now()
    cutoff = moment - older_than
    claims = SlotClaims(container.db)
    store: EventStore = container.store
    shortlist = claims.disagreeing_candidates(cutoff, limit=limit) + claims.orphan_candidates(
        cutoff, limit=limit
    )
    changed: list[Reconciled] = []
    for (tenant_id, location_id), group in groupby(sorted(shortlist, key=_by_location), key=_by_location):

        def booked_as(appointment_id: str, tenant_id: str = tenant_id) -> BookedAs | None:
            try:
                appointment = store.load(UUID(appointment_id), Appointment, tenant_id)
            except (NotFound, ValueError):
                return None  # never saved (the orphan pass's business) or not this tenant's
            cancelled = appointment.status is AppointmentStatus.CANCELLED
            return BookedAs(cancelled=cancelled, start=appointment.start, end=appointment.end)

        ids = list(dict.fromkeys(standing.claim.appointment_id for standing in group))
        for change in claims.reconcile(
            tenant_id, location_id, ids, claimed_before=cutoff, booked_as=booked_as, now=moment
        ):
            claim = change.was.claim
            with bind(tenant_id=tenant_id, location_id=location_id, appointment_id=claim.appointment_id):
                log.warning(
                    "reconciled slot claim: appointment %s, tenant %s, location %s, claim for %s to %s "
                    "claimed %s ago, %s",
                    claim.appointment_id,
                    tenant_id,
                    location_id,
                    _utc_words(claim.start),
                    _utc_words(claim.end),
                    moment - change.was.claimed_at,
                    "marked cancelled as its appointment is"
                    if change.now.cancelled
                    else f"moved back to the appointment's {_utc_words(change.now.start)} to "
                    f"{_utc_words(change.now.end)}",
                )
            changed.append(change)
    return changed


def _check(older_than: timedelta, limit: int) -> None:
    if older_than < timedelta(0):
        raise ValueError(f"older_than must not be negative, got {older_than}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


def _by_location(standing: StandingClaim) -> tuple[str, str]:
    return standing.claim.tenant_id, standing.claim.location_id


def _release(container: Container, moment: datetime, older_than: timedelta, limit: int) -> list[Claim]:
    cutoff = moment - older_than
    claims = SlotClaims(container.db)
    store: EventStore = container.store

    def has_appointment(appointment_id: str) -> bool:
        try:
            key = UUID(appointment_id)
        except ValueError:
            return False  # not an id any appointment can have
        return store.exists(key)

    candidates = claims.orphan_candidates(cutoff, limit=limit)
    released: list[Claim] = []

    for (tenant_id, location_id), group in groupby(sorted(candidates, key=_by_location), key=_by_location):
        dropped = claims.drop_orphans(
            tenant_id,
            location_id,
            [standing.claim.appointment_id for standing in group],
            claimed_before=cutoff,
            has_appointment=has_appointment,
        )
        for standing in dropped:
            claim = standing.claim
            with bind(tenant_id=tenant_id, location_id=location_id, appointment_id=claim.appointment_id):
                log.warning(
                    "released orphan slot claim: appointment %s, tenant %s, location %s, slot %s to %s, "
                    "claimed %s ago and no appointment was ever saved",
                    claim.appointment_id,
                    tenant_id,
                    location_id,
                    _utc_words(claim.start),
                    _utc_words(claim.end),
                    moment - standing.claimed_at,
                )
            released.append(claim)
    return released


def _utc_words(moment: datetime) -> str:
    """`27 Nov 2026 18:00 UTC`: unambiguous, and not a digit run the log masking takes for a phone number."""
    return moment.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")


RELEASE_ORPHAN_CLAIMS = ActorSpec(
    "release_orphan_claims", release_orphan_claims, max_retries=0, time_limit_ms=120_000
)
