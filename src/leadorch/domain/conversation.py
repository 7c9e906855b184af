"""The Conversation aggregate: one lead's chat with the shop's assistant, turn by turn.

A lead has one conversation (its id derives from the lead's), opened the first time the chat link is
used; every later visit reopens it. The history holds what the customer wrote, every tool the assistant
ran with its input and result, each reply (with the slots it offered and the appointment it showed),
and hand-offs to a person. It is both the transcript the customer sees and the context the assistant
is given, so a reply can always be explained from the events alone.

Opening the page (`LinkOpened`) is recorded but is not a response; the first customer message is, and
the application marks the lead engaged when it records one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from leadorch.domain.errors import InvalidValue
from leadorch.domain.ids import NAMESPACE
from leadorch.domain.instants import require_instant
from leadorch.domain.tenancy import TenantAggregate

# A chat message is a question about a car, not a document; anything longer is abuse or a paste accident.
MAX_CUSTOMER_MESSAGE_CHARS = 2000


def conversation_id(lead_id: UUID | str) -> UUID:
    """The id of the conversation of lead `lead_id` (a lead has exactly one)."""
    try:
        lead = lead_id if isinstance(lead_id, UUID) else UUID(str(lead_id))
    except ValueError:
        raise InvalidValue(f"lead_id must be a UUID, not {lead_id!r}") from None
    return uuid5(NAMESPACE, f"conversation/{lead}")


def _text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{name} must be non-empty text, not {value!r}")
    return value


@dataclass(frozen=True)
class CustomerLine:
    """Something the customer wrote."""

    at: datetime
    text: str


@dataclass(frozen=True)
class AssistantLine:
    """A reply shown to the customer, with the slots offered as choices and the appointment shown."""

    at: datetime
    text: str
    slots: tuple[dict[str, Any], ...] = ()
    appointment: dict[str, Any] | None = None


@dataclass(frozen=True)
class ToolCall:
    """A tool the assistant ran: `step` counts the assistant's requests since the customer's message,
    so calls asked for together can be replayed to the model together."""

    at: datetime
    name: str
    input: dict[str, Any]
    result: dict[str, Any]
    tool_use_id: str
    step: int
    is_error: bool


@dataclass(frozen=True)
class Handoff:
    """The conversation was handed to the shop's staff with the customer's question."""

    at: datetime
    question: str


Entry = CustomerLine | AssistantLine | ToolCall | Handoff


class Conversation(TenantAggregate):
    """A lead's chat session: its transcript, its tool calls and its hand-offs."""

    class Opened(Aggregate.Created):
        tenant_id: str
        lead_id: str
        location_id: str

        def apply(self, aggregate: Conversation) -> None:
            aggregate.tenant_id = self.tenant_id
            aggregate.lead_id = self.lead_id
            aggregate.location_id = self.location_id
            aggregate.opened_at = self.timestamp
            aggregate.entries = ()
            aggregate.link_opens = 0
            aggregate.customer_messages = 0
            aggregate.handoffs = 0

    class LinkOpened(TenantAggregate.Event):
        def apply(self, aggregate: Conversation) -> None:
            aggregate.link_opens += 1

    class CustomerMessageReceived(TenantAggregate.Event):
        text: str

        def apply(self, aggregate: Conversation) -> None:
            aggregate.entries = (*aggregate.entries, CustomerLine(at=self.timestamp, text=self.text))
            aggregate.customer_messages += 1

    class ToolCalled(TenantAggregate.Event):
        name: str
        input: dict[str, Any]
        result: dict[str, Any]
        tool_use_id: str
        step: int
        is_error: bool

        def apply(self, aggregate: Conversation) -> None:
            call = ToolCall(
                at=self.timestamp,
                name=self.name,
                input=dict(self.input),
                result=dict(self.result),
                tool_use_id=self.tool_use_id,
                step=self.step,
                is_error=self.is_error,
            )
            aggregate.entries = (*aggregate.entries, call)

    class AssistantReplied(TenantAggregate.Event):
        text: str
        slots: list[dict[str, Any]]
        appointment: dict[str, Any] | None

        def apply(self, aggregate: Conversation) -> None:
            line = AssistantLine(
                at=self.timestamp,
                text=self.text,
                slots=tuple(dict(slot) for slot in self.slots),
                appointment=dict(self.appointment) if self.appointment is not None else None,
            )
            aggregate.entries = (*aggregate.entries, line)

    class HandedToHuman(TenantAggregate.Event):
        question: str

        def apply(self, aggregate: Conversation) -> None:
            aggregate.entries = (*aggregate.entries, Handoff(at=self.timestamp, question=self.question))
            aggregate.handoffs += 1

    tenant_id: str
    lead_id: str
    location_id: str
    opened_at: datetime
    entries: tuple[Entry, ...]
    link_opens: int
    customer_messages: int
    handoffs: int

    def __init__(self) -> None:
        """State is set by `Opened.apply`, so recording and replaying share one path."""

    @classmethod
    def open(cls, *, tenant_id: str, lead_id: UUID | str, location_id: str, at: datetime) -> Conversation:
        """The conversation of `lead_id`, opened at `at` (its id is `conversation_id(lead_id)`)."""
        at = require_instant(at)
        return cls._create(
            cls.Opened,
            id=conversation_id(lead_id),
            timestamp=at,
            tenant_id=_text(tenant_id, "tenant_id"),
            lead_id=str(lead_id),
            location_id=_text(location_id, "location_id"),
        )

    @property
    def has_customer_messages(self) -> bool:
        """Whether the customer ever wrote (the first message is a response to the cadence)."""
        return self.customer_messages > 0

    def record_link_opened(self, *, at: datetime) -> None:
        """The chat page was opened again with a link (a visit, not a response)."""
        at = require_instant(at)
        self.trigger_event(self.LinkOpened, timestamp=at)

    def receive_customer_message(self, *, text: str, at: datetime) -> None:
        """The customer wrote `text` (stripped; empty or overlong messages are refused)."""
        at = require_instant(at)
        if not isinstance(text, str) or not text.strip():
            raise InvalidValue("a chat message must contain some text")
        words = text.strip()
        if len(words) > MAX_CUSTOMER_MESSAGE_CHARS:
            raise InvalidValue(
                f"a chat message may be at most {MAX_CUSTOMER_MESSAGE_CHARS:,} characters, "
                f"this one has {len(words):,}"
            )
        self.trigger_event(self.CustomerMessageReceived, timestamp=at, text=words)

    def record_tool_call(
        self,
        *,
        name: str,
        tool_input: dict[str, Any],
        result: dict[str, Any],
        tool_use_id: str,
        step: int,
        is_error: bool,
        at: datetime,
    ) -> None:
        """The assistant ran tool `name` with `tool_input` and got `result`."""
        at = require_instant(at)
        if not isinstance(tool_input, dict) or not isinstance(result, dict):
            raise InvalidValue("a tool call's input and result must be mappings")
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise InvalidValue(f"a tool call's step must be a whole number from 0, not {step!r}")
        self.trigger_event(
            self.ToolCalled,
            timestamp=at,
            name=_text(name, "tool name"),
            input=dict(tool_input),
            result=dict(result),
            tool_use_id=_text(tool_use_id, "tool_use_id"),
            step=step,
            is_error=bool(is_error),
        )

    def record_reply(
        self,
        *,
        text: str,
        slots: list[dict[str, Any]],
        appointment: dict[str, Any] | None,
        at: datetime,
    ) -> None:
        """The assistant answered the customer with `text`, offering `slots` and showing `appointment`."""
        at = require_instant(at)
        self.trigger_event(
            self.AssistantReplied,
            timestamp=at,
            text=_text(text, "reply text"),
            slots=[dict(slot) for slot in slots],
            appointment=dict(appointment) if appointment is not None else None,
        )

    def hand_to_human(self, *, question: str, at: datetime) -> None:
        """The shop's staff are asked to take over, with what the customer needs."""
        at = require_instant(at)
        self.trigger_event(
            self.HandedToHuman,
            timestamp=at,
            question=_text(question, "question"),
        )
