"""The Appointment aggregate: a booked visit, its changes, and its sync to the CRM.

Statuses: `confirmed`, then `cancelled`, `completed` or `no_show` (all final). Only a confirmed
appointment can be rescheduled, cancelled, completed or marked a no-show; completing or marking a
no-show needs the start time to have come. The end and price follow from the services booked.

Every booking, reschedule and cancellation must reach the CRM: `needs_crm_sync` stays true until
`record_crm_synced`, or until a permanent failure that a person must look at.

Changes the shop made in its CRM calendar come back as their own events (`RescheduledByShop`,
`CancelledByShop`, `ShopConfirmationRecorded`): the CRM already holds them, so they need no sync. Each
carries the CRM's `updatedDate` of the version it came from, and `is_news_from_the_crm` tells a version
worth acting on from our own write echoing back (or an older version arriving late).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from leadorch.domain.availability import ServiceLine
from leadorch.domain.errors import IllegalTransition, InvalidValue
from leadorch.domain.instants import require_instant
from leadorch.domain.notice_rules import NOTICE_KINDS
from leadorch.domain.tenancy import TenantAggregate
from leadorch.domain.values import Channel, parse_channel


class ShopConfirmation(StrEnum):
    """Whether the customer confirmed the visit to the shop, as the shop's CRM records it."""

    CONFIRMED = "confirmed"
    DECLINED = "declined"
    NO_RESPONSE = "no_response"


