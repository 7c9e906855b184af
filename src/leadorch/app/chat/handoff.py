"""Handing a conversation to the shop's staff: the automation pauses, the lead is flagged, staff are alerted.

The decision is saved in one transaction (the conversation's `HandedToHuman`, the lead's
`FlaggedForStaff` and, when a person takes over, `AutomationPaused` with its schedule paused); the
alert to the location's staff contacts who want `handoff` alerts (email and/or SMS, demo mode honoured)
is a background job, so staff hear within seconds: the customer's name, vehicle, question, phone and a
link to the lead in the console.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from leadorch.app.config.models import LocationConfig
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.leads.use_cases import load_schedule
from leadorch.app.senders import senders_for
from leadorch.app.staff_alerts import AlertOutcome, StaffAlertMessage, alert_location_staff, inbox_link
from leadorch.app.worker.enqueue import enqueue
from leadorch.app.worker.specs import ActorSpec
from leadorch.domain.conversation import Conversation, CustomerLine, conversation_id
from leadorch.domain.lead import Lead

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

PAUSED_BY = "chat assistant"


def hand_off(container: Container, *, tenant_id: str, lead_id: UUID, question: str, pause: bool) -> None:
    """Record the hand-off and alert the staff; `pause` when a person should take the conversation over."""
    store: EventStore = container.store
    now = container.clock.now()

    def command() -> tuple[tuple[int, str], list[Aggregate | None]]:
        lead = store.load(lead_id, Lead, tenant_id)
        conversation = store.load(conversation_id(lead_id), Conversation, tenant_id)
        schedule = load_schedule(store, tenant_id, lead_id)
        channel = asked_on(conversation)
        conversation.hand_to_human(question=question, at=now)
        lead.flag_for_staff(reason=f"{FROM[channel]}: {question}"[:500], at=now)
        if pause and not lead.automation_paused:
            lead.pause_automation(by=PAUSED_BY, reason="the customer asked for a person", at=now)
            if schedule is not None and schedule.is_active and not schedule.is_paused:
                schedule.pause(by=PAUSED_BY, now=now)
        return (conversation.handoffs, channel), [conversation, lead, schedule]

    number, channel = store.decide(command)
    enqueue(container, ALERT_STAFF, tenant_id, str(lead_id), question, number, channel)


ASKED = {"chat": "in the chat", "sms": "by text", "email": "by email"}
"""How the alert says where the customer asked: staff answer a text differently from a chat."""
FROM = {"chat": "from the chat", "sms": "by text", "email": "by email"}


def asked_on(conversation: Conversation) -> str:
    """The channel of the customer's newest message (the chat when there is none, or it is unnamed)."""
    line = next((entry for entry in reversed(conversation.entries) if isinstance(entry, CustomerLine)), None)
    channel = line.channel if line is not None else "chat"
    return channel if channel in ASKED else "chat"


def alert_staff_of_handoff(
    container: Container,
    tenant_id: str,
    lead_id: str,
    question: str,
    number: int = 1,
    channel: str = "chat",
) -> list[AlertOutcome]:
    """Alert every staff contact of the lead's location who wants hand-off alerts, saying where the
    customer asked (`channel`)."""
    try:
        lead = container.store.load(UUID(lead_id), Lead, tenant_id)
    except (NotFound, ValueError):
        log.warning("hand-off alert for unknown lead %s", lead_id)
        return []
    config = container.config
    tenant = config.tenant(tenant_id)
    location = config.location(tenant_id, lead.location_id)
    public_base_url = container.settings.public_base_url
    subject, body = handoff_text(lead, location, question, inbox_link(public_base_url, lead_id), channel)
    alert = StaffAlertMessage(
        kind="handoff",
        lead_id=lead_id,
        subject=subject,
        body=body,
        key=f"staff-handoff:{lead_id}:{number}",
        sender_name=f"{location.name} chat",
        senders=senders_for(location, container.settings),
    )
    return alert_location_staff(container, tenant, location, alert)


def handoff_text(
    lead: Lead, location: LocationConfig, question: str, link: str, channel: str = "chat"
) -> tuple[str, str]:
    """The alert's subject and body (the same words by email and text); `channel` is where the customer
    asked (a text, an email or the chat)."""
    who = lead.contact.full_name or "A customer"
    vehicle = lead.vehicle.description or "vehicle not given"
    reach = (
        ", ".join(part for part in (lead.contact.phone, lead.contact.email) if part) or "no contact on file"
    )
    subject = f"Customer asks for a person at {location.name}: {who}, {vehicle}"
    body = (
        f"{who} ({vehicle}) asked for a person {ASKED.get(channel, ASKED['chat'])} at {location.name}.\n"
        f'Question: "{question}"\nReach them: {reach}\nAnswer in the inbox: {link}'
    )
    return subject, body


def _alert(
    container: Container, tenant_id: str, lead_id: str, question: str, number: int = 1, channel: str = "chat"
) -> None:
    """The job; `channel` defaults to the chat for jobs queued before it was passed."""
    alert_staff_of_handoff(container, tenant_id, lead_id, question, number, channel)


ALERT_STAFF = ActorSpec("alert_staff_of_handoff", _alert, max_retries=3, time_limit_ms=60_000)
