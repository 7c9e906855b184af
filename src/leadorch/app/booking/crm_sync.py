"""Keep the shop's CRM calendar in step with our appointments: create, move or delete them in ShopMonkey.

The job `sync_appointment_to_crm(tenant_id, appointment_id)` writes the appointment's current state to
the CRM through the `Crm` port, linked to the lead's order, with a `note` that tells the shop what the
customer asked in the chat and what they chose. Its outcome is recorded on the aggregate
(`CrmSynced` / `CrmSyncFailed`), which the appointments read model shows as the sync status.

- One writer per appointment: a short lease in `appointment_crm_sync` (a second job for the same
  appointment leaves it to the holder, which re-checks the state when it is done).
- A temporary failure (CRM down, rate limited) is recorded and retried with exponential backoff, up to
  `MAX_ATTEMPTS`; then, like a permanent failure (bad credentials, a refused request, a lead with no
  CRM vehicle), it flags the appointment for staff. It never cancels the appointment.
- The state last written is remembered, so a change made while a sync was in flight is synced again.
- Never two CRM appointments for one of ours: ShopMonkey may apply a create and still answer 5xx (or
  drop the connection), and the retry cannot tell. So before creating, the sync lists the order's
  appointments and adopts the one an earlier attempt made: the note carries our booking reference
  (`booking_reference`), or, when staff rewrote the note, it has the same start and end. A cancelled
  appointment that never learnt its CRM id removes such a leftover the same way (by reference only).
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from leadorch.app.booking.slot_claims import SlotClaims
from leadorch.app.booking.wording import dollars, slot_label
from leadorch.app.config.models import LocationConfig
from leadorch.app.crm import crm_for
from leadorch.app.db import Database
from leadorch.app.eventstore.store import NotFound
from leadorch.app.projections.appointments import APPOINTMENTS
from leadorch.app.projections.tables import LIVE_PREFIX, instant, parse_instant
from leadorch.app.worker.enqueue import enqueue
from leadorch.app.worker.specs import ActorSpec
from leadorch.domain.appointment import Appointment, AppointmentStatus
from leadorch.domain.conversation import Conversation, CustomerLine, conversation_id
from leadorch.domain.lead import Lead
from leadorch.ports.crm import (
    Crm,
    CrmAppointment,
    CrmAppointmentRequest,
    CrmError,
    CrmNotFound,
    CrmUnavailable,
)

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=3)
FIRST_RETRY = timedelta(seconds=5)
NOTE_LIMIT = 1000
WRITTEN = frozenset({"created", "adopted", "updated", "deleted", "nothing to remove"})
_SLOT_START = re.compile(r"\s*\(\d{4}-\d{2}-\d{2}T[^)]*\)\s*$")


class SyncImpossible(Exception):
    """The appointment cannot be written to the CRM as it stands; a person must look (permanent)."""


@dataclass(frozen=True)
class SyncOutcome:
    """What one run did: created, adopted, updated, deleted, nothing to remove, unchanged, busy, waiting,
    retrying, failed, missing."""

    status: str
    detail: str = ""


class SyncLedger:
    """Leases, attempt counts and the last state written, per appointment."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def lease(self, appointment_id: str, tenant_id: str, now: datetime) -> str | None:
        """Take the appointment's lease; its owner token, or None while another run holds it."""
        owner = uuid.uuid4().hex
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO appointment_crm_sync (appointment_id, tenant_id, attempts) VALUES (%s, %s, 0) "
                "ON CONFLICT (appointment_id) DO NOTHING",
                (appointment_id, tenant_id),
            )
            cur.execute(
                "UPDATE appointment_crm_sync SET lease_owner = %s, lease_until = %s "
                "WHERE appointment_id = %s AND (lease_until IS NULL OR lease_until < %s)",
                (owner, instant(now + LEASE), appointment_id, instant(now)),
            )
            cur.execute(
                "SELECT lease_owner FROM appointment_crm_sync WHERE appointment_id = %s", (appointment_id,)
            )
            row = cur.fetchone()
        return owner if row is not None and row[0] == owner else None

    def release(self, appointment_id: str, owner: str) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE appointment_crm_sync SET lease_owner = NULL, lease_until = NULL "
                "WHERE appointment_id = %s AND lease_owner = %s",
                (appointment_id, owner),
            )

    def state(self, appointment_id: str) -> tuple[str | None, int, datetime | None]:
        """(state last written, failed attempts since, when the next attempt may run)."""
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT synced_state, attempts, next_attempt_at FROM appointment_crm_sync WHERE appointment_id = %s",
                (appointment_id,),
            )
            row = cur.fetchone()
        if row is None:
            return None, 0, None
        return row[0], int(row[1]), parse_instant(row[2])

    def written(self, appointment_id: str, synced_state: str) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE appointment_crm_sync SET synced_state = %s, attempts = 0, next_attempt_at = NULL, "
                "last_error = NULL WHERE appointment_id = %s",
                (synced_state, appointment_id),
            )

    def failed(self, appointment_id: str, error: str, now: datetime) -> tuple[int, timedelta]:
        """Count a failed attempt; (attempts so far, delay before the next one)."""
        _, attempts, _ = self.state(appointment_id)
        attempts += 1
        delay = FIRST_RETRY * (2 ** (attempts - 1))
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE appointment_crm_sync SET attempts = %s, next_attempt_at = %s, last_error = %s "
                "WHERE appointment_id = %s",
                (attempts, instant(now + delay), error[:500], appointment_id),
            )
        return attempts, delay


