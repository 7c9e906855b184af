"""The per-location critical section that makes booking atomic against double booking.

Two customers may pick the same last free slot within milliseconds. Every booking and reschedule
therefore checks the slot and writes its claim in ONE transaction that holds the location's lock:
PostgreSQL takes `pg_advisory_xact_lock` on a key derived from (tenant, location); SQLite's
`BEGIN IMMEDIATE` (which every transaction of `app/db.py` starts with) already serialises all writers.
The second transaction waits, then sees the first one's claim, and refuses: exactly one booking wins.

What is "booked" is the union of the appointments read model and the claims table (the claim is written
in the critical section, so it is never behind; the read model may be a few milliseconds behind the log).
A cancelled claim frees its appointment's slot whatever the read model says; a confirmed claim at another
time than the read model's row (a reschedule not yet saved, or whose save crashed) holds BOTH slots, so
the old one is never sold while the appointment may still be there. The claim is written before the appointment's events are saved and
removed again if that save fails; a crash in between leaves a claim that holds a slot without an
appointment — the safe direction (a slot lost until cleaned up, never a slot sold twice). The orphan
sweep (`app/booking/orphan_claims.py`) does that clean-up: `orphan_candidates` lists old claims the read
model does not know, `drop_orphans` deletes, under the same lock, those whose appointment was never saved.
A cancellation saves its appointment before marking the claim, a reschedule moves the claim before saving
the new time; a crash in between leaves a claim that disagrees with its appointment, which the same sweep
repairs: `disagreeing_candidates` lists them, `reconcile` rewrites them, under the lock, from the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadorch.app.db import Cursor, Database
from leadorch.app.projections.appointments import APPOINTMENTS
from leadorch.app.projections.tables import LIVE_PREFIX, instant, parse_instant
from leadorch.domain.availability import Busy

Interval = tuple[datetime, datetime]
# Looks this far around the asked range, so appointments overlapping its edges are seen.
_MARGIN = timedelta(days=1)
_READ_MODEL = APPOINTMENTS.physical(LIVE_PREFIX)
# A standing claim's columns, in the order `_standing` reads them.
_STANDING_COLUMNS = "appointment_id, tenant_id, location_id, lead_id, start_at, end_at, updated_at"
_STANDING_COLUMNS_OF_C = ", ".join(f"c.{column}" for column in _STANDING_COLUMNS.split(", "))


class SlotTaken(Exception):
    """The slot was free a moment ago but is not any more (or never was); `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claim:
    appointment_id: str
    tenant_id: str
    location_id: str
    lead_id: str
    start: datetime
    end: datetime
    technician_id: str | None = None


@dataclass(frozen=True)
class StandingClaim:
    """A claim as it stands in the table, with when it was last written."""

    claim: Claim
    claimed_at: datetime


@dataclass(frozen=True)
class BookedAs:
    """An appointment's slot as its event log has it: what its claim must agree with."""

    cancelled: bool
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Reconciled:
    """A claim as it stood before `reconcile` brought it in line with the appointment (`now`)."""

    was: StandingClaim
    now: BookedAs


def location_lock_key(tenant_id: str, location_id: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory lock of one location."""
    digest = hashlib.sha256(f"leadorch-booking:{tenant_id}:{location_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SlotClaims:
    """Claims on a location's slots, checked and written under the location's lock."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(
        self,
        claim: Claim,
        *,
        refuse: Callable[[list[Busy]], str | None],
        now: datetime,
        assign: Callable[[list[Busy]], str | None] | None = None,
    ) -> str | None:
        """Write `claim` if `refuse(booked)` finds nothing wrong with it, else raise `SlotTaken`.

        `booked` lists the other confirmed appointments around the claimed slot, read under the lock.
        `assign(booked)` names the technician the claim holds (under the same lock, so two bookings never
        take the same technician); returned. Claiming an appointment that already has a claim moves it
        (a reschedule).
        """
        with self.db.transaction() as cur:
            self._lock(cur, claim.tenant_id, claim.location_id)
            booked = self._booked(
                cur,
                claim.tenant_id,
                claim.location_id,
                claim.start - _MARGIN,
                claim.end + _MARGIN,
                exclude=claim.appointment_id,
            )
            reason = refuse(booked)
            if reason is not None:
                raise SlotTaken(reason)
            technician = assign(booked) if assign is not None else claim.technician_id
            cur.execute(
                "INSERT INTO location_bookings (appointment_id, tenant_id, location_id, lead_id, start_at, "
                "end_at, status, updated_at, technician_id) VALUES (%s, %s, %s, %s, %s, %s, 'confirmed', %s, %s) "
                "ON CONFLICT (appointment_id) DO UPDATE SET start_at = excluded.start_at, "
                "end_at = excluded.end_at, status = 'confirmed', updated_at = excluded.updated_at, "
                "technician_id = excluded.technician_id",
                (
                    claim.appointment_id,
                    claim.tenant_id,
                    claim.location_id,
                    claim.lead_id,
                    instant(claim.start),
                    instant(claim.end),
                    instant(now),
                    technician,
                ),
            )
        return technician

    def restore(self, claim: Claim, *, now: datetime) -> None:
        """Put a claim back as it was (a reschedule whose save failed)."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE location_bookings SET start_at = %s, end_at = %s, status = 'confirmed', updated_at = %s, "
                "technician_id = %s WHERE appointment_id = %s",
                (
                    instant(claim.start),
                    instant(claim.end),
                    instant(now),
                    claim.technician_id,
                    claim.appointment_id,
                ),
            )

    def technician_of(self, appointment_id: str) -> str | None:
        """The technician the appointment's claim holds (None: unassigned, or no claim)."""
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT technician_id FROM location_bookings WHERE appointment_id = %s", (appointment_id,)
            )
            row = cur.fetchone()
        return None if row is None else row[0]

    def forget(self, appointment_id: str) -> None:
        """Remove the claim of a booking whose save failed: the slot is free again."""
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM location_bookings WHERE appointment_id = %s", (appointment_id,))

    def release(self, appointment_id: str, *, now: datetime) -> None:
        """The appointment was cancelled: its slot is free again."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE location_bookings SET status = 'cancelled', updated_at = %s WHERE appointment_id = %s",
                (instant(now), appointment_id),
            )

    def booked(self, tenant_id: str, location_id: str, start: datetime, end: datetime) -> list[Busy]:
        """Confirmed appointments at the location overlapping [start, end) (no lock: for offering slots)."""
        with self.db.transaction() as cur:
            return self._booked(cur, tenant_id, location_id, start - _MARGIN, end + _MARGIN, exclude=None)

    def orphan_candidates(self, claimed_before: datetime, *, limit: int) -> list[StandingClaim]:
        """Confirmed claims last written before `claimed_before` whose appointment the read model lacks.

        No lock: a shortlist, oldest first. The read model only holds appointments whose events were
        saved, so a claim it knows is never an orphan; one it lacks may still be (it lags the log), which
        `drop_orphans` settles against the event store.
        """
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {_STANDING_COLUMNS_OF_C} FROM location_bookings c LEFT JOIN {_READ_MODEL} a "
                "ON a.appointment_id = c.appointment_id WHERE a.appointment_id IS NULL "
                "AND c.status = 'confirmed' AND c.updated_at < %s ORDER BY c.updated_at LIMIT %s",
                (instant(claimed_before), limit),
            )
            rows = cur.fetchall()
        return [_standing(row) for row in rows]

    def drop_orphans(
        self,
        tenant_id: str,
        location_id: str,
        appointment_ids: list[str],
        *,
        claimed_before: datetime,
        has_appointment: Callable[[str], bool],
    ) -> list[StandingClaim]:
        """Under the location's lock, delete the listed claims `has_appointment` denies; those deleted.

        Only a claim still confirmed and still last written before `claimed_before` is considered: one
        written since (a retried booking) is in progress again. Holding the lock keeps a booking's
        check-and-claim at this location from interleaving; a second sweep finds nothing left to drop.
        """
        dropped: list[StandingClaim] = []
        with self.db.transaction() as cur:
            self._lock(cur, tenant_id, location_id)
            for appointment_id in appointment_ids:
                cur.execute(
                    f"SELECT {_STANDING_COLUMNS} FROM location_bookings WHERE appointment_id = %s AND tenant_id = %s "
                    "AND location_id = %s AND status = 'confirmed' AND updated_at < %s",
                    (appointment_id, tenant_id, location_id, instant(claimed_before)),
                )
                row = cur.fetchone()
                if row is None or has_appointment(appointment_id):
                    continue
                cur.execute(
                    "DELETE FROM location_bookings WHERE appointment_id = %s AND updated_at = %s "
                    "RETURNING appointment_id",
                    (appointment_id, row[6]),
                )
                if cur.fetchone() is not None:
                    dropped.append(_standing(row))
        return dropped

    def disagreeing_candidates(self, claimed_before: datetime, *, limit: int) -> list[StandingClaim]:
        """Confirmed claims last written before `claimed_before` that the read model contradicts.

        No lock: a shortlist, oldest first, of claims whose appointment the read model shows cancelled
        or at another start or end (a cancellation or a reschedule that crashed halfway). The read
        model may lag, so `reconcile` settles each against the event store.
        """
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {_STANDING_COLUMNS_OF_C} FROM location_bookings c JOIN {_READ_MODEL} a "
                "ON a.appointment_id = c.appointment_id AND a.tenant_id = c.tenant_id "
                "WHERE c.status = 'confirmed' AND c.updated_at < %s "
                "AND (a.status = 'cancelled' OR a.start_at <> c.start_at OR a.end_at <> c.end_at) "
                "ORDER BY c.updated_at LIMIT %s",
                (instant(claimed_before), limit),
            )
            rows = cur.fetchall()
        return [_standing(row) for row in rows]

    def reconcile(
        self,
        tenant_id: str,
        location_id: str,
        appointment_ids: list[str],
        *,
        claimed_before: datetime,
        booked_as: Callable[[str], BookedAs | None],
        now: datetime,
    ) -> list[Reconciled]:
        """Under the location's lock, bring the listed claims in line with `booked_as`; those changed.

        `booked_as(appointment_id)` is the appointment as the event store has it (None: no such
        appointment of this tenant, left alone). A cancelled appointment's claim is marked cancelled; one
        at another start or end is moved back there. Only a claim still confirmed and still last written
        before `claimed_before` is considered (one written since belongs to a change in progress), and
        each update is conditional on the row's `updated_at`, so a second sweep finds nothing to change.
        """
        changed: list[Reconciled] = []
        with self.db.transaction() as cur:
            self._lock(cur, tenant_id, location_id)
            for appointment_id in appointment_ids:
                cur.execute(
                    f"SELECT {_STANDING_COLUMNS} FROM location_bookings WHERE appointment_id = %s AND tenant_id = %s "
                    "AND location_id = %s AND status = 'confirmed' AND updated_at < %s",
                    (appointment_id, tenant_id, location_id, instant(claimed_before)),
                )
                row = cur.fetchone()
                truth = None if row is None else booked_as(appointment_id)
                if row is None or truth is None:
                    continue
                standing = _standing(row)
                if truth.cancelled:
                    cur.execute(
                        "UPDATE location_bookings SET status = 'cancelled', updated_at = %s "
                        "WHERE appointment_id = %s AND updated_at = %s RETURNING appointment_id",
                        (instant(now), appointment_id, row[6]),
                    )
                elif (truth.start, truth.end) != (standing.claim.start, standing.claim.end):
                    cur.execute(
                        "UPDATE location_bookings SET start_at = %s, end_at = %s, updated_at = %s "
                        "WHERE appointment_id = %s AND updated_at = %s RETURNING appointment_id",
                        (instant(truth.start), instant(truth.end), instant(now), appointment_id, row[6]),
                    )
                else:
                    continue  # the read model lagged; the claim already agrees with the appointment
                if cur.fetchone() is not None:
                    changed.append(Reconciled(standing, truth))
        return changed

    # ------------------------------------------------------------------------------------------------

    def _lock(self, cur: Cursor, tenant_id: str, location_id: str) -> None:
        if self.db.dialect == "postgres":
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (location_lock_key(tenant_id, location_id),))
        # SQLite: the transaction began with BEGIN IMMEDIATE, which already excludes every other writer.

    def _booked(
        self,
        cur: Cursor,
        tenant_id: str,
        location_id: str,
        start: datetime,
        end: datetime,
        *,
        exclude: str | None,
    ) -> list[Busy]:
        window = (tenant_id, location_id, instant(end), instant(start))
        by_id: dict[str, tuple[str, Any, Any]] = {}
        cur.execute(
            f"SELECT appointment_id, status, start_at, end_at FROM {_READ_MODEL} "
            "WHERE tenant_id = %s AND location_id = %s AND start_at < %s AND end_at > %s",
            window,
        )
        for appointment_id, status, starts, ends in cur.fetchall():
            by_id[appointment_id] = (status, starts, ends)
        # Claims are written under the lock; the read model follows the log a little later.
        cur.execute(
            "SELECT appointment_id, status, start_at, end_at, technician_id FROM location_bookings "
            "WHERE tenant_id = %s AND location_id = %s AND start_at < %s AND end_at > %s",
            window,
        )
        rows = cur.fetchall()
        claimed = {row[0]: (row[1], row[2], row[3]) for row in rows}
        technicians = {row[0]: row[4] for row in rows}
        for appointment_id in by_id.keys() - claimed.keys():
            # A claim moved out of the window: cancelled, it frees the read model's old row; confirmed, not.
            cur.execute(
                "SELECT status, start_at, end_at FROM location_bookings WHERE appointment_id = %s",
                (appointment_id,),
            )
            moved = cur.fetchone()
            if moved is not None:
                claimed[appointment_id] = (moved[0], moved[1], moved[2])
        busy: list[Busy] = []
        for appointment_id in by_id.keys() | claimed.keys():
            if appointment_id == exclude:
                continue
            held: list[tuple[str, Any, Any, str | None]] = []
            claim = claimed.get(appointment_id)
            if claim is not None:
                if claim[0] != "confirmed":
                    continue  # cancelled under the lock: the read model's row is merely behind
                held.append((*claim, technicians.get(appointment_id)))
            logged = by_id.get(appointment_id)
            if logged is not None and logged[0] == "confirmed" and (claim is None or logged[1:] != claim[1:]):
                # A confirmed claim elsewhere is a reschedule in progress (or one that crashed before its
                # save): the appointment holds its old slot until the log says otherwise, with whichever
                # technician (unassigned: it still takes one of them).
                held.append((*logged, None))
            for _status, starts, ends, technician in held:
                begin, finish = parse_instant(starts), parse_instant(ends)
                if begin is not None and finish is not None:
                    busy.append(Busy(begin, finish, frozenset({technician} if technician else ())))
        return sorted(busy, key=lambda b: (b.start, b.end, sorted(b.technician_ids)))


def _standing(row: tuple[Any, ...]) -> StandingClaim:
    """(appointment_id, tenant_id, location_id, lead_id, start_at, end_at, updated_at) as a claim."""
    start, end, claimed_at = parse_instant(row[4]), parse_instant(row[5]), parse_instant(row[6])
    assert start is not None and end is not None and claimed_at is not None  # NOT NULL columns
    return StandingClaim(Claim(row[0], row[1], row[2], row[3], start, end), claimed_at)
