"""The new-lead alert to the location's staff: they should never learn about a lead from the customer.

Each staff contact who asked for `new_lead` alerts gets one email and/or one text with the customer's
first name, the vehicle, the requested services and a link to the lead in the console. Demo mode is
honoured exactly as for customers: an address off the tenant's allow-list is suppressed, not sent.
A provider failure is logged and never undoes the import (the lead exists; the console shows it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from leadorch.app.config.models import LocationConfig, StaffContact, TenantConfig
from leadorch.ports.messaging import DeliveryError, EmailMessage, Messenger, SmsMessage

log = logging.getLogger(__name__)

DEFAULT_ALERT_SENDER = "alerts@leadorch.invalid"


@dataclass(frozen=True)
class NewLeadFacts:
    """What the alert says about the lead."""

    lead_id: str
    first_name: str
    vehicle: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class AlertOutcome:
    """What happened to one alert: `sent`, `suppressed` (demo mode) or `failed`."""

    channel: str
    to: str
    status: str
    detail: str = ""


def console_link(public_base_url: str, lead_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/console/leads/{lead_id}"


def alert_text(facts: NewLeadFacts, location: LocationConfig, link: str) -> tuple[str, str]:
    """The alert's subject and body (the same words by email and text)."""
    who = facts.first_name or "A customer"
    vehicle = facts.vehicle or "vehicle not given"
    services = ", ".join(facts.services) or "no services named"
    subject = f"New website lead at {location.name}: {who}, {vehicle}"
    body = f"New website lead at {location.name}.\n{who} — {vehicle}\nRequested: {services}\nOpen the lead: {link}"
    return subject, body


def send_new_lead_alert(
    *,
    messenger: Messenger,
    tenant: TenantConfig,
    location: LocationConfig,
    facts: NewLeadFacts,
    public_base_url: str,
) -> list[AlertOutcome]:
    """Alert every staff contact of `location` who wants new-lead alerts; returns what happened."""
    link = console_link(public_base_url, facts.lead_id)
    subject, body = alert_text(facts, location, link)
    outcomes: list[AlertOutcome] = []
    for contact in location.staff_to_alert("new_lead"):
        if contact.email:
            outcomes.append(_email(messenger, tenant, location, contact, facts, subject, body))
        if contact.phone:
            outcomes.append(_sms(messenger, tenant, location, contact, facts, body))
    for outcome in outcomes:
        log.info(
            "new-lead alert %s",
            outcome.status,
            extra={"tenant_id": tenant.tenant_id, "lead_id": facts.lead_id, "channel": outcome.channel},
        )
    return outcomes


def _email(
    messenger: Messenger,
    tenant: TenantConfig,
    location: LocationConfig,
    contact: StaffContact,
    facts: NewLeadFacts,
    subject: str,
    body: str,
) -> AlertOutcome:
    address = str(contact.email)
    if not tenant.may_message(address):
        return AlertOutcome("email", address, "suppressed", "demo mode: not on the allow-list")
    message = EmailMessage(
        to=address,
        to_name=contact.name,
        from_email=location.email_from or DEFAULT_ALERT_SENDER,
        from_name=f"{location.name} leads",
        subject=subject,
        text=body,
        html=_html(body),
        custom_args={"tenant_id": tenant.tenant_id, "lead_id": facts.lead_id, "kind": "staff_new_lead"},
        categories=["staff-new-lead"],
        idempotency_key=f"staff-new-lead:{facts.lead_id}:{address}",
    )
    return _deliver("email", address, lambda: messenger.send_email(message))


def _sms(
    messenger: Messenger,
    tenant: TenantConfig,
    location: LocationConfig,
    contact: StaffContact,
    facts: NewLeadFacts,
    body: str,
) -> AlertOutcome:
    number = str(contact.phone)
    if not tenant.may_message(number):
        return AlertOutcome("sms", number, "suppressed", "demo mode: not on the allow-list")
    message = SmsMessage(
        to=number,
        body=body,
        from_number=location.sms_from_number,
        idempotency_key=f"staff-new-lead:{facts.lead_id}:{number}",
    )
    return _deliver("sms", number, lambda: messenger.send_sms(message))


def _deliver(channel: str, to: str, send: Any) -> AlertOutcome:
    try:
        receipt = send()
    except DeliveryError as exc:
        log.warning("new-lead alert by %s failed: %s", channel, exc.reason)
        return AlertOutcome(channel, to, "failed", exc.reason)
    return AlertOutcome(channel, to, "sent", receipt.provider_message_id)


def _html(text: str) -> str:
    from html import escape

    return "<p>" + "<br>".join(escape(line) for line in text.splitlines()) + "</p>"