def crm_state(appointment: Appointment) -> str:
    """What the CRM should hold for the appointment: its times, or nothing once cancelled."""
    if appointment.status is AppointmentStatus.CANCELLED:
        return "cancelled"
    return f"{instant(appointment.start)}|{instant(appointment.end)}"


def needs_sync(appointment: Appointment, last_written: str | None) -> bool:
    if appointment.needs_crm_sync:
        return True
    permanently_failed = appointment.crm_sync_error is not None
    return not permanently_failed and last_written is not None and last_written != crm_state(appointment)


def sync_appointment_to_crm(container: Container, tenant_id: str, appointment_id: str) -> SyncOutcome:
    """Write the appointment's current state to the tenant's CRM (the actor's body)."""
    store = container.store
    clock = container.clock
    ledger = SyncLedger(container.db)
    now = clock.now()
    try:
        key = UUID(appointment_id)
        store.load(key, Appointment, tenant_id)
    except (NotFound, ValueError):
        log.warning("CRM sync of unknown appointment %s", appointment_id, extra={"tenant_id": tenant_id})
        return SyncOutcome("missing")
    owner = ledger.lease(appointment_id, tenant_id, now)
    if owner is None:
        return SyncOutcome("busy", "another run is syncing this appointment")
    try:
        appointment = store.load(key, Appointment, tenant_id)
        last_written, _, next_attempt = ledger.state(appointment_id)
        if not needs_sync(appointment, last_written):
            return SyncOutcome("unchanged")
        if next_attempt is not None and now < next_attempt:
            return SyncOutcome("waiting", f"next attempt at {next_attempt.isoformat()}")
        outcome = _write(container, tenant_id, appointment, ledger)
    finally:
        ledger.release(appointment_id, owner)
    if outcome.status in WRITTEN:
        latest = store.load(key, Appointment, tenant_id)
        if crm_state(latest) != crm_state(appointment):  # changed while we were writing
            enqueue(container, SYNC_APPOINTMENT, tenant_id, appointment_id)
    return outcome


def _write(container: Container, tenant_id: str, appointment: Appointment, ledger: SyncLedger) -> SyncOutcome:
    appointment_id = str(appointment.id)
    state = crm_state(appointment)
    try:
        outcome, crm_id, crm_updated = _call_crm(container, tenant_id, appointment)
    except CrmUnavailable as error:  # down, timing out, rate limiting: worth trying again later
        reason = _reason(error)
        attempts, delay = ledger.failed(appointment_id, reason, container.clock.now())
        permanent = attempts >= MAX_ATTEMPTS
        detail = (
            f"gave up after {attempts} attempts" if permanent else f"attempt {attempts} of {MAX_ATTEMPTS}"
        )
        _record_failure(container, tenant_id, appointment.id, f"{reason} ({detail})", permanent=permanent)
        if permanent:
            return SyncOutcome("failed", reason)
        delay_ms = int(delay.total_seconds() * 1000)
        enqueue(container, SYNC_APPOINTMENT, tenant_id, appointment_id, delay_ms=delay_ms)
        return SyncOutcome("retrying", reason)
    except (SyncImpossible, CrmError) as error:  # refused: sending the same request again cannot help
        reason = _reason(error)
        _record_failure(container, tenant_id, appointment.id, reason, permanent=True)
        log.error("CRM sync of appointment %s failed for good: %s", appointment_id, reason)
        return SyncOutcome("failed", reason)
    if crm_id is not None:
        now = container.clock.now()

        def record() -> list[Any]:
            latest = container.store.load(appointment.id, Appointment, tenant_id)
            latest.record_crm_synced(crm_appointment_id=crm_id, crm_updated_at=crm_updated, at=now)
            return [latest]

        container.store.run(record)
    ledger.written(appointment_id, state)
    container.calendar_cache.forget(tenant_id, appointment.location_id)  # the shop's calendar changed
    return SyncOutcome(outcome, crm_id or "")


