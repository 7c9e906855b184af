"""Book, move and cancel a lead's appointment through the `Appointment` aggregate, atomically per slot.

Every change follows the same order: check the slot and claim it under the location's lock
(`SlotClaims`), then save the appointment, the lead (booked / engaged again) and its touch schedule
(stopped) in ONE event-store transaction, undoing the claim if that save fails. Afterwards the CRM sync
and the customer's confirmation are handed to background jobs, so a slow provider never slows the chat.

Time comes from the container's clock; slots follow the location's configuration (hours, bays,
minimum lead time, granularity) through the domain's availability rule, counting our own bookings and
the shop's CRM calendar (`ShopCalendar`: staff's appointments and recurring blocks). Right before a
booking or a move is claimed, the CRM calendar for that slot is read again, so a slot staff took a
minute ago is refused (`SlotTaken`) rather than double-booked; a calendar that cannot be read refuses
with `CalendarUnavailable`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate

from leadorch.app.booking.crm_sync import SYNC_APPOINTMENT
from leadorch.app.booking.notices import SEND_NOTICE
from leadorch.app.booking.shop_calendar import CalendarUnavailable, ShopCalendar, busy_time
from leadorch.app.booking.slot_claims import Claim, SlotClaims, SlotTaken
from leadorch.app.booking.wording import duration_words, slot_label
from leadorch.app.config.models import LocationConfig
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.leads.use_cases import lead_uuid, load_schedule
from leadorch.app.worker.enqueue import enqueue
from leadorch.domain.appointment import Appointment
from leadorch.domain.availability import Busy, ServiceLine, free_slots, is_slot_free, technician_for
from leadorch.domain.errors import DomainError
from leadorch.domain.lead import Lead
from leadorch.domain.values import LeadStatus

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

__all__ = ["BookingRefused", "BookingService", "CalendarUnavailable", "SlotTaken"]


class BookingRefused(DomainError):
    """The lead cannot book, move or cancel now (already booked, nothing to move, the shop has it…)."""


@dataclass(frozen=True)
class Availability:
    """A location's booking rule inputs, from its configuration."""

    location: LocationConfig

    def rule(self) -> dict[str, Any]:
        return {
            "hours": self.location.business_hours(),
            "time_zone": self.location.time_zone,
            "capacity": self.location.capacity,
            "min_lead": self.location.min_lead,
            "granularity_minutes": self.location.slot_granularity_minutes,
            "technicians": self.location.technician_ids,
        }

    def free(
        self, duration: timedelta, booked: list[Busy], start: datetime, end: datetime, now: datetime
    ) -> list[datetime]:
        """Free starts in [start, end), none after the booking horizon."""
        end = min(end, self.latest_start(now) + timedelta(microseconds=1))
        if end <= start:
            return []
        return free_slots(**self.rule(), duration=duration, booked=booked, start=start, end=end, now=now)

    def latest_start(self, now: datetime) -> datetime:
        """The latest instant a booked appointment may start: the location's horizon from now."""
        return now + self.location.booking_horizon

    def why_not(self, duration: timedelta, slot: datetime, booked: list[Busy], now: datetime) -> str | None:
        """None when an appointment of `duration` may start at `slot`, else the reason in plain words."""
        rule = self.rule()
        location = self.location
        label = slot_label(slot, location.time_zone)
        if slot > self.latest_start(now):
            return (
                f"{label} is too far ahead: appointments can be booked up to "
                f"{location.booking_horizon_days} days ahead"
            )
        if is_slot_free(**rule, duration=duration, booked=booked, slot=slot, now=now):
            return None
        if slot <= now:
            return f"{label} has already passed"
        if slot < now + location.min_lead:
            return (
                f"{label} is too soon: appointments can be booked from "
                f"{duration_words(location.min_lead_minutes)} ahead"
            )
        local = slot.astimezone(ZoneInfo(location.time_zone))
        if (
            local.second
            or local.microsecond
            or (local.hour * 60 + local.minute) % location.slot_granularity_minutes
        ):
            return f"appointments start every {location.slot_granularity_minutes} minutes; {label} is not one of those times"
        if not is_slot_free(**rule, duration=duration, booked=[], slot=slot, now=now):
            return f"the shop is not open for the whole {duration_words(_minutes(duration))} from {label}"
        return f"{label} is already taken"


