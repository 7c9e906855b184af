"""One lead's page: contact (masked unless revealed), status, consent and the evidence it rests on,
touches, conversation, appointments and the complete audit timeline.

The lead, its messages, its conversation and its appointments come from read models; the timeline from
`leadorch.app.audit.lead_history` (the lead's own events and those of what belongs to it). Contact
details are masked unless revealed, by `display.private` everywhere on the page: the contact box, a
touch's detail (a suppression names the address), what the customer wrote and the timeline's fields.
Which buttons show follows the domain's rules, which still have the last word when one is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from leadorch.app.audit import AuditEntry, lead_history
from leadorch.app.config.errors import ConfigNotFound
from leadorch.app.console import display
from leadorch.app.console.outbox import OutboxMessage, messages_of_lead
from leadorch.app.console.timeline import event_label, sentence
from leadorch.app.eventstore.store import NotFound
from leadorch.app.readmodels.appointments import AppointmentView, appointments_of_lead
from leadorch.app.readmodels.conversations import ConversationMessage, conversation
from leadorch.app.readmodels.leads import LeadView, get_lead
from leadorch.domain.lead import Lead
from leadorch.domain.values import Channel

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

MAX_DETAIL_CHARS = 240
_NOT_HANDED = ("booked", "handled_by_shop")


@dataclass(frozen=True)
class TouchRow:
    touch_number: int
    channel: str
    status: str
    detail: str
    provider_message_id: str
    delivery: str
    claimed: str
    settled: str
    uncertain: bool


@dataclass(frozen=True)
class ConsentRow:
    """One channel's consent and what it rests on, as the page shows it."""

    channel: str
    ok: bool
    state: str  # may be contacted | opted out (the customer said so) | no consent
    source: str | None  # None: the lead was imported before the evidence was kept
    reason: str
    fields: list[tuple[str, str]]
    verified: str
    observed: str


@dataclass(frozen=True)
class TimelineEntry:
    at: str
    at_iso: str
    source: str
    event: str
    sentence: str
    details: list[tuple[str, str]]


@dataclass(frozen=True)
class ConversationLine:
    at: str
    who: str  # customer | assistant | tool | handoff
    channel: str  # chat | sms | email
    text: str


@dataclass(frozen=True)
class AppointmentRow:
    appointment_id: str
    start: str
    end: str
    services: str
    price: str
    status: str
    crm_sync: str
    crm_error: str | None
    shop_confirmation: str | None = None


@dataclass(frozen=True)
class LeadPage:
    tenant_id: str
    lead_id: str
    reveal: bool
    name: str
    email: str
    phone: str
    status: str
    outcome_reason: str | None
    staff_flag: str | None
    location: str
    time_zone: str | None
    vehicle: str
    services: str
    crm_order_id: str
    received: str
    consent: list[ConsentRow]
    automation_paused: bool
    paused_by: str | None
    cadence: str
    next_touch: str
    touches_sent: int
    last_contact: str
    touches: list[TouchRow]
    conversation: list[ConversationLine]
    chat_link_opens: int
    appointments: list[AppointmentRow]
    timeline: list[TimelineEntry]

    @property
    def can_pause(self) -> bool:
        return not self.automation_paused

    @property
    def can_resume(self) -> bool:
        return self.automation_paused

    @property
    def can_hand_to_shop(self) -> bool:
        return self.status not in _NOT_HANDED


def build_lead_page(container: Container, tenant_id: str, lead_id: str, *, reveal: bool) -> LeadPage:
    """The page of lead `lead_id` of `tenant_id`; `NotFound` for a missing lead or another tenant's."""
    view = get_lead(container.db, tenant_id, lead_id)
    if view is None:
        raise NotFound(f"lead {lead_id} not found")
    location_name, zone = _location(container, tenant_id, view.location_id)
    history = lead_history(container.store, lead_id, tenant_id=tenant_id, full=True)  # masked below
    talk = conversation(container.db, tenant_id, view.lead_id)
    return LeadPage(
        tenant_id=tenant_id,
        lead_id=view.lead_id,
        reveal=reveal,
        name=display.contact_name(view.first_name, view.last_name, reveal=reveal),
        email=display.contact_email(view.email, reveal=reveal),
        phone=display.contact_phone(view.phone, reveal=reveal),
        status=view.status,
        outcome_reason=display.private(view.outcome_reason, reveal=reveal),
        staff_flag=display.private(view.staff_flag, reveal=reveal),
        location=location_name,
        time_zone=zone,
        vehicle=_vehicle(view),
        services=", ".join(view.services) or display.NOTHING,
        crm_order_id=view.crm_order_id,
        received=display.local_time(view.received_at, zone),
        consent=_consent(container, tenant_id, view, zone, reveal),
        automation_paused=view.automation_paused,
        paused_by=view.paused_by,
        cadence=view.cadence or "none",
        next_touch=display.local_time(view.next_touch_due_at, zone),
        touches_sent=view.touches_sent,
        last_contact=display.local_time(view.last_contact_at, zone),
        touches=[
            _touch(message, zone, reveal)
            for message in messages_of_lead(container.db, tenant_id, view.lead_id)
        ],
        conversation=[_conversation_line(m, zone, reveal) for m in (talk.messages if talk else [])],
        chat_link_opens=talk.link_opens if talk else 0,
        appointments=[
            _appointment(a, zone) for a in appointments_of_lead(container.db, tenant_id, view.lead_id)
        ],
        timeline=[_timeline_entry(entry, zone, reveal) for entry in history.entries],
    )