def _call_crm(
    container: Container, tenant_id: str, appointment: Appointment
) -> tuple[str, str | None, datetime | None]:
    """Create, update or delete at the CRM; (what was done, the CRM's appointment id, the CRM's
    `updatedDate` of what it now holds, when it said: how the webhook echoing our write is known)."""
    crm = crm_for(container, tenant_id)
    existing = appointment.crm_appointment_id
    if appointment.status is AppointmentStatus.CANCELLED:
        if existing is None:
            existing = _leftover_of_failed_create(container, tenant_id, crm, appointment)
            if existing is None:
                return "nothing to remove", None, None
        with contextlib.suppress(CrmNotFound):  # already gone from the CRM: the state we wanted
            _run(container, crm.delete_appointment(existing))
        return "deleted", existing, None
    request = appointment_request(container, tenant_id, appointment)
    if existing is not None:
        try:
            updated = _run(container, crm.update_appointment(existing, request))
            return "updated", str(updated.id), updated.updated_date
        except CrmNotFound:
            pass  # staff deleted it in the CRM: put it back
    on_order = _run(container, crm.appointments_on_order(request.order_id)) if request.order_id else []
    earlier = made_by_earlier_attempt(on_order, appointment)
    if earlier is not None:
        if (earlier.start, earlier.end) != (request.start, request.end):
            earlier = _run(container, crm.update_appointment(earlier.id, request))
        log.info("CRM sync of appointment %s adopted CRM appointment %s", appointment.id, earlier.id)
        return "adopted", str(earlier.id), earlier.updated_date
    created = _run(container, crm.create_appointment(request))
    return "created", str(created.id), created.updated_date


def booking_reference(appointment: Appointment) -> str:
    """The line in the CRM note that ties a CRM appointment to ours, whatever else staff change."""
    return f"Booking reference: {appointment.id}"


def made_by_earlier_attempt(
    candidates: list[CrmAppointment], appointment: Appointment
) -> CrmAppointment | None:
    """Among the order's CRM appointments, the one an earlier create for `appointment` made, if any.

    The one whose note carries the booking reference; failing that, one with no booking reference at
    all (staff rewrote the note) at exactly the appointment's start and end. One carrying another
    booking's reference is never taken.
    """
    reference = booking_reference(appointment)
    marked = [c for c in candidates if reference in (c.note or "")]
    if marked:
        return min(marked, key=lambda c: c.id)
    unmarked = [
        c
        for c in candidates
        if "Booking reference:" not in (c.note or "")
        and (c.start, c.end) == (appointment.start, appointment.end)
    ]
    return min(unmarked, key=lambda c: c.id) if unmarked else None


def _leftover_of_failed_create(
    container: Container, tenant_id: str, crm: Crm, appointment: Appointment
) -> str | None:
    """The CRM id of a create for this (now cancelled) appointment that was applied unbeknown to us."""
    lead: Lead = container.store.load(UUID(appointment.lead_id), Lead, tenant_id)
    if not lead.crm_order_id:
        return None
    reference = booking_reference(appointment)
    on_order = _run(container, crm.appointments_on_order(lead.crm_order_id))
    marked = sorted(c.id for c in on_order if reference in (c.note or ""))
    return marked[0] if marked else None


