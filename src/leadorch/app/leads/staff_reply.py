"""A staff member answers a customer from the console: on the customer's channel, once per key.

The reply goes on the channel the customer last wrote on (their message is what allows it; the rule is
`domain.staff_reply`). It is claimed in the conversation before anything is sent (`reply_as_staff`
under the form's key, saved: a second submit of the same form finds the key taken and sends nothing),
then handed to the container's Messenger once, and its outcome recorded. A provider's refusal is
recorded and shown, not retried: the staff member is looking at the page and can send again (a new
form, a new key). A reply in the web chat is not sent anywhere: the chat page shows it. An emailed reply
joins the customer's mail thread (`conversations/email_answer.py`'s subject and headers), as the
assistant's emailed answers do.

"Take over" and "hand back" are the lead's pause and resume (`leads.use_cases.pause/resume`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any
from uuid import UUID

from leadorch.app.config.models import LocationConfig
from leadorch.app.conversations.answer_terms import decide_answer
from leadorch.app.conversations.email_answer import reply_subject, thread_headers
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.leads.use_cases import lead_uuid
from leadorch.app.messages.rendering import postal_html_footer, postal_text_footer
from leadorch.app.readmodels.conversations import customer_last_wrote
from leadorch.app.senders import senders_for
from leadorch.domain.conversation import Conversation, EmailThread, conversation_id
from leadorch.domain.errors import InvalidValue
from leadorch.domain.lead import Lead
from leadorch.domain.values import Channel
from leadorch.ports.messaging import (
    DeliveryError,
    DeliveryUnconfirmed,
    EmailMessage,
    SendReceipt,
    SmsMessage,
)

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class ReplyRefused(InvalidValue):
    """The reply may not go now (the customer never wrote there, opted out, quiet hours, demo mode).

    `next_allowed` is when it could go (quiet hours), else None."""

    def __init__(self, reason: str, next_allowed: datetime | None = None) -> None:
        super().__init__(reason)
        self.next_allowed = next_allowed


@dataclass(frozen=True)
class ReplyOutcome:
    """What became of the reply: `sent`, `failed` (with the provider's reason), `uncertain` (the
    provider never answered: it may have been sent) or `duplicate` (this key was claimed before: nothing
    was sent this time)."""

    status: str
    channel: str
    reason: str = ""


def reply_channel(container: Container, tenant_id: str, lead_id: str) -> tuple[str | None, datetime | None]:
    """The channel the customer last wrote on and when (None, None: they never wrote)."""
    wrote = customer_last_wrote(container.db, tenant_id, lead_id)
    if not wrote:
        return None, None
    channel = max(wrote, key=lambda name: wrote[name])
    return channel, wrote[channel]


@dataclass(frozen=True)
class ReplyPlan:
    """Where a reply would go: the lead, its location and the customer's channel."""

    lead: Lead
    location: LocationConfig
    channel: str
    allowed_by: dict[str, Any]
    """The proof the reply records with its claim: the rules as read when it was checked."""


def check_reply(container: Container, tenant_id: str, lead_id: UUID | str) -> ReplyPlan:
    """Where a staff reply to the lead would go now; `ReplyRefused` when it may not go now, `NotFound`
    for an unknown lead or another tenant's. The page asks before anyone types; sending asks again."""
    uuid = lead_uuid(lead_id)
    lead = container.store.load(uuid, Lead, tenant_id)
    location = container.config.location(tenant_id, lead.location_id)
    channel, wrote_at = reply_channel(container, tenant_id, str(uuid))
    if channel is None:
        raise ReplyRefused(
            "the customer has not written yet: a staff reply answers the customer's own message"
        )
    proof = _check(container, lead, location, channel, wrote_at, container.clock.now())
    return ReplyPlan(lead, location, channel, proof)


def reply_as_staff(
    container: Container, tenant_id: str, lead_id: UUID | str, *, key: str, text: str, staff: str
) -> ReplyOutcome:
    """Send `text` from `staff` to the lead's customer on their channel, once for `key`.

    `NotFound` for an unknown lead or another tenant's; `InvalidValue` for a bad key or text (empty, too
    long, over two SMS segments); `ReplyRefused` when the customer may not be answered now.
    """
    if not isinstance(key, str) or not _KEY.match(key):
        raise InvalidValue("the reply form is incomplete: reload the page and send it again")
    store: EventStore = container.store
    plan = check_reply(container, tenant_id, lead_id)
    lead, location, channel = plan.lead, plan.location, plan.channel
    now = container.clock.now()
    claimed = _claim(
        store,
        tenant_id,
        lead,
        key=key,
        text=text,
        staff=staff,
        channel=channel,
        now=now,
        allowed_by=plan.allowed_by,
    )
    if claimed is None:
        return ReplyOutcome("duplicate", channel)
    try:
        receipt = _send(container, tenant_id, lead, location, channel, claimed, key)
    except DeliveryUnconfirmed as unknown:
        # It may have gone: left claimed (shown "sending"), never called failed, so nobody resends it blind.
        log.warning("staff reply %s to lead %s unconfirmed: %s", key, lead.id, unknown)
        return ReplyOutcome("uncertain", channel, unknown.reason or str(unknown))
    except DeliveryError as refused:
        reason = refused.reason or str(refused)
        _settle(store, tenant_id, lead.id, key, None, reason, container.clock.now())
        return ReplyOutcome("failed", channel, reason)
    _settle(store, tenant_id, lead.id, key, receipt, None, container.clock.now())
    return ReplyOutcome("sent", channel)


