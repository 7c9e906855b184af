"""What the customer is told about their appointment: the confirmation, a change, a cancellation, a reminder.

Each notice goes by email and/or SMS as the lead consents, and honours demo mode exactly like the touch
cadence (an address off the tenant's allow-list is recorded as suppressed, not sent). It says when
(in the shop's time), where, what, what it costs, and links back to the chat to reschedule or cancel.

A notice is claimed in `appointment_notices` before it is handed to the provider, one row per
(appointment, notice, channel), so however often the job runs the customer gets it once. A reschedule
or reminder is keyed by the appointment's start, so moving the appointment earns a fresh one.

Which sending terms bind a notice is the domain's (`domain/notice_rules.py`): a reminder waits for the
location's window and the customer's legal hours (checked again here, when it goes: a queue may have
held it), a confirmation of what the customer just did goes at once, and no notice counts against a
cap. Each notice sent records its proof on the appointment (`Appointment.NoticeSent`), which the audit
and the lead's timeline show.

Every notice email ends with the location's name and postal address, as the touches' emails do. Unlike
a touch, a notice is still sent by a location that has no address yet: it is a transactional message
about the customer's own booking (CAN-SPAM exempts those), and a customer left without their
confirmation is worse off than one whose confirmation lacks the shop's address.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any
from uuid import UUID

from leadorch.app.booking.wording import dollars, slot_label
from leadorch.app.config.models import LocationConfig, TenantConfig
from leadorch.app.db import Database, IntegrityViolation
from leadorch.app.eventstore.store import NotFound
from leadorch.app.messages.rendering import postal_html_footer, postal_text_footer
from leadorch.app.projections.tables import instant
from leadorch.app.senders import senders_for
from leadorch.app.touches.proof import consent_relied_on
from leadorch.app.worker.specs import ActorSpec
from leadorch.domain import notice_rules
from leadorch.domain.appointment import Appointment
from leadorch.domain.lead import Lead
from leadorch.domain.sending_terms import SendingTerms
from leadorch.domain.values import Channel
from leadorch.ports.messaging import DeliveryError, EmailMessage, SmsMessage

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

KINDS = notice_rules.NOTICE_KINDS


@dataclass(frozen=True)
class NoticeOutcome:
    """What happened to one notice on one channel: sent, suppressed (demo mode), failed, duplicate, or
    held (a reminder outside the sending terms: nothing claimed, the reminder job comes back to it)."""

    channel: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class Notice:
    """One notice's words: an email subject, and a body shared by email and SMS."""

    subject: str
    body: str


def compose(
    kind: str, appointment: Appointment, lead: Lead, location: LocationConfig, chat_link: str
) -> Notice:
    """The words of notice `kind` for `appointment` (times in the location's zone)."""
    when = slot_label(appointment.start, location.time_zone)
    services = ", ".join(service.name for service in appointment.services)
    hello = f"Hi {lead.contact.first_name.strip()}, " if lead.contact.first_name.strip() else ""
    where = location.name + (f", {location.address}" if location.address else "")
    call = f" or call {location.phone}" if location.phone else ""
    details = f"{when} at {where}. {services}: {dollars(appointment.price_cents)}."
    manage = f"To reschedule or cancel, reply in the chat: {chat_link}{call}."
    if kind == "booked":
        return Notice(
            f"You're booked: {when} at {location.name}", f"{hello}you're booked for {details} {manage}"
        )
    if kind == "rescheduled":
        return Notice(
            f"Your appointment moved to {when} at {location.name}",
            f"{hello}your appointment is now {details} {manage}",
        )
    if kind == "cancelled":
        return Notice(
            f"Your appointment at {location.name} is cancelled",
            f"{hello}your appointment for {when} at {location.name} is cancelled. "
            f"Want another time? Pick one in the chat: {chat_link}{call}.",
        )
    if kind == "reminder":
        return Notice(
            f"Reminder: {when} at {location.name}",
            f"{hello}a reminder of your appointment: {details} {manage}",
        )
    raise ValueError(f"unknown notice {kind!r}; expected one of {', '.join(KINDS)}")


