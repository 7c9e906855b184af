"""Read model `conversations`: every lead's messages in one place, whatever the channel.

Chat turns come from the lead's `Conversation` (what the customer wrote, the assistant's replies with
the slots and appointment shown, each tool it ran, hand-offs to staff); SMS and email replies come from
`Lead.ReplyRecorded`. `conversation_messages` holds them in time order; `conversation_counts` counts
them per lead; `conversation_leads` is this read model's own map from a conversation to its lead.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import singledispatchmethod
from typing import Any

import msgspec

from leadorch.app.projections.batch import Batch
from leadorch.app.projections.projection import ReadModelProjection, RowRef, aggregate_id
from leadorch.app.projections.tables import Table, instant
from leadorch.domain.conversation import Conversation
from leadorch.domain.lead import Lead

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

ChatEvent = (
    Conversation.LinkOpened
    | Conversation.CustomerMessageReceived
    | Conversation.ToolCalled
    | Conversation.AssistantReplied
    | Conversation.HandedToHuman
)


def message_id(event: Any) -> str:
    """Unique per event, and sorting in recording order among one aggregate's events."""
    return f"{event.originator_id}:{event.originator_version:010d}"


class ConversationsProjection(ReadModelProjection):
    name = "conversations"
    tables = (CONVERSATION_LEADS, CONVERSATION_COUNTS, CONVERSATION_MESSAGES)

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
        batch.put(
            "conversation_messages",
            {
                "message_id": message_id(event),
                "tenant_id": tenant_id,
                "lead_id": lead_id,
                "at": instant(event.timestamp),
                "channel": "chat",
                "author": author,
                "text": text,
                "detail": None if detail is None else msgspec.json.encode(detail).decode(),
            },
        )

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

    @singledispatchmethod
    def needs(self, event: object) -> Iterable[RowRef]:
        return ()

    @needs.register
    def _needs_link(self, event: ChatEvent) -> Iterable[RowRef]:
        return (("conversation_leads", (aggregate_id(event),)),)


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