class AppointmentStatus(StrEnum):
    """Where an appointment stands."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


def _text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{name} must be non-empty text, not {value!r}")
    return value


def _optional_instant(value: datetime | None) -> datetime | None:
    return None if value is None else require_instant(value, "crm_updated_at")


def _service_data(service: ServiceLine) -> dict[str, Any]:
    return {
        "service_id": service.service_id,
        "name": service.name,
        "duration_minutes": service.duration_minutes,
        "price_cents": service.price_cents,
    }


class Appointment(TenantAggregate):
    """A customer's booked visit to a location."""

    class Booked(Aggregate.Created):
        tenant_id: str
        lead_id: str
        location_id: str
        services: list[dict[str, Any]]
        start: datetime
        end: datetime
        price_cents: int

        def apply(self, aggregate: Appointment) -> None:
            aggregate.tenant_id = self.tenant_id
            aggregate.lead_id = self.lead_id
            aggregate.location_id = self.location_id
            aggregate.services = tuple(ServiceLine(**service) for service in self.services)
            aggregate.start = self.start
            aggregate.end = self.end
            aggregate.price_cents = self.price_cents
            aggregate.status = AppointmentStatus.CONFIRMED
            aggregate.status_reason = None
            aggregate.crm_appointment_id = None
            aggregate.needs_crm_sync = True
            aggregate.crm_sync_error = None
            aggregate.crm_updated_at = None
            aggregate.shop_confirmation = None
            aggregate.notices_sent = {}

    class Rescheduled(TenantAggregate.Event):
        start: datetime
        end: datetime
        previous_start: datetime

        def apply(self, aggregate: Appointment) -> None:
            aggregate.start = self.start
            aggregate.end = self.end
            aggregate.needs_crm_sync = True

    class Cancelled(TenantAggregate.Event):
        reason: str

        def apply(self, aggregate: Appointment) -> None:
            aggregate.status = AppointmentStatus.CANCELLED
            aggregate.status_reason = self.reason
            aggregate.needs_crm_sync = True

    class Completed(TenantAggregate.Event):
        def apply(self, aggregate: Appointment) -> None:
            aggregate.status = AppointmentStatus.COMPLETED

    class NoShow(TenantAggregate.Event):
        def apply(self, aggregate: Appointment) -> None:
            aggregate.status = AppointmentStatus.NO_SHOW

    class RescheduledByShop(TenantAggregate.Event):
        """Staff moved the visit in the shop's CRM calendar (the CRM already holds it: no sync)."""

        start: datetime
        end: datetime
        previous_start: datetime
        crm_updated_at: datetime | None

        def apply(self, aggregate: Appointment) -> None:
            aggregate.start = self.start
            aggregate.end = self.end
            aggregate.crm_updated_at = self.crm_updated_at or aggregate.crm_updated_at

    class CancelledByShop(TenantAggregate.Event):
        """Staff cancelled or deleted the visit in the shop's CRM (the CRM already holds it: no sync)."""

        reason: str
        crm_updated_at: datetime | None

        def apply(self, aggregate: Appointment) -> None:
            aggregate.status = AppointmentStatus.CANCELLED
            aggregate.status_reason = self.reason
            aggregate.crm_updated_at = self.crm_updated_at or aggregate.crm_updated_at

    class ShopConfirmationRecorded(TenantAggregate.Event):
        """The shop's CRM now says the customer confirmed, declined, or has not answered."""

        confirmation: str
        crm_updated_at: datetime | None

        def apply(self, aggregate: Appointment) -> None:
            aggregate.shop_confirmation = ShopConfirmation(self.confirmation)
            aggregate.crm_updated_at = self.crm_updated_at or aggregate.crm_updated_at

    class CrmSynced(TenantAggregate.Event):
        # Schema evolution: version 1 had no `crm_updated_at` (the CRM's `updatedDate` of what we
        # wrote); such events are read as not knowing it (`upcast_v1_v2`). New events are version 2.
        class_version = 2

        crm_appointment_id: str
        crm_updated_at: datetime | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("crm_updated_at", None)

        def apply(self, aggregate: Appointment) -> None:
            aggregate.crm_appointment_id = self.crm_appointment_id
            aggregate.needs_crm_sync = False
            aggregate.crm_sync_error = None
            if self.crm_updated_at is not None:
                latest = aggregate.crm_updated_at
                aggregate.crm_updated_at = max(latest, self.crm_updated_at) if latest else self.crm_updated_at

    class CrmSyncFailed(TenantAggregate.Event):
        reason: str
        permanent: bool

        def apply(self, aggregate: Appointment) -> None:
            aggregate.crm_sync_error = self.reason
            if self.permanent:
                aggregate.needs_crm_sync = False

    class NoticeSent(TenantAggregate.Event):
        """The provider accepted a notice about the appointment (`notice`: its kind, and for a reschedule
        or reminder the start it was about) on `channel`; `allowed_by` is its proof
        (`notice_rules.proof`): the windows as read, the recipient, no cap, the consent relied on."""

        notice: str
        kind: str
        channel: str
        provider_message_id: str
        allowed_by: dict[str, Any]

        def apply(self, aggregate: Appointment) -> None:
            aggregate.notices_sent = {
                **aggregate.notices_sent,
                (self.notice, self.channel): self.provider_message_id,
            }

    tenant_id: str
    lead_id: str
    location_id: str
    services: tuple[ServiceLine, ...]
    start: datetime
    end: datetime
    price_cents: int
    status: AppointmentStatus
    status_reason: str | None
    crm_appointment_id: str | None
    needs_crm_sync: bool
    crm_sync_error: str | None
    # The CRM's `updatedDate` of the newest version we wrote or took from it (None: not known).
    crm_updated_at: datetime | None
    shop_confirmation: ShopConfirmation | None
    # (notice, channel) → the provider's message id, for each notice recorded as sent.
    notices_sent: dict[tuple[str, str], str]

    def __init__(self) -> None:
        """State is set by `Booked.apply`, so recording and replaying share one path."""

    @classmethod
    def book(
        cls,
        *,
        appointment_id: UUID,
        tenant_id: str,
        lead_id: str,
        location_id: str,
        services: list[ServiceLine],
        start: datetime,
        at: datetime,
    ) -> Appointment:
        """A confirmed appointment for `services` starting at `start` (the caller checked the slot is free)."""
        at = require_instant(at)
        start = require_instant(start, "start")
        if not isinstance(appointment_id, UUID):
            raise InvalidValue(f"appointment_id must be a UUID, not {appointment_id!r}")
        if isinstance(services, (str, bytes)) or not services:
            raise InvalidValue("an appointment needs at least one service")
        if not all(isinstance(service, ServiceLine) for service in services):
            raise InvalidValue("services must be ServiceLine values")
        if start < at:
            raise IllegalTransition(f"cannot book an appointment starting in the past ({start.isoformat()})")
        duration = sum((service.duration for service in services), timedelta(0))
        return cls._create(
            cls.Booked,
            id=appointment_id,
            timestamp=at,
            tenant_id=_text(tenant_id, "tenant_id"),
            lead_id=_text(str(lead_id), "lead_id"),
            location_id=_text(location_id, "location_id"),
            services=[_service_data(service) for service in services],
            start=start,
            end=start + duration,
            price_cents=sum(service.price_cents for service in services),
        )

    @property
    def duration(self) -> timedelta:
        """How long the visit takes (the sum of its services)."""
        return self.end - self.start

    @property
    def interval(self) -> tuple[datetime, datetime]:
        """(start, end), the shape the availability rule takes for booked appointments."""
        return self.start, self.end

    @property
    def is_confirmed(self) -> bool:
        """Whether the appointment still holds its slot."""
        return self.status is AppointmentStatus.CONFIRMED

    def reschedule(self, *, start: datetime, at: datetime) -> None:
        """Move the visit to `start`, keeping its services (the caller checked the new slot is free)."""
        at = require_instant(at)
        start = require_instant(start, "start")
        self._require_confirmed("reschedule")
        if start < at:
            raise IllegalTransition(f"cannot reschedule to a start in the past ({start.isoformat()})")
        if start == self.start:
            return
        self.trigger_event(
            self.Rescheduled,
            timestamp=at,
            start=start,
            end=start + self.duration,
            previous_start=self.start,
        )

    def cancel(self, *, reason: str, at: datetime) -> None:
        """Release the slot."""
        at = require_instant(at)
        self._require_confirmed("cancel")
        self.trigger_event(self.Cancelled, timestamp=at, reason=_text(reason, "reason"))

    def complete(self, *, at: datetime) -> None:
        """The customer came and the work was done."""
        at = require_instant(at)
        self._require_confirmed("complete")
        self._require_started("complete", at)
        self.trigger_event(self.Completed, timestamp=at)

    def mark_no_show(self, *, at: datetime) -> None:
        """The customer did not come."""
        at = require_instant(at)
        self._require_confirmed("mark a no-show")
        self._require_started("mark a no-show", at)
        self.trigger_event(self.NoShow, timestamp=at)

    def record_crm_synced(
        self, *, crm_appointment_id: str, at: datetime, crm_updated_at: datetime | None = None
    ) -> None:
        """The CRM now holds the appointment's current state, under `crm_appointment_id`; `crm_updated_at`
        is the CRM's `updatedDate` of that write, when it said (so its echo is recognised)."""
        at = require_instant(at)
        if crm_updated_at is not None:
            crm_updated_at = require_instant(crm_updated_at, "crm_updated_at")
        self.trigger_event(
            self.CrmSynced,
            timestamp=at,
            crm_appointment_id=_text(crm_appointment_id, "crm_appointment_id"),
            crm_updated_at=crm_updated_at,
        )

    # ------------------------------------------------------------------ changes made at the shop

    def is_news_from_the_crm(self, crm_updated_at: datetime | None) -> bool:
        """Whether a version of our appointment read from the CRM may change it.

        Not while a change of ours is still on its way to the CRM (ours is written over it), and not
        a version no newer than one we wrote or already took (our own write echoing back, or a late
        delivery of an older version).
        """
        if self.needs_crm_sync:
            return False
        if crm_updated_at is None or self.crm_updated_at is None:
            return True
        return require_instant(crm_updated_at, "crm_updated_at") > self.crm_updated_at

    def reschedule_by_shop(
        self, *, start: datetime, end: datetime, crm_updated_at: datetime | None, at: datetime
    ) -> None:
        """Staff moved the visit in the CRM to [start, end): ours follows, whatever our rules for the
        customer (the shop decides its own calendar). Nothing happens if it is where it was."""
        at = require_instant(at)
        start = require_instant(start, "start")
        end = require_instant(end, "end")
        self._require_confirmed("take the shop's new time")
        if end <= start:
            raise InvalidValue(f"the shop's new time ends ({end.isoformat()}) before it starts")
        if (start, end) == (self.start, self.end):
            return
        self.trigger_event(
            self.RescheduledByShop,
            timestamp=at,
            start=start,
            end=end,
            previous_start=self.start,
            crm_updated_at=_optional_instant(crm_updated_at),
        )

    def cancel_by_shop(self, *, reason: str, crm_updated_at: datetime | None, at: datetime) -> None:
        """Staff cancelled or deleted the visit in the CRM; ours is cancelled (once)."""
        at = require_instant(at)
        if self.status is AppointmentStatus.CANCELLED:
            return
        self._require_confirmed("take the shop's cancellation")
        self.trigger_event(
            self.CancelledByShop,
            timestamp=at,
            reason=_text(reason, "reason"),
            crm_updated_at=_optional_instant(crm_updated_at),
        )

    def record_shop_confirmation(
        self, *, confirmation: ShopConfirmation, crm_updated_at: datetime | None, at: datetime
    ) -> None:
        """The CRM says the customer confirmed, declined or has not answered; recorded when it changed.

        A decline is shown, not acted on: the shop decides what to do about it.
        """
        at = require_instant(at)
        if not isinstance(confirmation, ShopConfirmation):
            raise InvalidValue(f"confirmation must be a ShopConfirmation, not {confirmation!r}")
        if confirmation is self.shop_confirmation:
            return
        if self.shop_confirmation is None and confirmation is ShopConfirmation.NO_RESPONSE:
            return  # nothing was asked yet: "no response" is what we already knew
        self.trigger_event(
            self.ShopConfirmationRecorded,
            timestamp=at,
            confirmation=confirmation.value,
            crm_updated_at=_optional_instant(crm_updated_at),
        )

    def record_crm_sync_failed(self, *, reason: str, permanent: bool, at: datetime) -> None:
        """Writing to the CRM failed; a permanent failure stops retries until a person looks at it."""
        at = require_instant(at)
        self.trigger_event(
            self.CrmSyncFailed,
            timestamp=at,
            reason=_text(reason, "reason"),
            permanent=bool(permanent),
        )

    def record_notice_sent(
        self,
        *,
        notice: str,
        kind: str,
        channel: Channel | str,
        provider_message_id: str,
        allowed_by: Mapping[str, Any],
        at: datetime,
    ) -> None:
        """Notice `notice` (of `kind`, see `notice_rules`) went out on `channel`, with the proof of what
        allowed it. Recording the same send again changes nothing."""
        at = require_instant(at)
        channel = parse_channel(channel)
        if kind not in NOTICE_KINDS:
            raise InvalidValue(f"unknown notice {kind!r}; expected one of {', '.join(NOTICE_KINDS)}")
        message_id = _text(provider_message_id, "provider_message_id")
        if (notice, channel.value) in self.notices_sent:
            return
        self.trigger_event(
            self.NoticeSent,
            timestamp=at,
            notice=_text(notice, "notice"),
            kind=kind,
            channel=channel.value,
            provider_message_id=message_id,
            allowed_by=dict(allowed_by),
        )

    def _require_confirmed(self, action: str) -> None:
        if self.status is not AppointmentStatus.CONFIRMED:
            raise IllegalTransition(f"cannot {action}: the appointment is {self.status}")

    def _require_started(self, action: str, at: datetime) -> None:
        if at < self.start:
            raise IllegalTransition(f"cannot {action}: the appointment starts at {self.start.isoformat()}")