class NoticeLedger:
    """Which notices were claimed for sending, so each goes out at most once per channel."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(
        self, appointment_id: str, notice: str, channel: str, tenant_id: str, recipient: str, now: datetime
    ) -> bool:
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    "INSERT INTO appointment_notices (appointment_id, notice, channel, tenant_id, recipient, "
                    "status, at) VALUES (%s, %s, %s, %s, %s, 'sending', %s)",
                    (appointment_id, notice, channel, tenant_id, recipient, instant(now)),
                )
        except IntegrityViolation:
            return False
        return True

    def settle(self, appointment_id: str, notice: str, channel: str, status: str, detail: str) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE appointment_notices SET status = %s, detail = %s "
                "WHERE appointment_id = %s AND notice = %s AND channel = %s",
                (status, detail[:500], appointment_id, notice, channel),
            )

    def sent(self, appointment_id: str) -> list[tuple[str, str, str]]:
        """(notice, channel, status) of every notice of the appointment."""
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT notice, channel, status FROM appointment_notices WHERE appointment_id = %s "
                "ORDER BY at, notice, channel",
                (appointment_id,),
            )
            return [(row[0], row[1], row[2]) for row in cur.fetchall()]


def send_appointment_notice(
    container: Container, tenant_id: str, appointment_id: str, kind: str
) -> list[NoticeOutcome]:
    """Tell the customer about their appointment (`kind`: booked, rescheduled, cancelled, reminder)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice {kind!r}; expected one of {', '.join(KINDS)}")
    store = container.store
    try:
        appointment = store.load(UUID(appointment_id), Appointment, tenant_id)
        lead = store.load(UUID(appointment.lead_id), Lead, tenant_id)
    except (NotFound, ValueError):
        log.warning("notice %s for unknown appointment %s", kind, appointment_id)
        return []
    if kind == "reminder" and not appointment.is_confirmed:
        return []
    config = container.config
    tenant = config.tenant(tenant_id)
    location = config.location(tenant_id, appointment.location_id)
    now = container.clock.now()
    chat_link = container.links.chat_url(tenant_id, str(lead.id), now=now)
    notice = compose(kind, appointment, lead, location, chat_link)
    key = kind if kind in ("booked", "cancelled") else f"{kind}:{instant(appointment.start)}"
    terms = SendingTerms(
        location.sending_window(), location.time_zone, container.recipients.context_for(lead.contact.phone)
    )
    channels = [
        channel
        for channel in (Channel.EMAIL, Channel.SMS)
        if lead.contact.address_for(channel) is not None and lead.can_contact(channel)
    ]
    refused = notice_rules.refusal(kind, terms, now)
    if refused:
        log.info("%s of appointment %s held: %s", kind, appointment_id, refused)
        return [NoticeOutcome(channel.value, "held", refused) for channel in channels]
    ledger = NoticeLedger(container.db)
    outcomes = []
    for channel in channels:
        address = lead.contact.address_for(channel)
        assert address is not None
        if not ledger.claim(appointment_id, key, channel.value, tenant_id, address, now):
            outcomes.append(NoticeOutcome(channel.value, "duplicate"))
            continue
        outcome = _deliver(container, tenant, location, lead, appointment, channel, address, notice, key)
        ledger.settle(appointment_id, key, channel.value, outcome.status, outcome.detail)
        if outcome.status == "sent":
            proof = notice_rules.proof(kind, terms, now, consent=consent_relied_on(lead, channel))
            message_id = outcome.detail or f"appointment:{appointment.id}:{key}:{channel.value}"
            _record_sent(container, tenant_id, appointment.id, key, kind, channel, message_id, proof)
        outcomes.append(outcome)
    return outcomes


def _record_sent(
    container: Container,
    tenant_id: str,
    appointment_id: UUID,
    key: str,
    kind: str,
    channel: Channel,
    provider_message_id: str,
    proof: dict[str, Any],
) -> None:
    """The send and its proof on the appointment (a concurrent change to it is retried)."""
    store = container.store

    def command() -> list[Appointment]:
        appointment = store.load(appointment_id, Appointment, tenant_id)
        appointment.record_notice_sent(
            notice=key, kind=kind, channel=channel, provider_message_id=provider_message_id,
            allowed_by=proof, at=container.clock.now(),
        )  # fmt: skip
        return [appointment]

    store.run(command, attempts=8)


def _deliver(
    container: Container,
    tenant: TenantConfig,
    location: LocationConfig,
    lead: Lead,
    appointment: Appointment,
    channel: Channel,
    address: str,
    notice: Notice,
    key: str,
) -> NoticeOutcome:
    if not tenant.may_message(address):
        return NoticeOutcome(channel.value, "suppressed", "demo mode: not on the allow-list")
    messenger = container.messenger
    senders = senders_for(location, container.settings)
    idempotency_key = f"appointment:{appointment.id}:{key}:{channel.value}"
    try:
        if channel is Channel.EMAIL:
            receipt = messenger.send_email(
                EmailMessage(
                    to=address,
                    to_name=lead.contact.full_name or None,
                    from_email=senders.email_from,
                    from_name=location.name,
                    subject=notice.subject,
                    text=notice.body + _text_footer(location),
                    html=f"<p>{escape(notice.body)}</p>" + _html_footer(location),
                    custom_args={
                        "tenant_id": tenant.tenant_id,
                        "lead_id": str(lead.id),
                        "appointment_id": str(appointment.id),
                        "kind": f"appointment-{key.split(':')[0]}",
                    },
                    categories=[f"appointment-{key.split(':')[0]}"],
                    idempotency_key=idempotency_key,
                )
            )
        else:
            receipt = messenger.send_sms(
                SmsMessage(
                    to=address,
                    body=notice.body,
                    from_number=senders.sms_from_number,
                    messaging_service_sid=senders.messaging_service_sid,
                    idempotency_key=idempotency_key,
                )
            )
    except DeliveryError as error:
        log.warning("appointment notice by %s failed: %s", channel.value, error.reason)
        return NoticeOutcome(channel.value, "failed", error.reason)
    except ValueError as misconfigured:  # e.g. no SMS sender number configured for the location
        log.error("appointment notice by %s could not be sent: %s", channel.value, misconfigured)
        return NoticeOutcome(channel.value, "failed", str(misconfigured))
    return NoticeOutcome(channel.value, "sent", receipt.provider_message_id)


def _text_footer(location: LocationConfig) -> str:
    return postal_text_footer(location.name, location.address) if location.address else ""


def _html_footer(location: LocationConfig) -> str:
    return postal_html_footer(location.name, location.address) if location.address else ""


SEND_NOTICE = ActorSpec(
    "send_appointment_notice", send_appointment_notice, max_retries=3, time_limit_ms=60_000
)
