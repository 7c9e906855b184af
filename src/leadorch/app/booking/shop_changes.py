"""Changes staff make in the shop's CRM calendar, brought to our appointments and leads.

Appointment rows arrive through the webhook inbox (and the poller) as `CrmAppointment`s. What one means:

- **One of ours** (its metadata names our appointment, or its note carries our booking reference):
  - deleted, or cancelled at the shop: ours is cancelled (`CancelledByShop`), the lead is engaged again
    and the slot is free;
  - at other times: ours moves there (`RescheduledByShop`), its slot claim with it; the reminder follows
    by itself (it is due from the start and keyed by it);
  - a confirmation or a decline: shown on ours (`ShopConfirmationRecorded`);
  - our own write echoing back, an older version arriving late, or anything while a change of ours is
    still on its way to the CRM: nothing (`Appointment.is_news_from_the_crm` decides).
- **Made by staff on a lead's order**: the lead is handed to the shop, as an order update that sets an
  appointment does (a lead booked through the assistant is not: the domain refuses, and says why).
- Anything else is ignored, with the reason.

None of this is written back to the CRM, which already holds it, and the customer gets no message from
us about a change the shop made (the shop arranged it with them); the reminder goes out at the new time.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from leadorch.app.booking.crm_sync import SyncLedger, crm_state
from leadorch.app.booking.slot_claims import Claim, SlotClaims
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.leads.use_cases import load_schedule
from leadorch.domain.appointment import Appointment, AppointmentStatus, ShopConfirmation
from leadorch.domain.errors import IllegalTransition
from leadorch.domain.handoff import hand_to_shop
from leadorch.domain.intake import OrderIntake, intake_id
from leadorch.domain.lead import Lead
from leadorch.domain.values import LeadStatus
from leadorch.ports.crm import CrmAppointment

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

STAFF_SET_AN_APPOINTMENT = "staff set an appointment in the CRM calendar"
CANCELLED_AT_THE_SHOP = "cancelled by the shop in the CRM"
DELETED_AT_THE_SHOP = "deleted by the shop in the CRM"
# The line `crm_sync.booking_reference` ends our CRM notes with (rows written before metadata was set).
_REFERENCE = re.compile(r"Booking reference: ([0-9a-fA-F-]{36})")


@dataclass(frozen=True)
class ShopChange:
    """What one CRM appointment version did to us: rescheduled, cancelled, confirmation, handed_to_shop,
    unchanged or ignored, with the reasons."""

    outcome: str
    reasons: tuple[str, ...] = ()
    appointment_id: str | None = None
    lead_id: str | None = None

    @property
    def summary(self) -> str:
        return self.outcome + (f": {'; '.join(self.reasons)}" if self.reasons else "")


def our_appointment_id(row: CrmAppointment) -> str | None:
    """The id of ours that a CRM appointment stands for, if it is one of ours."""
    if row.our_id:
        return row.our_id
    found = _REFERENCE.search(row.note or "")
    return found.group(1) if found else None


class ShopCalendarChanges:
    """Applies CRM appointment versions to our appointments and leads (one per container is enough)."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.store: EventStore = container.store
        self.clock = container.clock
        self.claims = SlotClaims(container.db)
        self.ledger = SyncLedger(container.db)

    def apply(self, tenant_id: str, row: CrmAppointment, *, deleted: bool) -> ShopChange:
        """Bring one version of a CRM appointment (`deleted`: its deletion) to ours."""
        ours = our_appointment_id(row)
        if ours is not None:
            change = self._ours(tenant_id, row, ours, deleted=deleted)
        elif deleted or row.cancelled:
            change = ShopChange("ignored", ("a staff appointment was removed; it was never ours",))
        else:
            change = self._made_by_staff(tenant_id, row)
        log.info("CRM appointment %s: %s", row.id, change.summary, extra={"tenant_id": tenant_id})
        return change

    # ------------------------------------------------------------------------------ ours, changed

    def _ours(self, tenant_id: str, row: CrmAppointment, ours: str, *, deleted: bool) -> ShopChange:
        try:
            key = UUID(ours)
            current = self.store.load(key, Appointment, tenant_id)
        except (ValueError, NotFound):
            return ShopChange("ignored", (f"it names appointment {ours!r}, which this tenant does not have",))
        if current.crm_appointment_id not in (None, row.id):
            reason = f"our appointment is CRM appointment {current.crm_appointment_id}, not this one"
            return ShopChange("ignored", (reason,), ours)
        now = self.clock.now()
        # A deletion comes after every version (its row still carries the last update's date).
        version = None if deleted else row.updated_date

        def command() -> tuple[ShopChange, list[Aggregate | None]]:
            appointment = self.store.load(key, Appointment, tenant_id)
            if not appointment.is_news_from_the_crm(version):
                reason = "our own write echoing back, an older version, or ours is still being written"
                return ShopChange("unchanged", (reason,), ours, appointment.lead_id), []
            if appointment.status is not AppointmentStatus.CONFIRMED:
                return ShopChange(
                    "unchanged", (f"ours is {appointment.status}",), ours, appointment.lead_id
                ), []
            if deleted or row.cancelled:
                return self._cancel(appointment, row, deleted=deleted, at=now)
            appointment.reschedule_by_shop(
                start=row.start, end=row.end, crm_updated_at=row.updated_date, at=now
            )
            if row.confirmation is not None:
                appointment.record_shop_confirmation(
                    confirmation=ShopConfirmation(row.confirmation), crm_updated_at=row.updated_date, at=now
                )
            happened = appointment.pending_events
            if not happened:
                return ShopChange("unchanged", ("the same times and answer as ours",), ours), []
            moved = any(isinstance(event, Appointment.RescheduledByShop) for event in happened)
            outcome = "rescheduled" if moved else "confirmation"
            reasons = tuple(_words(event) for event in appointment.pending_events)
            return ShopChange(outcome, reasons, ours, appointment.lead_id), [appointment]

        change = self.store.decide(command)
        if change.outcome in ("rescheduled", "cancelled"):
            self._follow(tenant_id, key, now=now)
        return change

    def _cancel(
        self, appointment: Appointment, row: CrmAppointment, *, deleted: bool, at: Any
    ) -> tuple[ShopChange, list[Aggregate | None]]:
        reason = DELETED_AT_THE_SHOP if deleted else CANCELLED_AT_THE_SHOP
        appointment.cancel_by_shop(reason=reason, crm_updated_at=row.updated_date, at=at)
        lead = self.store.load(UUID(appointment.lead_id), Lead, appointment.tenant_id)
        if lead.status is LeadStatus.BOOKED and lead.appointment_id == str(appointment.id):
            lead.record_booking_cancelled(appointment_id=appointment.id, at=at)
        change = ShopChange("cancelled", (reason,), str(appointment.id), appointment.lead_id)
        return change, [appointment, lead]

    def _follow(self, tenant_id: str, key: UUID, *, now: Any) -> None:
        """After a saved shop change: the slot claim and the sync ledger agree with it, read models wake."""
        appointment = self.store.load(key, Appointment, tenant_id)
        if appointment.status is AppointmentStatus.CANCELLED:
            self.claims.release(str(key), now=now)
        else:
            claim = Claim(
                str(key),
                tenant_id,
                appointment.location_id,
                appointment.lead_id,
                appointment.start,
                appointment.end,
                # The technician the claim holds stays with it (the slot moved, not the assignment).
                self.claims.technician_of(str(key)),
            )
            self.claims.restore(claim, now=now)
        # The CRM holds this state already: a later sync must not think it still has to write it.
        self.ledger.written(str(key), crm_state(appointment))

    # ------------------------------------------------------------------------ made by the staff

    def _made_by_staff(self, tenant_id: str, row: CrmAppointment) -> ShopChange:
        if not row.order_id:
            return ShopChange("ignored", ("a staff appointment on no order",))
        try:
            intake = self.store.load(intake_id(tenant_id, row.order_id), OrderIntake, tenant_id)
        except NotFound:
            return ShopChange("ignored", (f"order {row.order_id} is not a lead's",))
        if intake.lead_id is None:
            return ShopChange("ignored", (f"order {row.order_id} is not a lead's",))
        lead_key = UUID(intake.lead_id)
        now = self.clock.now()

        def command() -> tuple[ShopChange, list[Aggregate | None]]:
            lead = self.store.load(lead_key, Lead, tenant_id)
            schedule = load_schedule(self.store, tenant_id, lead_key)
            try:
                handed = hand_to_shop(lead, schedule, reason=STAFF_SET_AN_APPOINTMENT, at=now)
            except IllegalTransition as refused:
                return ShopChange(
                    "unchanged", (f"not handed to the shop: {refused}",), None, str(lead_key)
                ), []
            if not handed:
                return ShopChange(
                    "unchanged", ("the shop already handles this lead",), None, str(lead_key)
                ), [schedule]
            return ShopChange("handed_to_shop", (STAFF_SET_AN_APPOINTMENT,), None, str(lead_key)), [
                lead,
                schedule,
            ]

        return self.store.decide(command)


def _words(event: Any) -> str:
    if isinstance(event, Appointment.RescheduledByShop):
        return f"moved by the shop from {event.previous_start.isoformat()} to {event.start.isoformat()}"
    if isinstance(event, Appointment.ShopConfirmationRecorded):
        return f"the shop's CRM says the customer's answer is {event.confirmation}"
    return type(event).__name__
