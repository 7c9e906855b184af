"""Read model `conversations`: every lead's messages in one place, whatever the channel.

Chat turns come from the lead's `Conversation` (what the customer wrote, the assistant's replies with
the slots and appointment shown, each tool it ran, hand-offs to staff); SMS and email replies come from
`Lead.ReplyRecorded` (the conversation records them too, for the assistant: that copy is not shown
twice); staff replies (`Conversation.StaffReplied`, author `staff`, the name and the
reply's state in `detail`) on whichever channel they went. `conversation_messages` holds them in time
order; `conversation_counts` counts them per lead; `conversation_leads` is this read model's own map
from a conversation to its lead.

`conversation_inbox` is the staff inbox: one row per lead that wrote or was handed to staff, with when
the customer last wrote (and on which channel), when anyone last answered, when it was last handed off
and when staff last wrote, and the latest line as a preview. "Needs an answer" and "handed off" are
comparisons of those instants, made by the query, so the row is the same whatever order a batch saw
its events in. (On a deployment older than the inbox, `leadorch projections rebuild conversations`
fills it from the history.)
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import singledispatchmethod
from typing import Any

import msgspec

from leadorch.app.projections.batch import Batch
from leadorch.app.projections.projection import ReadModelProjection, RowRef, aggregate_id
from leadorch.app.projections.tables import Table, instant
from leadorch.domain.conversation import WEB_CHAT, Conversation
from leadorch.domain.lead import Lead

PREVIEW_CHARS = 160

COUNTERS = (
    "link_opens",
    "customer_messages",
    "assistant_replies",
    "tool_calls",
    "handoffs",
    "sms_replies",
    "email_replies",
)

CONVERSATION_LEADS = Table(
    "conversation_leads",
    columns=(
        ("conversation_id", "TEXT NOT NULL"),
        ("tenant_id", "TEXT NOT NULL"),
        ("lead_id", "TEXT NOT NULL"),
        ("location_id", "TEXT NOT NULL"),
        ("opened_at", "TEXT NOT NULL"),
    ),
    key=("conversation_id",),
    indexes=(("by_lead", "tenant_id, lead_id"),),
)
CONVERSATION_COUNTS = Table(
    "conversation_counts",
    columns=(
        ("tenant_id", "TEXT NOT NULL"),
        ("lead_id", "TEXT NOT NULL"),
        *((counter, "INTEGER NOT NULL DEFAULT 0") for counter in COUNTERS),
    ),
    key=("tenant_id", "lead_id"),
)
CONVERSATION_MESSAGES = Table(
    "conversation_messages",
    columns=(
        ("message_id", "TEXT NOT NULL"),
        ("tenant_id", "TEXT NOT NULL"),
        ("lead_id", "TEXT NOT NULL"),
        ("at", "TEXT NOT NULL"),
        ("channel", "TEXT NOT NULL"),
        ("author", "TEXT NOT NULL"),
        ("text", "TEXT NOT NULL"),
        ("detail", "TEXT"),
    ),
    key=("message_id",),
    indexes=(("by_lead", "tenant_id, lead_id, at"),),
)

CONVERSATION_INBOX = Table(
    "conversation_inbox",
    columns=(
        ("tenant_id", "TEXT NOT NULL"),
        ("lead_id", "TEXT NOT NULL"),
        ("last_at", "TEXT NOT NULL"),
        ("last_customer_at", "TEXT"),
        ("last_customer_channel", "TEXT"),
        ("last_answer_at", "TEXT"),
        ("handoff_at", "TEXT"),
        ("last_staff_at", "TEXT"),
        ("preview", "TEXT NOT NULL"),
        ("preview_author", "TEXT NOT NULL"),
    ),
    key=("tenant_id", "lead_id"),
    indexes=(("by_tenant_last", "tenant_id, last_at"),),
)

ChatEvent = (
    Conversation.LinkOpened
    | Conversation.CustomerMessageReceived
    | Conversation.ToolCalled
    | Conversation.AssistantReplied
    | Conversation.HandedToHuman
)
StaffOutcome = Conversation.StaffReplySent | Conversation.StaffReplyFailed


def message_id(event: Any) -> str:
    """Unique per event, and sorting in recording order among one aggregate's events."""
    return f"{event.originator_id}:{event.originator_version:010d}"


