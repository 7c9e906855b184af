"""Give back the slots held by claims whose booking crashed before its appointment was saved.

A booking writes its slot claim, then saves the appointment's events; a process killed in between leaves
a claim without an appointment, and the slot looks taken forever (see `slot_claims.py`). The periodic
job `release_orphan_claims` deletes such a claim once it is older than `ORPHAN_GRACE` and the event store
(not the read model, which may lag) has no aggregate under its appointment id. Each deletion happens
under the location's lock, the critical section every booking's check-and-claim uses, and logs one
warning naming the tenant, location, slot and appointment (never the customer).

Claims with an appointment, whatever its state, are never touched: a cancelled appointment's claim is
kept (marked cancelled) and a reschedule moves its claim, both by the booking service. Running the sweep
twice, even at once in two workers, is harmless: the second finds nothing left to delete.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any
from uuid import UUID

from leadorch.app.booking.slot_claims import Claim, SlotClaims, StandingClaim
from leadorch.app.eventstore.store import EventStore
from leadorch.app.observability.logging import bind

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
    container: Any,
    *,
    now: datetime | None = None,
    older_than: timedelta = ORPHAN_GRACE,
    limit: int = SWEEP_LIMIT,
) -> list[Claim]:
    """Delete the claims older than `older_than` whose appointment was never saved; the claims released."""
    if older_than < timedelta(0):
        raise ValueError(f"older_than must not be negative, got {older_than}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    moment = now if now is not None else container.clock.now()
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

    def by_location(standing: StandingClaim) -> tuple[str, str]:
        return standing.claim.tenant_id, standing.claim.location_id

    for (tenant_id, location_id), group in groupby(sorted(candidates, key=by_location), key=by_location):
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
