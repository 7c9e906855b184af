"""The staff inbox: conversations needing attention first, and one conversation's thread with a reply box.

The list comes from the `conversations` read model's inbox (unanswered, then handed off, then the
rest, newest first in each). A thread is every message on every channel (web chat, text, email, staff)
saying who wrote each line, the channel a reply would go on, and whether it may go now: the page says
why not (the customer never wrote, opted out, quiet hours) before anyone types. The domain still has
the last word when the form is sent. Names and addresses are masked unless the viewer asks to see them,
as on the lead pages.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadorch.app.config.errors import ConfigNotFound
from leadorch.app.config.models import LocationConfig
from leadorch.app.console import display
from leadorch.app.eventstore.store import NotFound
from leadorch.app.leads.staff_reply import ReplyRefused, check_reply, reply_channel
from leadorch.app.readmodels.conversations import ConversationMessage, InboxItem, conversation, inbox
from leadorch.app.readmodels.leads import get_lead
from leadorch.domain.conversation import MAX_STAFF_MESSAGE_CHARS

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

PAGE_SIZE = 50
ATTENTION_WORDS = {
    "unanswered": "waiting for an answer",
    "handed_off": "handed to staff",
    "answered": "answered",
}
CHANNEL_WORDS = {"chat": "web chat", "sms": "text", "email": "email"}


@dataclass(frozen=True)
class InboxRow:
    lead_id: str
    customer: str
    location: str
    attention: str
    attention_words: str
    channel: str
    preview: str
    preview_author: str
    last_at: str
    last_iso: str
    paused_by: str | None


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    page: int
    has_next: bool
    reveal: bool


def build_inbox_page(
    container: Container, tenant_id: str, *, page: int = 1, reveal: bool = False
) -> InboxPage:
    locations = {location.location_id: location for location in container.config.locations(tenant_id)}
    items = inbox(container.db, tenant_id, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    rows = [_row(item, locations, reveal) for item in items[:PAGE_SIZE]]
    return InboxPage(rows=rows, page=page, has_next=len(items) > PAGE_SIZE, reveal=reveal)


def _row(item: InboxItem, locations: dict[str, LocationConfig], reveal: bool) -> InboxRow:
    location = locations.get(item.location_id)
    zone = location.time_zone if location else None
    return InboxRow(
        lead_id=item.lead_id,
        customer=display.contact_name(item.first_name, item.last_name, reveal=reveal),
        location=location.name if location else item.location_id,
        attention=item.attention,
        attention_words=ATTENTION_WORDS[item.attention],
        channel=CHANNEL_WORDS.get(item.last_customer_channel or "", display.NOTHING),
        preview=display.private(item.preview, reveal=reveal),
        preview_author=item.preview_author,
        last_at=display.local_time(item.last_at, zone),
        last_iso=display.iso(item.last_at),
        paused_by=item.paused_by if item.automation_paused else None,
    )


@dataclass(frozen=True)
class ThreadLine:
    at: str
    at_iso: str
    who: str  # customer | assistant | staff | handoff
    by: str  # "Customer", "Assistant", "Ana (staff)", "Handed to staff"
    channel: str
    text: str
    state: str  # a staff reply's: sending | sent | failed (with the reason); "" otherwise


@dataclass(frozen=True)
class ThreadPage:
    lead_id: str
    customer: str
    status: str
    location: str
    reveal: bool
    lines: list[ThreadLine]
    automation_paused: bool
    paused_by: str | None
    reply_channel: str | None
    reply_channel_words: str
    refusal: str
    reply_key: str
    max_chars: int
    draft: str = ""
    error: str = ""


def build_thread_page(
    container: Container,
    tenant_id: str,
    lead_id: str,
    *,
    reveal: bool = False,
    draft: str = "",
    error: str = "",
) -> ThreadPage:
    """The thread of lead `lead_id`; `NotFound` for an unknown lead or another tenant's."""
    view = get_lead(container.db, tenant_id, lead_id)
    if view is None:
        raise NotFound(f"lead {lead_id} not found")
    try:
        location = container.config.location(tenant_id, view.location_id)
        location_name, zone = location.name, location.time_zone
    except ConfigNotFound:
        location_name, zone = view.location_id, None
    talk = conversation(container.db, tenant_id, lead_id)
    lines = [_line(m, zone, reveal) for m in (talk.messages if talk else []) if m.author != "tool"]
    channel, _ = reply_channel(container, tenant_id, lead_id)
    try:
        check_reply(container, tenant_id, lead_id)
        refusal = ""
    except ReplyRefused as refused:
        refusal = _refusal_words(refused, zone)
    return ThreadPage(
        lead_id=lead_id,
        customer=display.contact_name(view.first_name, view.last_name, reveal=reveal),
        status=view.status,
        location=location_name,
        reveal=reveal,
        lines=lines,
        automation_paused=view.automation_paused,
        paused_by=view.paused_by,
        reply_channel=channel,
        reply_channel_words=CHANNEL_WORDS.get(channel or "", ""),
        refusal=refusal,
        reply_key=secrets.token_urlsafe(16),
        max_chars=MAX_STAFF_MESSAGE_CHARS,
        draft=draft,
        error=error,
    )


def _refusal_words(refused: ReplyRefused, zone: str | None) -> str:
    words = str(refused)
    if refused.next_allowed is not None:
        words += f"; it could go from {display.local_time(refused.next_allowed, zone)}"
    return words[:1].upper() + words[1:] + "."


def refusal_words(refused: ReplyRefused, container: Container, tenant_id: str, lead_id: str) -> str:
    """The refusal as the page says it, times on the lead's location's clock."""
    view = get_lead(container.db, tenant_id, lead_id)
    zone = None
    if view is not None:
        try:
            zone = container.config.location(tenant_id, view.location_id).time_zone
        except ConfigNotFound:
            zone = None
    return _refusal_words(refused, zone)


def _line(message: ConversationMessage, zone: str | None, reveal: bool) -> ThreadLine:
    detail = message.detail or {}
    state = ""
    if message.author == "customer":
        by = "Customer"
    elif message.author == "assistant":
        by = "Assistant"
    elif message.author == "staff":
        by = f"{detail.get('staff') or 'Staff'} (staff)"
        state = str(detail.get("state") or "")
        if state == "failed" and detail.get("reason"):
            state = f"failed: {detail['reason']}"
    else:
        by = "Handed to staff"
    return ThreadLine(
        at=display.local_time(message.at, zone),
        at_iso=display.iso(message.at),
        who=message.author,
        by=by,
        channel=CHANNEL_WORDS.get(message.channel, message.channel),
        text=display.private(message.text, reveal=reveal),
        state=state,
    )
