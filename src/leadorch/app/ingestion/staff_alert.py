"""The new-lead alert to the location's staff: they should never learn about a lead from the customer.

Each staff contact who asked for `new_lead` alerts gets one email and/or one text with the customer's
first name, the vehicle, the requested services and a link to the lead in the console, keyed by the
lead: however often the step after a lead's creation runs, each contact hears once. Delivery (demo
mode, senders, failures) is `app.staff_alerts`'; a provider failure never undoes the import (the lead
exists; the console shows it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadorch.app.config.models import LocationConfig, TenantConfig
from leadorch.app.senders import senders_for
from leadorch.app.settings import Settings
from leadorch.app.staff_alert_claims import StaffAlertClaims
from leadorch.app.staff_alerts import AlertOutcome, StaffAlertMessage, console_link, send_staff_alert
from leadorch.ports.messaging import Messenger


@dataclass(frozen=True)
class NewLeadFacts:
    """What the alert says about the lead."""

    lead_id: str
    first_name: str
    vehicle: str
    services: tuple[str, ...]


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
    settings: Settings,
    claims: StaffAlertClaims,
    now: datetime,
) -> list[AlertOutcome]:
    """Alert every staff contact of `location` who wants new-lead alerts; returns what happened."""
    subject, body = alert_text(facts, location, console_link(settings.public_base_url, facts.lead_id))
    alert = StaffAlertMessage(
        kind="new_lead",
        lead_id=facts.lead_id,
        subject=subject,
        body=body,
        key=f"staff-new-lead:{facts.lead_id}",
        sender_name=f"{location.name} leads",
        senders=senders_for(location, settings),
    )
    return send_staff_alert(messenger, tenant, location, alert, claims=claims, now=now)
