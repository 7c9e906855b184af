"""Handing a conversation to the shop's staff: the automation pauses, the lead is flagged, staff are alerted.

The decision is saved in one transaction (the conversation's `HandedToHuman`, the lead's
`FlaggedForStaff` and, when a person takes over, `AutomationPaused` with its schedule paused); the
alert to the location's staff contacts who want `handoff` alerts (email and/or SMS, demo mode honoured)
is a background job, so staff hear within seconds: the customer's name, vehicle, question, phone and a
link to the lead in the console.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from leadorch.app.booking.jobs import enqueue
from leadorch.app.config import config_service
from leadorch.app.config.models import LocationConfig, StaffContact, TenantConfig
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.ingestion.staff_alert import AlertOutcome, console_link
from leadorch.app.leads.use_cases import load_schedule
from leadorch.app.messaging import messenger_for
from leadorch.app.projections.wiring import wake_projections
from leadorch.app.touches.compose import default_sender
from leadorch.app.worker.runtime import ActorSpec
from leadorch.domain.conversation import Conversation, conversation_id
from leadorch.domain.lead import Lead
from leadorch.ports.messaging import DeliveryError, EmailMessage, SmsMessage

log = logging.getLogger(__name__)

PAUSED_BY = "chat assistant"


def hand_off(container: Any, *, tenant_id: str, lead_id: UUID, question: str, pause: bool) -> None:
    """Record the hand-off and alert the staff; `pause` when a person should take the conversation over."""
    store: EventStore = container.store
    now = container.clock.now()

    def command() -> tuple[int, list[Aggregate | None]]:
        lead = store.load(lead_id, Lead, tenant_id)
        conversation = store.load(conversation_id(lead_id), Conversation, tenant_id)
        schedule = load_schedule(store, tenant_id, lead_id)
        conversation.hand_to_human(question=question, at=now)
        lead.flag_for_staff(reason=f"from the chat: {question}"[:500], at=now)
        if pause and not lead.automation_paused:
            lead.pause_automation(by=PAUSED_BY, reason="the customer asked for a person", at=now)
            if schedule is not None and schedule.is_active and not schedule.is_paused:
                schedule.pause(by=PAUSED_BY, now=now)
        return conversation.handoffs, [conversation, lead, schedule]

    number = store.decide(command)
    wake_projections(container)
    enqueue(container, ALERT_STAFF, tenant_id, str(lead_id), question, number)


def alert_staff_of_handoff(
    container: Any, tenant_id: str, lead_id: str, question: str, number: int = 1
) -> list[AlertOutcome]:
    """Alert every staff contact of the lead's location who wants hand-off alerts."""
    try:
        lead = container.store.load(UUID(lead_id), Lead, tenant_id)
    except (NotFound, ValueError):
        log.warning("hand-off alert for unknown lead %s", lead_id)
        return []
    config = config_service(container)
    tenant = config.tenant(tenant_id)
    location = config.location(tenant_id, lead.location_id)
    link = console_link(container.settings.public_base_url, lead_id)
    subject, body = handoff_text(lead, location, question, link)
    outcomes: list[AlertOutcome] = []
    key = f"staff-handoff:{lead_id}:{number}"
    for contact in location.staff_to_alert("handoff"):
        if contact.email:
            outcomes.append(
                _email(container, tenant, location, contact, subject, body, f"{key}:{contact.email}")
            )
        if contact.phone:
            outcomes.append(_sms(container, tenant, location, contact, body, f"{key}:{contact.phone}"))
    for outcome in outcomes:
        log.info("hand-off alert %s", outcome.status, extra={"tenant_id": tenant_id, "lead_id": lead_id})
    return outcomes


def handoff_text(lead: Lead, location: LocationConfig, question: str, link: str) -> tuple[str, str]:
    """The alert's subject and body (the same words by email and text)."""
    who = lead.contact.full_name or "A customer"
    vehicle = lead.vehicle.description or "vehicle not given"
    reach = (
        ", ".join(part for part in (lead.contact.phone, lead.contact.email) if part) or "no contact on file"
    )
    subject = f"Customer asks for a person at {location.name}: {who}, {vehicle}"
    body = (
        f"{who} ({vehicle}) asked for a person in the chat at {location.name}.\n"
        f'Question: "{question}"\nReach them: {reach}\nOpen the lead: {link}'
    )
    return subject, body


def _email(
    container: Any,
    tenant: TenantConfig,
    location: LocationConfig,
    contact: StaffContact,
    subject: str,
    body: str,
    key: str,
) -> AlertOutcome:
    address = str(contact.email)
    if not tenant.may_message(address):
        return AlertOutcome("email", address, "suppressed", "demo mode: not on the allow-list")
    message = EmailMessage(
        to=address,
        to_name=contact.name,
        from_email=location.email_from or default_sender(container.settings.public_base_url),
        from_name=f"{location.name} chat",
        subject=subject,
        text=body,
        html="<p>" + "<br>".join(_escape(line) for line in body.splitlines()) + "</p>",
        custom_args={"tenant_id": tenant.tenant_id, "kind": "staff_handoff"},
        categories=["staff-handoff"],
        idempotency_key=key,
    )
    return _deliver("email", address, lambda: messenger_for(container).send_email(message))


def _sms(
    container: Any, tenant: TenantConfig, location: LocationConfig, contact: StaffContact, body: str, key: str
) -> AlertOutcome:
    number = str(contact.phone)
    if not tenant.may_message(number):
        return AlertOutcome("sms", number, "suppressed", "demo mode: not on the allow-list")
    message = SmsMessage(to=number, body=body, from_number=location.sms_from_number, idempotency_key=key)
    return _deliver("sms", number, lambda: messenger_for(container).send_sms(message))


def _deliver(channel: str, to: str, send: Any) -> AlertOutcome:
    try:
        receipt = send()
    except DeliveryError as error:
        log.warning("hand-off alert by %s failed: %s", channel, error.reason)
        return AlertOutcome(channel, to, "failed", error.reason)
    except ValueError as misconfigured:  # e.g. no SMS sender number configured for the location
        log.error("hand-off alert by %s could not be sent: %s", channel, misconfigured)
        return AlertOutcome(channel, to, "failed", str(misconfigured))
    return AlertOutcome(channel, to, "sent", receipt.provider_message_id)


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


def _alert(container: Any, tenant_id: str, lead_id: str, question: str, number: int = 1) -> None:
    alert_staff_of_handoff(container, tenant_id, lead_id, question, number)


ALERT_STAFF = ActorSpec("alert_staff_of_handoff", _alert, max_retries=3, time_limit_ms=60_000)
