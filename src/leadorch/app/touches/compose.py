"""Turns one claimed touch of one lead into the email and the SMS the providers receive.

Wording lives in the tenant's templates (`leadorch.app.messages`); this module supplies the values
(the lead's name and vehicle, the location, the signed chat and unsubscribe links) and the envelope:
sender, our ids as SendGrid custom args, the Twilio status callback that reports delivery of this very
touch, and the idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from leadorch.app.config.models import LocationConfig, TenantConfig
from leadorch.app.links import LinkSigner
from leadorch.app.messages.context import MessageContext
from leadorch.app.messages.rendering import render_email, render_sms
from leadorch.app.senders import Senders
from leadorch.domain.lead import Lead
from leadorch.domain.touches import ClaimedTouch
from leadorch.domain.values import Channel
from leadorch.ports.messaging import EmailMessage, SmsMessage

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
UNKNOWN_VEHICLE = "your vehicle"


@dataclass(frozen=True)
class TouchEnvelope:
    """Everything about one touch that does not depend on the channel."""

    tenant: TenantConfig
    location: LocationConfig
    lead: Lead
    claimed: ClaimedTouch
    links: LinkSigner
    now: datetime
    senders: Senders  # the location's own, else the deployment's defaults (`app/senders.py`)

    @property
    def tenant_id(self) -> str:
        return self.tenant.tenant_id

    def context(self) -> MessageContext:
        lead, location = self.lead, self.location
        lead_id = str(lead.id)
        return MessageContext(
            first_name=lead.contact.first_name.strip() or "there",
            vehicle=lead.vehicle.description or UNKNOWN_VEHICLE,
            location_name=location.name,
            location_phone=location.phone or "",
            location_address=location.address or "",
            services=list(lead.services),
            chat_link=self.links.chat_url(self.tenant_id, lead_id, now=self.now),
            unsubscribe_link=self.links.unsubscribe_url(self.tenant_id, lead_id, now=self.now),
        )

    def custom_args(self, channel: Channel) -> dict[str, str]:
        return {
            "tenant_id": self.tenant_id,
            "lead_id": str(self.lead.id),
            "schedule_id": str(self.claimed.schedule_id),
            "touch_number": str(self.claimed.touch_number),
            "channel": channel.value,
        }


def email_for(envelope: TouchEnvelope) -> EmailMessage:
    """The touch's email, rendered with the footer and RFC 8058 headers the templates add."""
    templates = envelope.tenant.templates_for(envelope.claimed.touch_number)
    rendered = render_email(templates.email, envelope.context())
    lead, location = envelope.lead, envelope.location
    assert lead.contact.email is not None  # the dispatcher checked `can_contact`
    return EmailMessage(
        to=lead.contact.email,
        to_name=lead.contact.full_name or None,
        from_email=envelope.senders.email_from,
        from_name=location.name,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        headers=dict(rendered.headers),
        custom_args=envelope.custom_args(Channel.EMAIL),
        categories=[f"touch-{envelope.claimed.touch_number}"],
        idempotency_key=envelope.claimed.idempotency_key(Channel.EMAIL),
    )


def sms_for(envelope: TouchEnvelope, *, first_text: bool) -> SmsMessage:
    """The touch's SMS; a lead's first text ends with how to opt out."""
    templates = envelope.tenant.templates_for(envelope.claimed.touch_number)
    body = render_sms(
        templates.sms, envelope.context(), envelope.tenant.max_sms_segments, opt_out_notice=first_text
    )
    assert envelope.lead.contact.phone is not None  # the dispatcher checked `can_contact`
    return SmsMessage(
        to=envelope.lead.contact.phone,
        body=body,
        from_number=envelope.senders.sms_from_number,
        messaging_service_sid=envelope.senders.messaging_service_sid,
        status_callback=status_callback_url(envelope),
        idempotency_key=envelope.claimed.idempotency_key(Channel.SMS),
    )


def status_callback_url(envelope: TouchEnvelope) -> str:
    """Where Twilio reports this SMS's delivery; the query names the touch, and Twilio signs it."""
    query = urlencode(
        {
            "tenant": envelope.tenant_id,
            "schedule": str(envelope.claimed.schedule_id),
            "touch": str(envelope.claimed.touch_number),
        }
    )
    return f"{envelope.links.public_base_url.rstrip('/')}{STATUS_CALLBACK_PATH}?{query}"