def _location(container: Container, tenant_id: str, location_id: str) -> tuple[str, str | None]:
    try:
        location = container.config.location(tenant_id, location_id)
    except ConfigNotFound:
        return location_id, None
    return location.name, location.time_zone


def _consent(
    container: Container, tenant_id: str, view: LeadView, zone: str | None, reveal: bool
) -> list[ConsentRow]:
    """Each channel's consent (from the read model) and its evidence (the lead aggregate keeps it)."""
    lead = container.store.load(UUID(view.lead_id), Lead, tenant_id)
    rows = []
    for channel, ok in ((Channel.EMAIL, view.email_consent), (Channel.SMS, view.sms_consent)):
        evidence = lead.consent_evidence.get(channel)
        if ok:
            state = "may be contacted"
        elif channel in lead.revoked_by_customer:
            state = "opted out"
        else:
            state = "no consent"
        if evidence is None:
            rows.append(ConsentRow(channel.value, ok, state, None, "", [], display.NOTHING, display.NOTHING))
            continue
        rows.append(
            ConsentRow(
                channel=channel.value,
                ok=ok,
                state=state,
                source=evidence.source,
                reason=display.private(evidence.reason, reveal=reveal),
                # A CRM field read as evidence may be an address itself (phoneNumbers[0].number).
                fields=[
                    (name, _shown(display.private(value, reveal=reveal)))
                    for name, value in evidence.fields.items()
                ],
                verified=display.local_time(evidence.verified_at, zone),
                observed=display.local_time(evidence.observed_at, zone),
            )
        )
    return rows


def _vehicle(view: LeadView) -> str:
    parts = [str(part) for part in (view.vehicle_year, view.vehicle_make, view.vehicle_model) if part]
    return " ".join(parts) or display.NOTHING


def _touch(message: OutboxMessage, zone: str | None, reveal: bool) -> TouchRow:
    detail = display.private(message.detail or "", reveal=reveal)
    if message.permanent:
        detail = f"{detail} — the address is bad, this channel is off".strip(" —")
    return TouchRow(
        touch_number=message.touch_number,
        channel=message.channel,
        status=message.status,
        detail=detail,
        provider_message_id=message.provider_message_id or "",
        delivery=display.delivery(message.delivery_status, message.delivery_error),
        claimed=display.local_time(message.claimed_at, zone),
        settled=display.local_time(message.settled_at, zone),
        uncertain=message.status == "uncertain",
    )


def _appointment(appointment: AppointmentView, zone: str | None) -> AppointmentRow:
    return AppointmentRow(
        appointment_id=appointment.appointment_id,
        start=display.local_time(appointment.start_at, zone),
        end=display.local_time(appointment.end_at, zone),
        services=", ".join(service.name for service in appointment.services),
        price=display.money(appointment.price_cents),
        status=appointment.status,
        crm_sync=appointment.crm_sync,
        crm_error=appointment.crm_sync_error,
        shop_confirmation=appointment.shop_confirmation,
    )


def _conversation_line(message: ConversationMessage, zone: str | None, reveal: bool) -> ConversationLine:
    text = display.private(message.text, reveal=reveal)
    if message.author == "tool":
        failed = bool(message.detail and message.detail.get("is_error"))
        text = f"ran {message.text}" + (" (it failed)" if failed else "")
    elif message.author == "handoff":
        text = f"handed to the shop's staff: {text}"
    return ConversationLine(display.local_time(message.at, zone), message.author, message.channel, text)


def _timeline_entry(entry: AuditEntry, zone: str | None, reveal: bool) -> TimelineEntry:
    data = display.private(entry.data, reveal=reveal)
    details = [(key, _shown(value)) for key, value in data.items() if key != "tenant_id"]
    return TimelineEntry(
        at=display.local_time(entry.at, zone),
        at_iso=display.iso(entry.at),
        source=entry.aggregate,
        event=event_label(entry.event),
        sentence=sentence(entry.aggregate, entry.event, data, zone),
        details=details,
    )


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"