class ConversationsProjection(ReadModelProjection):
    name = "conversations"
    tables = (CONVERSATION_LEADS, CONVERSATION_COUNTS, CONVERSATION_MESSAGES, CONVERSATION_INBOX)

    @singledispatchmethod
    def handle(self, event: object, batch: Batch) -> None:
        """Other events are not messages."""

    @handle.register
    def _opened(self, event: Conversation.Opened, batch: Batch) -> None:
        batch.put(
            "conversation_leads",
            {
                "conversation_id": aggregate_id(event),
                "tenant_id": event.tenant_id,
                "lead_id": str(event.lead_id),
                "location_id": event.location_id,
                "opened_at": instant(event.timestamp),
            },
        )

    @handle.register
    def _chat(self, event: ChatEvent, batch: Batch) -> None:
        link = batch.row("conversation_leads", (aggregate_id(event),))
        if link is None:
            return
        tenant_id, lead_id = link["tenant_id"], link["lead_id"]
        counter, author, text, detail = _chat_message(event)
        batch.add("conversation_counts", (tenant_id, lead_id), counter)
        if author is None:
            return
        channel = _channel(event)
        if author == "customer" and channel != WEB_CHAT:
            return  # a text or an email: its line is the lead's `ReplyRecorded`, recorded with it
        batch.put(
            "conversation_messages",
            {
                "message_id": message_id(event),
                "tenant_id": tenant_id,
                "lead_id": lead_id,
                "at": instant(event.timestamp),
                "channel": channel,
                "author": author,
                "text": text,
                "detail": None if detail is None else msgspec.json.encode(detail).decode(),
            },
        )
        if author != "tool":
            _to_inbox(batch, tenant_id, lead_id, event, author, text, channel)

    @handle.register
    def _staff(self, event: Conversation.StaffReplied, batch: Batch) -> None:
        link = batch.row("conversation_leads", (aggregate_id(event),))
        if link is None:
            return
        tenant_id, lead_id = link["tenant_id"], link["lead_id"]
        detail = {"staff": event.staff, "key": event.key, "state": "sending"}
        batch.put(
            "conversation_messages",
            {
                "message_id": staff_message_id(aggregate_id(event), event.key),
                "tenant_id": tenant_id,
                "lead_id": lead_id,
                "at": instant(event.timestamp),
                "channel": event.channel,
                "author": "staff",
                "text": event.text,
                "detail": msgspec.json.encode(detail).decode(),
            },
        )
        _to_inbox(batch, tenant_id, lead_id, event, "staff", event.text, event.channel)

    @handle.register
    def _staff_outcome(self, event: StaffOutcome, batch: Batch) -> None:
        key = (staff_message_id(aggregate_id(event), event.key),)
        row = batch.row("conversation_messages", key)
        if row is None:
            return
        detail = msgspec.json.decode(row["detail"]) if row["detail"] else {}
        if isinstance(event, Conversation.StaffReplySent):
            detail.update(state="sent", provider_message_id=event.provider_message_id)
        else:
            detail.update(state="failed", reason=event.reason)
        batch.update("conversation_messages", key, detail=msgspec.json.encode(detail).decode())

    @handle.register
    def _flagged(self, event: Lead.FlaggedForStaff, batch: Batch) -> None:
        _to_inbox(batch, event.tenant_id, aggregate_id(event), event, "handoff", event.reason, None)

    @handle.register
    def _reply(self, event: Lead.ReplyRecorded, batch: Batch) -> None:
        lead_id = aggregate_id(event)
        batch.add("conversation_counts", (event.tenant_id, lead_id), f"{event.channel}_replies")
        batch.put(
            "conversation_messages",
            {
                "message_id": message_id(event),
                "tenant_id": event.tenant_id,
                "lead_id": lead_id,
                "at": instant(event.timestamp),
                "channel": event.channel,
                "author": "customer",
                "text": event.text,
                "detail": None,
            },
        )
        _to_inbox(batch, event.tenant_id, lead_id, event, "customer", event.text, event.channel)

    @singledispatchmethod
    def needs(self, event: object) -> Iterable[RowRef]:
        return ()

    @needs.register
    def _needs_link(self, event: ChatEvent | Conversation.StaffReplied) -> Iterable[RowRef]:
        return (("conversation_leads", (aggregate_id(event),)),)

    @needs.register
    def _needs_staff_message(self, event: StaffOutcome) -> Iterable[RowRef]:
        return (("conversation_messages", (staff_message_id(aggregate_id(event), event.key),)),)

    @needs.register
    def _needs_inbox(self, event: Lead.ReplyRecorded | Lead.FlaggedForStaff) -> Iterable[RowRef]:
        return (("conversation_inbox", (event.tenant_id, aggregate_id(event))),)


def staff_message_id(conversation: str, key: str) -> str:
    """A staff reply's message row, found again by its key when the provider's answer comes."""
    return f"{conversation}:staff:{key}"


def _channel(event: Any) -> str:
    """The channel a chat event's message went on: the web chat unless the event names one."""
    return str(getattr(event, "channel", None) or "chat")


def _to_inbox(
    batch: Batch,
    tenant_id: str,
    lead_id: str,
    event: Any,
    author: str,
    text: str,
    channel: str | None,
) -> None:
    """Move the lead's inbox row on: who wrote last, and when the customer, an answer or a hand-off came."""
    at = instant(event.timestamp) or ""
    row = batch.row("conversation_inbox", (tenant_id, lead_id)) or {
        "tenant_id": tenant_id,
        "lead_id": lead_id,
    }
    changed = dict(row)
    if author == "customer":
        changed.update(last_customer_at=at, last_customer_channel=channel)
    elif author == "handoff":
        changed["handoff_at"] = at
    else:  # the assistant or staff answered
        changed["last_answer_at"] = at
        if author == "staff":
            changed["last_staff_at"] = at
    changed["last_at"] = max(str(row.get("last_at") or at), at)
    if author != "handoff" or row.get("preview") is None:  # a hand-off keeps the customer's words shown
        changed.update(preview=" ".join(text.split())[:PREVIEW_CHARS], preview_author=author)
    batch.put("conversation_inbox", changed)


def _chat_message(event: Any) -> tuple[str, str | None, str, dict[str, Any] | None]:
    """(counter, author, text, detail) of a chat event; no author: nothing to show in the transcript."""
    if isinstance(event, Conversation.CustomerMessageReceived):
        return "customer_messages", "customer", event.text, None
    if isinstance(event, Conversation.AssistantReplied):
        shown = {"slots": list(event.slots), "appointment": event.appointment}
        return "assistant_replies", "assistant", event.text, shown
    if isinstance(event, Conversation.ToolCalled):
        call = {"input": event.input, "result": event.result, "is_error": event.is_error, "step": event.step}
        return "tool_calls", "tool", event.name, call
    if isinstance(event, Conversation.HandedToHuman):
        return "handoffs", "handoff", event.question, None
    return "link_opens", None, "", None
