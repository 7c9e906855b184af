"""May an answer to the customer go now, and what allowed it: one place for the assistant's answers and
the staff's replies.

Both answer the customer's own message and keep one rule (`domain.staff_reply`): at once while the
conversation is live (the tenant's `live_conversation_minutes`), otherwise inside the location's window
and the recipient's legal hours; never on a channel the customer opted out of; in demo mode only to an
allow-listed address. This module reads what the rule needs (the lead, the location, the tenant, the
recipient's context from the phone number) and returns either the refusal or the proof the answer
records with its claim (`AssistantReplied.allowed_by`, `StaffReplied.allowed_by`), which the audit and
the timeline read back as "why was this allowed".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from leadorch.app.config.models import LocationConfig
from leadorch.domain.lead import Lead
from leadorch.domain.sending_terms import SendingTerms
from leadorch.domain.staff_reply import answer_proof, staff_reply_refusal
from leadorch.domain.values import Channel

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container


@dataclass(frozen=True)
class AnswerDecision:
    """`refusal` (why not now) and `next_allowed` (when it could, for quiet hours) when the answer may not
    go; otherwise `allowed_by`, its proof."""

    refusal: str | None = None
    next_allowed: datetime | None = None
    allowed_by: dict[str, Any] | None = None


def address_for(lead: Lead, channel: str) -> str | None:
    """Where an answer on `channel` goes (the chat needs no address: None)."""
    if channel == Channel.SMS:
        return lead.contact.phone
    if channel == Channel.EMAIL:
        return lead.contact.email
    return None


def decide_answer(
    container: Container,
    lead: Lead,
    location: LocationConfig,
    *,
    by: str,
    channel: str,
    customer_wrote_at: datetime | None,
    now: datetime,
) -> AnswerDecision:
    """Whether `by` ("assistant" or "staff") may answer the lead's customer on `channel` at `now`."""
    tenant = container.config.tenant(lead.tenant_id)
    live = timedelta(minutes=tenant.live_conversation_minutes)
    address = address_for(lead, channel)
    terms = SendingTerms(
        location.sending_window(), location.time_zone, container.recipients.context_for(lead.contact.phone)
    )
    refused = staff_reply_refusal(
        channel=channel,
        customer_wrote_at=customer_wrote_at,
        opted_out=channel in lead.revoked_by_customer,
        has_address=address is not None,
        terms=terms,
        now=now,
        live=live,
    )
    if refused is not None:
        return AnswerDecision(refused.reason, refused.next_allowed)
    if address is not None and not tenant.may_message(address):
        return AnswerDecision(
            "demo mode: the customer's address is not on the tenant's allow-list, so nothing is sent to it"
        )
    assert customer_wrote_at is not None  # staff_reply_refusal refuses an answer to nothing
    marketing = lead.consent.get(Channel(channel)) if channel in (Channel.SMS, Channel.EMAIL) else None
    proof = answer_proof(
        by=by,
        channel=channel,
        customer_wrote_at=customer_wrote_at,
        terms=terms,
        now=now,
        live=live,
        marketing_consent=bool(marketing),
    )
    return AnswerDecision(allowed_by=proof)