def _check(
    container: Container,
    lead: Lead,
    location: LocationConfig,
    channel: str,
    wrote_at: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """The proof that a staff reply may go now (`conversations.answer_terms`); `ReplyRefused` if not."""
    decision = decide_answer(
        container, lead, location, by="staff", channel=channel, customer_wrote_at=wrote_at, now=now
    )
    if decision.allowed_by is None:
        raise ReplyRefused(decision.refusal or "the customer may not be answered now", decision.next_allowed)
    return decision.allowed_by


@dataclass(frozen=True)
class Claimed:
    """A reply claimed: its text as recorded, and the mail thread of the customer's newest email (an
    emailed reply joins it, as the assistant's answers do)."""

    text: str
    thread: EmailThread | None


def _claim(
    store: EventStore,
    tenant_id: str,
    lead: Lead,
    *,
    key: str,
    text: str,
    staff: str,
    channel: str,
    now: datetime,
    allowed_by: dict[str, Any],
) -> Claimed | None:
    """Record the reply under `key` (the claim); what to send, or None when `key` was taken."""

    def command() -> tuple[Claimed | None, list[Conversation]]:
        try:
            conversation = store.load(conversation_id(lead.id), Conversation, tenant_id)
        except NotFound:  # a lead that only texted or emailed has no conversation yet
            conversation = Conversation.open(
                tenant_id=tenant_id, lead_id=lead.id, location_id=lead.location_id, at=now
            )
        if not conversation.reply_as_staff(
            key=key, text=text, staff=staff, channel=channel, at=now, allowed_by=allowed_by
        ):
            return None, []
        line = conversation.entries[-1]
        claimed = Claimed(getattr(line, "text", text), conversation.last_email_thread)
        return claimed, [conversation]

    return store.decide(command)


def _send(
    container: Container,
    tenant_id: str,
    lead: Lead,
    location: LocationConfig,
    channel: str,
    claimed: Claimed,
    key: str,
) -> SendReceipt | None:
    """Hand the reply to the provider (the chat needs none: the page shows it). An email goes in the
    customer's mail thread (`In-Reply-To`, `References`, their subject with one `Re:`) and ends with the
    shop's name and postal address, as the assistant's emailed answers do."""
    text = claimed.text
    senders = senders_for(location, container.settings)
    idempotency_key = f"staff-reply:{conversation_id(lead.id)}:{key}"
    if channel == Channel.SMS:
        assert lead.contact.phone is not None
        return container.messenger.send_sms(
            SmsMessage(
                to=lead.contact.phone,
                body=text,
                from_number=senders.sms_from_number,
                messaging_service_sid=senders.messaging_service_sid,
                idempotency_key=idempotency_key,
            )
        )
    if channel == Channel.EMAIL:
        assert lead.contact.email is not None
        return container.messenger.send_email(
            EmailMessage(
                to=lead.contact.email,
                to_name=lead.contact.full_name or None,
                from_email=senders.email_from,
                from_name=location.name,
                subject=reply_subject(claimed.thread.subject if claimed.thread else "", location.name),
                text=text + (postal_text_footer(location.name, location.address) if location.address else ""),
                html="<p>"
                + "<br>".join(escape(line) for line in text.splitlines())
                + "</p>"
                + (postal_html_footer(location.name, location.address) if location.address else ""),
                headers=thread_headers(claimed.thread),
                custom_args={"tenant_id": tenant_id, "lead_id": str(lead.id), "kind": "staff_reply"},
                categories=["staff-reply"],
                idempotency_key=idempotency_key,
            )
        )
    return None


def _settle(
    store: EventStore,
    tenant_id: str,
    lead_id: UUID,
    key: str,
    receipt: SendReceipt | None,
    failure: str | None,
    now: datetime,
) -> None:
    def command() -> list[Conversation]:
        conversation = store.load(conversation_id(lead_id), Conversation, tenant_id)
        if failure is not None:
            conversation.record_staff_reply_failed(key=key, reason=failure, at=now)
        else:
            provider_id = receipt.provider_message_id if receipt is not None else None
            conversation.record_staff_reply_sent(key=key, provider_message_id=provider_id, at=now)
        return [conversation]

    store.run(command)