def appointment_request(
    container: Container, tenant_id: str, appointment: Appointment
) -> CrmAppointmentRequest:
    """The CRM appointment for `appointment`, on the lead's order, with the chat summary as its note."""
    lead: Lead = container.store.load(UUID(appointment.lead_id), Lead, tenant_id)
    location = container.config.location(tenant_id, appointment.location_id)
    if not lead.crm_vehicle_id:
        raise SyncImpossible("the lead has no CRM vehicle, and ShopMonkey needs one for an appointment")
    services = ", ".join(service.name for service in appointment.services)
    who = lead.contact.full_name or "website customer"
    try:
        return CrmAppointmentRequest(
            customer_id=lead.crm_customer_id,
            vehicle_id=lead.crm_vehicle_id,
            order_id=lead.crm_order_id,
            location_id=location.crm_location_id,
            start=appointment.start,
            end=appointment.end,
            name=f"{services} - {who}"[:200],
            color="blue",
            note=crm_note(container, tenant_id, appointment, location),
            # Read back from the shop's calendar it tells our booking from staff's (counted once), and
            # its webhooks are matched to ours by it.
            our_id=str(appointment.id),
            # The technician the booking was assigned to when its slot was claimed (an array on the wire).
            technician_ids=tuple(filter(None, [SlotClaims(container.db).technician_of(str(appointment.id))])),
        )
    except ValueError as error:
        raise SyncImpossible(str(error)) from None


def crm_note(container: Container, tenant_id: str, appointment: Appointment, location: LocationConfig) -> str:
    """A short summary for the shop: what the customer asked in the chat, and what they chose."""
    asked: list[str] = []
    try:
        conversation = container.store.load(conversation_id(appointment.lead_id), Conversation, tenant_id)
        asked = [_readable(entry.text) for entry in conversation.entries if isinstance(entry, CustomerLine)]
    except NotFound:
        pass
    chose = (
        f"Chose: {', '.join(service.name for service in appointment.services)} "
        f"({dollars(appointment.price_cents)}) on {slot_label(appointment.start, location.time_zone)}."
    )
    lines = ["Booked online through the chat assistant.", chose]
    if asked:
        quoted = "; ".join(f'"{_clip(text, 120)}"' for text in asked[:4])
        lines.insert(1, f"Customer asked: {quoted}" + (" …" if len(asked) > 4 else ""))
    reference = booking_reference(appointment)  # kept whole: a retried create finds its appointment by it
    return _clip("\n".join(lines), NOTE_LIMIT - len(reference) - 1) + "\n" + reference


def sync_pending_appointments(
    container: Container, *, older_than: timedelta = timedelta(seconds=60), limit: int = 200
) -> int:
    """The sweep: re-send the sync of appointments the CRM has not confirmed for a while.

    A cancelled appointment the CRM never confirmed is left alone, unless a create for it failed: that
    create may have been applied, and the sync removes what it left behind.
    """
    cutoff = container.clock.now() - older_than
    table = APPOINTMENTS.physical(LIVE_PREFIX)
    with container.db.transaction() as cur:
        cur.execute(
            f"SELECT a.tenant_id, a.appointment_id FROM {table} a WHERE a.crm_sync = 'pending' "
            "AND a.updated_at < %s AND NOT (a.status = 'cancelled' AND a.crm_appointment_id IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM appointment_crm_sync s "
            "WHERE s.appointment_id = a.appointment_id AND s.attempts > 0)) "
            "ORDER BY a.updated_at LIMIT %s",
            (instant(cutoff), limit),
        )
        rows = cur.fetchall()
    for tenant_id, appointment_id in rows:
        enqueue(container, SYNC_APPOINTMENT, tenant_id, appointment_id)
    return len(rows)


def _record_failure(
    container: Container, tenant_id: str, appointment_id: UUID, reason: str, *, permanent: bool
) -> None:
    now = container.clock.now()

    def record() -> list[Any]:
        latest = container.store.load(appointment_id, Appointment, tenant_id)
        latest.record_crm_sync_failed(reason=reason, permanent=permanent, at=now)
        return [latest]

    container.store.run(record)


def _run(container: Container, coroutine: Coroutine[Any, Any, Any]) -> Any:
    return container.crm.run(coroutine)


def _reason(error: Exception) -> str:
    return str(error) or type(error).__name__


def _readable(text: str) -> str:
    """A slot button's message without the machine-readable start it carries ("Book Fri 10:00 AM")."""
    return _SLOT_START.sub("", text).strip() or text


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split()) if "\n" not in text else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


SYNC_APPOINTMENT = ActorSpec(
    "sync_appointment_to_crm", sync_appointment_to_crm, max_retries=3, time_limit_ms=240_000
)
SYNC_PENDING = ActorSpec(
    "sync_pending_appointments", sync_pending_appointments, max_retries=0, time_limit_ms=120_000
)