class BookingService:
    """Appointments for leads: one instance per container is enough (it holds no per-request state)."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.store: EventStore = container.store
        self.clock = container.clock
        self.claims = SlotClaims(container.db)
        self.calendar = ShopCalendar(container)

    # ------------------------------------------------------------------------------------ reading

    def open_slots(
        self, tenant_id: str, location: LocationConfig, duration: timedelta, start: datetime, end: datetime
    ) -> list[datetime]:
        """Every free start for an appointment of `duration` in [start, end), earliest first."""
        now = self.clock.now()
        shop = self.calendar.entries(tenant_id, location, start, end + duration)
        ours = self.claims.booked(tenant_id, location.location_id, start, end + duration)
        return Availability(location).free(duration, busy_time(ours, shop), start, end, now)

    def why_not(
        self, tenant_id: str, location: LocationConfig, duration: timedelta, slot: datetime
    ) -> str | None:
        """Why an appointment of `duration` cannot start at `slot` right now (None: it can)."""
        shop = self.calendar.entries(tenant_id, location, slot, slot + duration)
        ours = self.claims.booked(tenant_id, location.location_id, slot, slot + duration)
        return Availability(location).why_not(duration, slot, busy_time(ours, shop), self.clock.now())

    def current_appointment(self, tenant_id: str, lead: Lead) -> Appointment | None:
        """The lead's confirmed appointment, if it has one."""
        if lead.appointment_id is None:
            return None
        try:
            appointment = self.store.load(UUID(lead.appointment_id), Appointment, tenant_id)
        except (NotFound, ValueError):
            return None
        return appointment if appointment.is_confirmed else None

    # ----------------------------------------------------------------------------------- changing

    def book(
        self,
        *,
        tenant_id: str,
        lead_id: UUID | str,
        location: LocationConfig,
        services: list[ServiceLine],
        start: datetime,
    ) -> Appointment:
        """Book `services` at `start` for the lead; raises `SlotTaken` or `BookingRefused` with a reason."""
        if not services:
            raise BookingRefused("an appointment needs at least one service")
        lead_key = lead_uuid(lead_id)
        now = self.clock.now()
        lead = self.store.load(lead_key, Lead, tenant_id)
        self._refuse_unless_can_book(tenant_id, lead)
        if lead.location_id != location.location_id:
            raise BookingRefused("this customer's quote is for another location")
        duration = sum((service.duration for service in services), timedelta(0))
        appointment_id = uuid4()
        self._claim_slot(
            appointment_id, tenant_id, location.location_id, location, lead_key, start, duration, now
        )

        def command() -> tuple[Appointment, list[Aggregate | None]]:
            lead = self.store.load(lead_key, Lead, tenant_id)
            schedule = load_schedule(self.store, tenant_id, lead_key)
            appointment = Appointment.book(
                appointment_id=appointment_id,
                tenant_id=tenant_id,
                lead_id=str(lead_key),
                location_id=location.location_id,
                services=services,
                start=start,
                at=now,
            )
            lead.record_booking(appointment_id=appointment_id, at=now)
            if schedule is not None:
                schedule.stop(reason="the customer booked an appointment", now=now)
            return appointment, [appointment, lead, schedule]

        try:
            appointment = self.store.decide(command)
        except BaseException:
            self.claims.forget(str(appointment_id))
            raise
        self._announce(tenant_id, appointment, "booked")
        return appointment

    def _claim_slot(
        self,
        appointment_id: UUID,
        tenant_id: str,
        location_id: str,
        location: LocationConfig,
        lead_key: UUID,
        start: datetime,
        duration: timedelta,
        now: datetime,
    ) -> None:
        """Check the slot against `location`'s rules, the booked slots and the shop's calendar as it is
        now (read again, outside the lock: a network call never holds the location's lock), and claim
        it, atomically."""
        shop = self.calendar.entries(tenant_id, location, start, start + duration, fresh=True)
        claim = Claim(
            appointment_id=str(appointment_id),
            tenant_id=tenant_id,
            location_id=location_id,
            lead_id=str(lead_key),
            start=start,
            end=start + duration,
        )
        rule = Availability(location)
        moving = str(appointment_id)

        def refuse(booked: list[Busy]) -> str | None:
            return rule.why_not(duration, start, busy_time(booked, shop, moving=moving), now)

        def assign(booked: list[Busy]) -> str | None:
            if not location.technician_ids:
                return None
            busy = busy_time(booked, shop, moving=moving)
            return technician_for(
                duration=duration, booked=busy, slot=start, technicians=location.technician_ids
            )

        self.claims.claim(claim, refuse=refuse, assign=assign, now=now)

    def reschedule(
        self, *, tenant_id: str, lead_id: UUID | str, location: LocationConfig, start: datetime
    ) -> Appointment:
        """Move the lead's confirmed appointment to `start` (same services, same length)."""
        lead_key = lead_uuid(lead_id)
        now = self.clock.now()
        lead = self.store.load(lead_key, Lead, tenant_id)
        current = self.current_appointment(tenant_id, lead)
        if current is None:
            raise BookingRefused("there is no booked appointment to move; book a new one instead")
        if current.start == start:
            return current
        duration = current.duration
        technician = self.claims.technician_of(str(current.id))
        self._claim_slot(current.id, tenant_id, current.location_id, location, lead_key, start, duration, now)

        def command() -> tuple[Appointment, list[Aggregate | None]]:
            appointment = self.store.load(current.id, Appointment, tenant_id)
            appointment.reschedule(start=start, at=now)
            return appointment, [appointment]

        try:
            appointment = self.store.decide(command)
        except BaseException:
            self.claims.restore(
                Claim(
                    str(current.id),
                    tenant_id,
                    current.location_id,
                    str(lead_key),
                    current.start,
                    current.end,
                    technician,
                ),
                now=now,
            )
            raise
        self._announce(tenant_id, appointment, "rescheduled")
        return appointment

    def cancel(self, *, tenant_id: str, lead_id: UUID | str, reason: str) -> Appointment:
        """Cancel the lead's confirmed appointment; the lead is engaged again and the slot is free."""
        lead_key = lead_uuid(lead_id)
        now = self.clock.now()
        lead = self.store.load(lead_key, Lead, tenant_id)
        current = self.current_appointment(tenant_id, lead)
        if current is None:
            raise BookingRefused("there is no booked appointment to cancel")

        def command() -> tuple[Appointment, list[Aggregate | None]]:
            lead = self.store.load(lead_key, Lead, tenant_id)
            appointment = self.store.load(current.id, Appointment, tenant_id)
            appointment.cancel(reason=reason, at=now)
            lead.record_booking_cancelled(appointment_id=appointment.id, at=now)
            return appointment, [appointment, lead]

        appointment = self.store.decide(command)
        self.claims.release(str(appointment.id), now=now)
        self._announce(tenant_id, appointment, "cancelled")
        return appointment

    # ------------------------------------------------------------------------------------ private

    def _refuse_unless_can_book(self, tenant_id: str, lead: Lead) -> None:
        if lead.status is LeadStatus.HANDLED_BY_SHOP:
            raise BookingRefused("the shop's team is handling this request; please call the shop to book")
        current = self.current_appointment(tenant_id, lead)
        if current is not None:
            label = slot_label(current.start, _location_zone(self.container, tenant_id, current.location_id))
            raise BookingRefused(
                f"there is already an appointment booked for {label}; move it (reschedule) instead of booking another"
            )

    def _announce(self, tenant_id: str, appointment: Appointment, change: str) -> None:
        """After a change: the CRM and the customer hear about it (in the background; read models follow the save)."""
        self.calendar.forget(tenant_id, appointment.location_id)  # our own write: read it again
        appointment_id = str(appointment.id)
        enqueue(self.container, SYNC_APPOINTMENT, tenant_id, appointment_id)
        enqueue(self.container, SEND_NOTICE, tenant_id, appointment_id, change)
        log.info("appointment %s %s", appointment_id, change, extra={"tenant_id": tenant_id})


def _minutes(duration: timedelta) -> int:
    return int(duration.total_seconds() // 60)


def _location_zone(container: Container, tenant_id: str, location_id: str) -> str:

    return container.config.location(tenant_id, location_id).time_zone
