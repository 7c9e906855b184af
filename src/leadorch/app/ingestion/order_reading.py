"""How a CRM order and its customer and vehicle read as the domain's values.

The CRM port hands over what ShopMonkey holds; the domain insists on its own shapes (an email the
`Contact` accepts, a plausible model year). A part the domain refuses is dropped here rather than
failing the whole import: a lead with a phone but a garbled email is still a lead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from leadorch.domain.consent import ConsentEvidence, decide_channel_consent
from leadorch.domain.errors import DomainError
from leadorch.domain.values import Channel, Contact, Vehicle
from leadorch.domain.website_lead import OrderSnapshot
from leadorch.ports.crm import CrmConsentRecord, CrmCustomer, CrmOrder, CrmVehicle

# The source named by evidence from a CRM adapter that does not say which fields it read.
UNNAMED_CRM = "crm"


def snapshot(order: CrmOrder) -> OrderSnapshot:
    """The parts of a CRM order the website-lead rule reads."""
    return OrderSnapshot(
        order_id=order.id,
        location_id=order.location_id,
        workflow_status_id=order.workflow_status_id,
        status=order.status,
        authorized=order.authorized,
        message_count=order.message_count,
        name=order.name or "",
        appointment_dates=tuple(_instant(text) for text in order.appointment_dates),
        invoiced=order.invoiced,
        paid=order.paid,
    )


_FORM_PREAMBLE = re.compile(r"^[^:]{0,80}\b(quote|request(ed)?)\b[^:]*:\s*", re.IGNORECASE)


def requested_services(order: CrmOrder) -> list[str]:
    """What the customer asked for, as the website form put it into the order's complaint.

    Website forms prefix it ("Customer requested a quote online: Ceramic tint, all windows."); messages
    quote it back to the customer, so the preamble and the closing full stop are dropped.
    """
    complaint = _FORM_PREAMBLE.sub("", (order.complaint or "").strip()).rstrip(" .").strip()
    return [complaint] if complaint else []


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        # An unreadable date is still a date that was set: the rule only asks whether there is one.
        return datetime.min.replace(tzinfo=UTC)


def contact_of(customer: CrmCustomer) -> Contact:
    """The customer's contact, keeping only the parts the domain accepts (a bad email is dropped)."""
    first, last = (customer.first_name or "").strip(), (customer.last_name or "").strip()
    email = customer.email
    phone = customer.phone
    try:
        Contact(first, last, email=email)
    except DomainError:
        email = None
    try:
        Contact(first, last, phone=phone)
    except DomainError:
        phone = None
    return Contact(first, last, email=email, phone=phone)


def vehicle_of(vehicle: CrmVehicle | None) -> Vehicle | None:
    if vehicle is None:
        return None
    year = vehicle.year if vehicle.year is not None and 1886 <= vehicle.year <= 2100 else None
    return Vehicle(year=year, make=vehicle.make, model=vehicle.model)


def unreachable_because(contact: Contact, customer: CrmCustomer) -> str:
    if customer.marketing_opt_in is False:
        return "the customer opted out of marketing in the CRM"
    if contact.email is None and contact.phone is None:
        return "no usable email address or phone number on file"
    parts = []
    if contact.email is not None:
        parts.append("the email address is not subscribed")
    if contact.phone is not None:
        parts.append("the phone number is not subscribed to texts")
    return " and ".join(parts) or "no channel is allowed"


def consent_evidence_of(contact: Contact, customer: CrmCustomer, *, at: datetime) -> list[ConsentEvidence]:
    """Each channel's consent as the domain's rule decides it from the CRM's flags, with the CRM fields
    it was read from and when (`at`). An address the domain refused counts as no address."""
    evidence = []
    for channel, flag, record in (
        (Channel.EMAIL, customer.email_subscribed, customer.email_consent_record),
        (Channel.SMS, customer.sms_subscribed, customer.sms_consent_record),
    ):
        decision = decide_channel_consent(
            channel,
            has_address=contact.address_for(channel) is not None,
            address_flag=flag,
            preferred_contact_method=customer.preferred_contact_method,
            marketing_opt_in=customer.marketing_opt_in,
        )
        record = record or CrmConsentRecord(source=UNNAMED_CRM, fields={})
        evidence.append(
            ConsentEvidence(
                channel=channel,
                granted=decision.granted,
                source=record.source,
                reason=decision.reason,
                fields=record.fields,
                verified_at=record.verified_at,
                observed_at=at,
            )
        )
    return evidence
