"""The Lead aggregate: a website quote request, from arrival to booked, lost or handed to the shop.

Statuses move `new → contacting → engaged → booked`; `lost` when the cadence ran out without any
response, `handled_by_shop` when shop staff took the order over in the CRM. A customer response
(reply, chat, booking) always counts: it moves a lead to `engaged` (or `booked`) even from `lost`,
because "lost" was only our guess that nobody would answer. `handled_by_shop` is final for the
automation: replies and bookings are refused so the app routes them to staff instead.

Consent is per channel (`can_contact`); whether a touch goes out is decided by the schedule, which the
app stops when `stops_cadence` becomes true. The lead keeps the evidence each channel's consent rests on
(`consent_evidence`: the CRM's fields as seen, when the CRM verified it, when we read it). A later read
of the CRM that says something else is `ConsentChanged`; a customer's own opt-out (STOP, unsubscribe) is
never undone by the CRM, only by the customer opting back in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from leadorch.domain import ids
from leadorch.domain.consent import ConsentEvidence
from leadorch.domain.errors import IllegalTransition, InvalidValue
from leadorch.domain.instants import require_instant
from leadorch.domain.tenancy import TenantAggregate
from leadorch.domain.values import Channel, Contact, LeadStatus, Vehicle, parse_channel

_CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")
_VEHICLE_FIELDS = ("vehicle_year", "vehicle_make", "vehicle_model")
_RESPONDED = (LeadStatus.ENGAGED, LeadStatus.BOOKED)
AUTO_REPLY_EXCERPT_CHARS = 200


def _require_text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{name} must be non-empty text, not {value!r}")
    return value


def _services(services: list[str]) -> list[str]:
    if isinstance(services, str) or not all(isinstance(service, str) for service in services):
        raise InvalidValue(f"services must be a list of service names, not {services!r}")
    return list(services)


def _vehicle_fields(vehicle: Vehicle | None) -> dict[str, Any]:
    vehicle = vehicle or Vehicle()
    return {"vehicle_year": vehicle.year, "vehicle_make": vehicle.make, "vehicle_model": vehicle.model}


def _contact_fields(contact: Contact) -> dict[str, Any]:
    return {name: getattr(contact, name) for name in _CONTACT_FIELDS}


def _evidence_by_channel(
    evidence: Sequence[ConsentEvidence], consent: dict[Channel, bool]
) -> dict[Channel, ConsentEvidence]:
    by_channel: dict[Channel, ConsentEvidence] = {}
    for item in evidence:
        if not isinstance(item, ConsentEvidence):
            raise InvalidValue(f"consent evidence must be ConsentEvidence, not {type(item).__name__}")
        if item.channel in by_channel:
            raise InvalidValue(f"two records of {item.channel} consent given; one per channel")
        if item.granted != consent[item.channel]:
            raise InvalidValue(
                f"{item.channel} consent is {consent[item.channel]} but its evidence says {item.granted}"
            )
        by_channel[item.channel] = item
    return by_channel


class Lead(TenantAggregate):
    """A customer who asked for a quote on the website, and everything that happened since."""

    class Registered(Aggregate.Created):
        # Schema evolution: version 1 had no `received_at`; such events are read as received at their
        # registration time (`upcast_v1_v2`). Version 2 had no `consent_evidence`: such leads carry no
        # evidence (`upcast_v2_v3`) until a re-import records it. New events are version 3.
        class_version = 3

        tenant_id: str
        location_id: str
        crm_order_id: str
        crm_customer_id: str
        crm_vehicle_id: str | None
        first_name: str
        last_name: str
        email: str | None
        phone: str | None
        vehicle_year: int | None
        vehicle_make: str | None
        vehicle_model: str | None
        services: list[str]
        email_consent: bool
        sms_consent: bool
        received_at: datetime
        consent_evidence: list[dict[str, Any]]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("received_at", state["timestamp"])

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state.setdefault("consent_evidence", [])

        def apply(self, aggregate: Lead) -> None:
            aggregate.tenant_id = self.tenant_id
            aggregate.location_id = self.location_id
            aggregate.crm_order_id = self.crm_order_id
            aggregate.crm_customer_id = self.crm_customer_id
            aggregate.crm_vehicle_id = self.crm_vehicle_id
            aggregate.contact = Contact(self.first_name, self.last_name, self.email, self.phone)
            aggregate.vehicle = Vehicle(self.vehicle_year, self.vehicle_make, self.vehicle_model)
            aggregate.services = tuple(self.services)
            aggregate.consent = {Channel.EMAIL: self.email_consent, Channel.SMS: self.sms_consent}
            aggregate.consent_evidence = {
                evidence.channel: evidence
                for evidence in map(ConsentEvidence.from_data, self.consent_evidence)
            }
            aggregate.revoked_by_customer = frozenset()
            aggregate.received_at = self.received_at
            aggregate.status = LeadStatus.NEW
            aggregate.automation_paused = False
            aggregate.paused_by = None
            aggregate.has_responded = False
            aggregate.appointment_id = None
            aggregate.chat_sessions = ()
            aggregate.chat_link_opened_at = None
            aggregate.last_reply_at = None
            aggregate.last_auto_reply_at = None
            aggregate.contacted_at = None
            aggregate.outcome_reason = None
            aggregate.staff_flags = ()
            aggregate.joined_orders = ()

    class QuoteJoined(TenantAggregate.Event):
        """Another quote (CRM order `crm_order_id`) of the same customer and vehicle joined this open lead.

        `services` are the lead's services from now on (the two requests merged), `added` the new ones.
        """

        crm_order_id: str
        services: list[str]
        added: list[str]

        def apply(self, aggregate: Lead) -> None:
            aggregate.services = tuple(self.services)
            if self.crm_order_id not in aggregate.joined_orders:
                aggregate.joined_orders = (*aggregate.joined_orders, self.crm_order_id)

    class DetailsUpdated(TenantAggregate.Event):
        changes: dict[str, Any]

        def apply(self, aggregate: Lead) -> None:
            changes = self.changes
            if any(name in changes for name in _CONTACT_FIELDS):
                current = _contact_fields(aggregate.contact)
                current.update({k: v for k, v in changes.items() if k in _CONTACT_FIELDS})
                aggregate.contact = Contact(**current)
            if any(name in changes for name in _VEHICLE_FIELDS):
                vehicle = _vehicle_fields(aggregate.vehicle)
                vehicle.update({k: v for k, v in changes.items() if k in _VEHICLE_FIELDS})
                aggregate.vehicle = Vehicle(
                    vehicle["vehicle_year"], vehicle["vehicle_make"], vehicle["vehicle_model"]
                )
            if "services" in changes:
                aggregate.services = tuple(changes["services"])
            if "crm_customer_id" in changes:
                aggregate.crm_customer_id = changes["crm_customer_id"]
            if "crm_vehicle_id" in changes:
                aggregate.crm_vehicle_id = changes["crm_vehicle_id"]
            if "location_id" in changes:
                aggregate.location_id = changes["location_id"]

    class Contacted(TenantAggregate.Event):
        at: datetime

        def apply(self, aggregate: Lead) -> None:
            aggregate.status = LeadStatus.CONTACTING
            aggregate.contacted_at = self.at

    class ReplyRecorded(TenantAggregate.Event):
        channel: str
        text: str

        def apply(self, aggregate: Lead) -> None:
            aggregate.has_responded = True
            aggregate.last_reply_at = self.timestamp
            if aggregate.status is not LeadStatus.BOOKED:
                aggregate.status = LeadStatus.ENGAGED
                aggregate.outcome_reason = None

    class AutoReplyReceived(TenantAggregate.Event):
        """A machine answered one of our messages (an out-of-office, a bounce, "I'm driving"): kept in
        the lead's story, but not a response: the status and the cadence stay as they were."""

        channel: str
        kind: str
        sign: str
        excerpt: str
        returns_on: str | None

        def apply(self, aggregate: Lead) -> None:
            aggregate.last_auto_reply_at = self.timestamp

    class ChatLinkOpened(TenantAggregate.Event):
        def apply(self, aggregate: Lead) -> None:
            aggregate.chat_link_opened_at = self.timestamp

    class ChatStarted(TenantAggregate.Event):
        session_id: str

        def apply(self, aggregate: Lead) -> None:
            aggregate.has_responded = True
            aggregate.chat_sessions = (*aggregate.chat_sessions, self.session_id)
            if aggregate.status is not LeadStatus.BOOKED:
                aggregate.status = LeadStatus.ENGAGED
                aggregate.outcome_reason = None

    class AppointmentBooked(TenantAggregate.Event):
        appointment_id: str

        def apply(self, aggregate: Lead) -> None:
            aggregate.has_responded = True
            aggregate.status = LeadStatus.BOOKED
            aggregate.appointment_id = self.appointment_id
            aggregate.outcome_reason = None

    class BookingCancelled(TenantAggregate.Event):
        appointment_id: str

        def apply(self, aggregate: Lead) -> None:
            aggregate.status = LeadStatus.ENGAGED
            aggregate.appointment_id = None

    class OptedOut(TenantAggregate.Event):
        channel: str
        reason: str

        def apply(self, aggregate: Lead) -> None:
            aggregate.consent = {**aggregate.consent, Channel(self.channel): False}
            aggregate.revoked_by_customer = aggregate.revoked_by_customer | {Channel(self.channel)}

    class OptedIn(TenantAggregate.Event):
        channel: str
        reason: str

        def apply(self, aggregate: Lead) -> None:
            aggregate.consent = {**aggregate.consent, Channel(self.channel): True}
            aggregate.revoked_by_customer = aggregate.revoked_by_customer - {Channel(self.channel)}

    class ConsentChanged(TenantAggregate.Event):
        """What the CRM holds about a channel's consent changed (the flag, or the evidence behind it).

        `evidence` is the new record as read (`ConsentEvidence.to_data()`); `granted` is the channel's
        consent from now on, which stays off when the customer opted out through us.
        """

        channel: str
        granted: bool
        evidence: dict[str, Any]

        def apply(self, aggregate: Lead) -> None:
            channel = Channel(self.channel)
            aggregate.consent = {**aggregate.consent, channel: self.granted}
            aggregate.consent_evidence = {
                **aggregate.consent_evidence,
                channel: ConsentEvidence.from_data(self.evidence),
            }

    class MarkedLost(TenantAggregate.Event):
        reason: str

        def apply(self, aggregate: Lead) -> None:
            aggregate.status = LeadStatus.LOST
            aggregate.outcome_reason = self.reason

    class HandedToShop(TenantAggregate.Event):
        reason: str

        def apply(self, aggregate: Lead) -> None:
            aggregate.status = LeadStatus.HANDLED_BY_SHOP
            aggregate.outcome_reason = self.reason

    class AutomationPaused(TenantAggregate.Event):
        by: str
        reason: str

        def apply(self, aggregate: Lead) -> None:
            aggregate.automation_paused = True
            aggregate.paused_by = self.by

    class AutomationResumed(TenantAggregate.Event):
        by: str
        reason: str

        def apply(self, aggregate: Lead) -> None:
            aggregate.automation_paused = False
            aggregate.paused_by = None

    class FlaggedForStaff(TenantAggregate.Event):
        reason: str

        def apply(self, aggregate: Lead) -> None:
            aggregate.staff_flags = (*aggregate.staff_flags, self.reason)

    tenant_id: str
    location_id: str
    crm_order_id: str
    crm_customer_id: str
    crm_vehicle_id: str | None
    contact: Contact
    vehicle: Vehicle
    services: tuple[str, ...]
    consent: dict[Channel, bool]
    consent_evidence: dict[Channel, ConsentEvidence]
    revoked_by_customer: frozenset[Channel]
    received_at: datetime
    status: LeadStatus
    automation_paused: bool
    paused_by: str | None
    has_responded: bool
    appointment_id: str | None
    chat_sessions: tuple[str, ...]
    chat_link_opened_at: datetime | None
    last_reply_at: datetime | None
    last_auto_reply_at: datetime | None
    contacted_at: datetime | None
    outcome_reason: str | None
    staff_flags: tuple[str, ...]
    joined_orders: tuple[str, ...]

    def __init__(self) -> None:
        """State is set by `Registered.apply`, so recording and replaying share one path."""

    # ----------------------------------------------------------------------------------- creation

    @classmethod
    def register(
        cls,
        *,
        tenant_id: str,
        location_id: str,
        crm_order_id: str,
        crm_customer_id: str,
        crm_vehicle_id: str | None,
        contact: Contact,
        vehicle: Vehicle | None,
        services: list[str],
        email_consent: bool,
        sms_consent: bool,
        at: datetime,
        consent_evidence: Sequence[ConsentEvidence] = (),
    ) -> Lead:
        """A new lead for CRM order `crm_order_id`; its id is `ids.lead_id(tenant_id, crm_order_id)`.

        `consent_evidence` (at most one per channel) is what each channel's consent rests on; it must
        agree with `email_consent` / `sms_consent`.
        """
        at = require_instant(at)
        evidence = _evidence_by_channel(
            consent_evidence, {Channel.EMAIL: bool(email_consent), Channel.SMS: bool(sms_consent)}
        )
        if not isinstance(contact, Contact):
            raise InvalidValue(f"contact must be a Contact, not {type(contact).__name__}")
        if vehicle is not None and not isinstance(vehicle, Vehicle):
            raise InvalidValue(f"vehicle must be a Vehicle or None, not {type(vehicle).__name__}")
        return cls._create(
            cls.Registered,
            id=ids.lead_id(tenant_id, crm_order_id),
            timestamp=at,
            tenant_id=tenant_id,
            location_id=_require_text(location_id, "location_id"),
            crm_order_id=crm_order_id,
            crm_customer_id=_require_text(crm_customer_id, "crm_customer_id"),
            crm_vehicle_id=crm_vehicle_id,
            **_contact_fields(contact),
            **_vehicle_fields(vehicle),
            services=_services(services),
            email_consent=bool(email_consent),
            sms_consent=bool(sms_consent),
            received_at=at,
            consent_evidence=[evidence[channel].to_data() for channel in Channel if channel in evidence],
        )

    # --------------------------------------------------------------------------------- properties

    @property
    def lead_id(self) -> UUID:
        """This lead's id (the same as `id`, named for readers of services)."""
        return self.id

    @property
    def is_responsive(self) -> bool:
        """Whether the customer ever replied, chatted or booked."""
        return self.has_responded

    @property
    def is_closed(self) -> bool:
        """Whether the automation is over for good with this lead (booked, lost or the shop's now)."""
        return self.status in (LeadStatus.BOOKED, LeadStatus.LOST, LeadStatus.HANDLED_BY_SHOP)

    @property
    def stops_cadence(self) -> bool:
        """Whether the touch-point cadence must stop: a response, an outcome, or no channel left."""
        return self.has_responded or self.is_closed or not any(self.can_contact(c) for c in Channel)

    def can_contact(self, channel: Channel | str) -> bool:
        """Whether the customer consents to `channel` and we have an address for it."""
        channel = parse_channel(channel)
        return self.consent[channel] and self.contact.address_for(channel) is not None

    # ----------------------------------------------------------------------------------- commands

    def update_details(
        self,
        *,
        at: datetime,
        contact: Contact | None = None,
        vehicle: Vehicle | None = None,
        services: list[str] | None = None,
        crm_customer_id: str | None = None,
        crm_vehicle_id: str | None = None,
        location_id: str | None = None,
    ) -> None:
        """Mirror changes made in the CRM; records only the fields that differ (nothing if none do)."""
        at = require_instant(at)
        proposed: dict[str, Any] = {}
        if contact is not None:
            if not isinstance(contact, Contact):
                raise InvalidValue(f"contact must be a Contact, not {type(contact).__name__}")
            proposed.update(_contact_fields(contact))
        if vehicle is not None:
            proposed.update(_vehicle_fields(vehicle))
        if services is not None:
            proposed["services"] = _services(services)
        if crm_customer_id is not None:
            proposed["crm_customer_id"] = _require_text(crm_customer_id, "crm_customer_id")
        if crm_vehicle_id is not None:
            proposed["crm_vehicle_id"] = crm_vehicle_id
        if location_id is not None:
            proposed["location_id"] = _require_text(location_id, "location_id")
        current: dict[str, Any] = {
            **_contact_fields(self.contact),
            **_vehicle_fields(self.vehicle),
            "services": list(self.services),
            "crm_customer_id": self.crm_customer_id,
            "crm_vehicle_id": self.crm_vehicle_id,
            "location_id": self.location_id,
        }
        changes = {name: value for name, value in proposed.items() if current[name] != value}
        if changes:
            self.trigger_event(self.DetailsUpdated, timestamp=at, changes=changes)

    def join_quote(self, *, crm_order_id: str, services: list[str], at: datetime) -> None:
        """A repeat quote (CRM order `crm_order_id`) of this lead's customer and vehicle joins the lead:
        its services are merged in and the lead's one cadence goes on, instead of a second lead with a
        second 13-touch cadence writing to the same person about the same car.

        Only an open lead takes a quote (a booked, lost or handed-over one is over: the quote is a new
        lead). The same quote joining again records only services it adds; nothing new, nothing recorded.
        """
        at = require_instant(at)
        crm_order_id = _require_text(crm_order_id, "crm_order_id")
        if crm_order_id == self.crm_order_id:
            raise InvalidValue(f"order {crm_order_id} is this lead's own order, not another quote")
        if self.is_closed:
            raise IllegalTransition(f"cannot join quote {crm_order_id}: the lead is {self.status}")
        added = [name for name in dict.fromkeys(_services(services)) if name not in self.services]
        if crm_order_id in self.joined_orders and not added:
            return
        self.trigger_event(
            self.QuoteJoined,
            timestamp=at,
            crm_order_id=crm_order_id,
            services=[*self.services, *added],
            added=added,
        )

    def record_contacted(self, *, at: datetime) -> None:
        """The first touch reached a provider: `new → contacting`. Later calls change nothing."""
        at = require_instant(at)
        if self.status is LeadStatus.NEW:
            self.trigger_event(self.Contacted, timestamp=at, at=at)

    def record_reply(self, *, channel: Channel | str, text: str, at: datetime) -> None:
        """The customer answered a message: → `engaged` (a booked lead stays booked)."""
        at = require_instant(at)
        channel = parse_channel(channel)
        self._refuse_if_shops("record a reply")
        if not isinstance(text, str):
            raise InvalidValue(f"reply text must be text, not {type(text).__name__}")
        self.trigger_event(self.ReplyRecorded, timestamp=at, channel=channel.value, text=text)

    def record_auto_reply(
        self,
        *,
        channel: Channel | str,
        kind: str,
        sign: str,
        text: str,
        returns_on: date | None = None,
        at: datetime,
    ) -> None:
        """A machine answered on `channel` (`domain.auto_reply` says which kind and why): recorded with
        the first `AUTO_REPLY_EXCERPT_CHARS` characters of `text`; not a response, in any status."""
        at = require_instant(at)
        channel = parse_channel(channel)
        if not isinstance(text, str):
            raise InvalidValue(f"auto-reply text must be text, not {type(text).__name__}")
        excerpt = " ".join(text.split())
        if len(excerpt) > AUTO_REPLY_EXCERPT_CHARS:
            excerpt = excerpt[: AUTO_REPLY_EXCERPT_CHARS - 1] + "…"
        self.trigger_event(
            self.AutoReplyReceived,
            timestamp=at,
            channel=channel.value,
            kind=_require_text(kind, "kind"),
            sign=_require_text(sign, "sign"),
            excerpt=excerpt,
            returns_on=returns_on.isoformat() if returns_on is not None else None,
        )

    def record_chat_link_opened(self, *, at: datetime) -> None:
        """The chat page was opened; not a response by itself (previews and scanners open links too)."""
        at = require_instant(at)
        self.trigger_event(self.ChatLinkOpened, timestamp=at)

    def record_chat_started(self, *, session_id: str, at: datetime) -> None:
        """The customer wrote their first chat message in session `session_id`: → `engaged`."""
        at = require_instant(at)
        session_id = _require_text(session_id, "session_id")
        self._refuse_if_shops("record a chat")
        if session_id in self.chat_sessions:
            return
        self.trigger_event(self.ChatStarted, timestamp=at, session_id=session_id)

    def record_booking(self, *, appointment_id: UUID | str, at: datetime) -> None:
        """The customer booked appointment `appointment_id`: → `booked`."""
        at = require_instant(at)
        booked = str(appointment_id)
        self._refuse_if_shops("record a booking")
        if self.status is LeadStatus.BOOKED:
            if self.appointment_id == booked:
                return
            raise IllegalTransition(
                f"cannot record booking {booked}: lead already booked appointment {self.appointment_id}; "
                "cancel that one first"
            )
        self.trigger_event(self.AppointmentBooked, timestamp=at, appointment_id=booked)

    def record_booking_cancelled(self, *, appointment_id: UUID | str, at: datetime) -> None:
        """The booked appointment was cancelled: `booked → engaged`."""
        at = require_instant(at)
        cancelled = str(appointment_id)
        if self.status is not LeadStatus.BOOKED or self.appointment_id != cancelled:
            raise IllegalTransition(
                f"cannot cancel booking {cancelled}: lead is {self.status}"
                + (
                    f" with appointment {self.appointment_id}"
                    if self.appointment_id
                    else " without an appointment"
                )
            )
        self.trigger_event(self.BookingCancelled, timestamp=at, appointment_id=cancelled)

    def opt_out(self, *, channel: Channel | str, reason: str, at: datetime) -> None:
        """The customer withdrew consent for `channel` (STOP, unsubscribe, a request in words)."""
        at = require_instant(at)
        channel = parse_channel(channel)
        if self.consent[channel]:
            self.trigger_event(
                self.OptedOut,
                timestamp=at,
                channel=channel.value,
                reason=str(reason),
            )

    def opt_in(self, *, channel: Channel | str, at: datetime, reason: str = "customer opted in") -> None:
        """The customer gave consent for `channel` again (START)."""
        at = require_instant(at)
        channel = parse_channel(channel)
        if not self.consent[channel]:
            self.trigger_event(self.OptedIn, timestamp=at, channel=channel.value, reason=reason)

    def record_crm_consent(self, evidence: ConsentEvidence, *, at: datetime) -> None:
        """The CRM was read again: record its consent for `evidence.channel` if it says something new.

        The same record read again changes nothing. A CRM that now grants a channel the customer opted
        out of through us (STOP, unsubscribe) does not grant it: the customer said no to us directly,
        and only they can undo that (START). A CRM that withdraws consent withdraws it.
        """
        at = require_instant(at)
        if not isinstance(evidence, ConsentEvidence):
            raise InvalidValue(f"evidence must be ConsentEvidence, not {type(evidence).__name__}")
        channel = evidence.channel
        if evidence.says_the_same_as(self.consent_evidence.get(channel)):
            return
        self.trigger_event(
            self.ConsentChanged,
            timestamp=at,
            channel=channel.value,
            granted=evidence.granted and channel not in self.revoked_by_customer,
            evidence=evidence.to_data(),
        )

    def mark_lost(self, *, reason: str, at: datetime) -> None:
        """The cadence ran out with no response. Only a lead that never responded can be lost."""
        at = require_instant(at)
        if self.status is LeadStatus.LOST:
            return
        if self.has_responded:
            raise IllegalTransition(f"cannot mark lost: the customer responded (lead is {self.status})")
        if self.status is LeadStatus.HANDLED_BY_SHOP:
            raise IllegalTransition(f"cannot mark lost: the shop handles this lead ({self.outcome_reason})")
        self.trigger_event(self.MarkedLost, timestamp=at, reason=_require_text(reason, "reason"))

    def hand_to_shop(self, *, reason: str, at: datetime) -> None:
        """Shop staff took the order over in the CRM; the automation stops for good."""
        at = require_instant(at)
        if self.status is LeadStatus.HANDLED_BY_SHOP:
            return
        if self.status is LeadStatus.BOOKED:
            raise IllegalTransition(
                f"cannot hand to shop: lead already booked appointment {self.appointment_id}"
                ": the customer booked through the assistant"
            )
        self.trigger_event(self.HandedToShop, timestamp=at, reason=_require_text(reason, "reason"))

    def pause_automation(self, *, by: str, reason: str, at: datetime) -> None:
        """A person takes over the conversation; no automated message goes out until resumed."""
        at = require_instant(at)
        if self.automation_paused:
            raise IllegalTransition(f"cannot pause automation: already paused by {self.paused_by}")
        self.trigger_event(
            self.AutomationPaused,
            timestamp=at,
            by=_require_text(by, "by"),
            reason=str(reason),
        )

    def resume_automation(self, *, by: str, at: datetime, reason: str = "") -> None:
        """The person hands the conversation back to the automation."""
        at = require_instant(at)
        if not self.automation_paused:
            raise IllegalTransition("cannot resume automation: it is not paused")
        self.trigger_event(
            self.AutomationResumed,
            timestamp=at,
            by=_require_text(by, "by"),
            reason=reason,
        )

    def flag_for_staff(self, *, reason: str, at: datetime) -> None:
        """Ask a person to look at this lead (the assistant could not help, or the customer asked)."""
        at = require_instant(at)
        self.trigger_event(
            self.FlaggedForStaff,
            timestamp=at,
            reason=_require_text(reason, "reason"),
        )

    def _refuse_if_shops(self, action: str) -> None:
        if self.status is LeadStatus.HANDLED_BY_SHOP:
            raise IllegalTransition(f"cannot {action}: the shop handles this lead ({self.outcome_reason})")
