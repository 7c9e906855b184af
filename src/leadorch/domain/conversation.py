"""The Conversation aggregate: one lead's chat with the shop's assistant, turn by turn.

A lead has one conversation (its id derives from the lead's), opened the first time the chat link is
used; every later visit reopens it. The history holds what the customer wrote, every tool the assistant
ran with its input and result, each reply (with the slots it offered and the appointment it showed),
and hand-offs to a person. It is both the transcript the customer sees and the context the assistant
is given, so a reply can always be explained from the events alone.

Opening the page (`LinkOpened`) is recorded but is not a response; the first customer message is, and
the application marks the lead engaged when it records one.

Staff answer in the same conversation (`StaffReplied`, with the staff member's name and the channel it
went on). The event is recorded *before* the message is handed to a provider, under the reply's
idempotency key: the save is the claim, so a form submitted twice finds the key taken and sends
nothing the second time; the provider's answer follows as `StaffReplySent` or `StaffReplyFailed`.
"Take over" (the assistant stays quiet for this lead) is not a state of the conversation: it is the
lead's `pause_automation(by=staff)`, which already means "a person handles this lead" to the chat (it
answers "the team will reply") and to the cadence (no touch goes out); "hand back" is
`resume_automation`. One flag for one meaning, so no reader has to combine two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from leadorch.domain.errors import IllegalTransition, InvalidValue
from leadorch.domain.ids import NAMESPACE
from leadorch.domain.instants import require_instant
from leadorch.domain.sms_segments import sms_segments
from leadorch.domain.tenancy import TenantAggregate

# A chat message is a question about a car, not a document; anything longer is abuse or a paste accident.
MAX_CUSTOMER_MESSAGE_CHARS = 2000
CHANNELS = ("chat", "sms", "email")
"""Where a message of the conversation was written or went: the web chat, a text or an email."""
WEB_CHAT = "chat"
"""The channel of every message recorded before messages named one: the chat page was the only one."""
STAFF_CHANNELS = CHANNELS
"""Where a staff reply can go: the web chat (shown on the chat page), or a text or an email."""
MAX_STAFF_MESSAGE_CHARS = MAX_CUSTOMER_MESSAGE_CHARS
MAX_STAFF_SMS_SEGMENTS = 2
"""A staff text stays within two segments, as the assistant's do: longer texts arrive split out of order
on some phones and cost a segment each; an email or the chat can say more."""


def conversation_id(lead_id: UUID | str) -> UUID:
    """The id of the conversation of lead `lead_id` (a lead has exactly one)."""
    try:
        lead = lead_id if isinstance(lead_id, UUID) else UUID(str(lead_id))
    except ValueError:
        raise InvalidValue(f"lead_id must be a UUID, not {lead_id!r}") from None
    return uuid5(NAMESPACE, f"conversation/{lead}")


def _channel(value: str) -> str:
    if value not in CHANNELS:
        raise InvalidValue(f"a message goes by {', '.join(CHANNELS)}, not {value!r}")
    return value


def _text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{name} must be non-empty text, not {value!r}")
    return value


MAX_THREAD_REFERENCES = 20
"""How many earlier Message-IDs an emailed message's thread keeps (RFC 5322 3.6.4 allows trimming the
middle of `References`; mail clients thread on the first and the last few)."""
MAX_SUBJECT_CHARS = 998  # RFC 5322's line limit: a longer subject is not a subject


@dataclass(frozen=True)
class EmailThread:
    """Where an emailed customer message sits in its mail thread, so the answer can join that thread:
    its own `Message-ID` ("" when it had none: the answer then joins by its References and subject), the
    `References` it carried (oldest first) and its subject."""

    message_id: str
    references: tuple[str, ...] = ()
    subject: str = ""

    @classmethod
    def of(cls, message_id: str | None, references: Sequence[str] = (), subject: str = "") -> EmailThread:
        """A thread whose ids are kept as given (angle brackets included), refused when malformed; None
        or "" for a message without a Message-ID."""
        ids = [_message_id(value) for value in references]
        if len(ids) > MAX_THREAD_REFERENCES:  # keep the root: clients thread on it and on the newest
            ids = [ids[0], *ids[-(MAX_THREAD_REFERENCES - 1) :]]
        if not isinstance(subject, str):
            raise InvalidValue(f"an email subject must be text, not {subject!r}")
        own = _message_id(message_id) if message_id else ""
        return cls(own, tuple(ids), " ".join(subject.split())[:MAX_SUBJECT_CHARS])

    def as_state(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "references": list(self.references), "subject": self.subject}

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> EmailThread | None:
        if not state:
            return None
        return cls(
            str(state["message_id"]), tuple(state.get("references") or ()), str(state.get("subject", ""))
        )


def _message_id(value: str) -> str:
    if not isinstance(value, str) or not value.strip() or any(ch.isspace() for ch in value.strip()):
        raise InvalidValue(f"a Message-ID must be one word such as <id@host>, not {value!r}")
    return value.strip()


@dataclass(frozen=True)
class CustomerLine:
    """Something the customer wrote, on `channel`; `thread` is set when they wrote it by email."""

    at: datetime
    text: str
    thread: EmailThread | None = None
    channel: str = WEB_CHAT


@dataclass(frozen=True)
class AssistantLine:
    """A reply to the customer on `channel`, with the slots offered as choices and the appointment shown;
    `key` is the claim a reply sent by a provider (a text, an email) went under, None in the chat."""

    at: datetime
    text: str
    slots: tuple[dict[str, Any], ...] = ()
    appointment: dict[str, Any] | None = None
    channel: str = WEB_CHAT
    key: str | None = None


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


@dataclass(frozen=True)
class StaffLine:
    """A staff member's message to the customer, on `channel`, claimed under `key`."""

    at: datetime
    text: str
    staff: str
    channel: str
    key: str


Entry = CustomerLine | AssistantLine | ToolCall | Handoff | StaffLine


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
            aggregate.staff_replies = {}
            aggregate.replies = {}

    class LinkOpened(TenantAggregate.Event):
        def apply(self, aggregate: Conversation) -> None:
            aggregate.link_opens += 1

    class CustomerMessageReceived(TenantAggregate.Event):
        text: str
        email_thread: dict[str, Any] | None = None
        """`EmailThread.as_state()` of an emailed message; None otherwise (and in events before it)."""
        channel: str = WEB_CHAT
        """Where the customer wrote; events recorded before channels were named came from the chat."""

        def apply(self, aggregate: Conversation) -> None:
            line = CustomerLine(
                at=self.timestamp,
                text=self.text,
                thread=EmailThread.from_state(self.email_thread),
                channel=self.channel,
            )
            aggregate.entries = (*aggregate.entries, line)
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
        channel: str = WEB_CHAT
        """Where the reply went; events recorded before channels were named went to the chat."""
        key: str | None = None
        """The claim of a reply a provider sends (see `claim_reply`); None for the chat's."""
        allowed_by: dict[str, Any] | None = None
        """What allowed a reply a provider sends (`staff_reply.answer_proof`); None for the chat's and
        for replies recorded before answers kept their proof."""

        def apply(self, aggregate: Conversation) -> None:
            line = AssistantLine(
                at=self.timestamp,
                text=self.text,
                slots=tuple(dict(slot) for slot in self.slots),
                appointment=dict(self.appointment) if self.appointment is not None else None,
                channel=self.channel,
                key=self.key,
            )
            aggregate.entries = (*aggregate.entries, line)
            if self.key is not None:
                aggregate.replies = {**aggregate.replies, self.key: "claimed"}

    class ReplySent(TenantAggregate.Event):
        """The provider took the assistant's reply claimed under `key`."""

        key: str
        provider_message_id: str | None

        def apply(self, aggregate: Conversation) -> None:
            aggregate.replies = {**aggregate.replies, self.key: "sent"}

    class ReplyFailed(TenantAggregate.Event):
        """The provider refused the assistant's reply claimed under `key`."""

        key: str
        reason: str

        def apply(self, aggregate: Conversation) -> None:
            aggregate.replies = {**aggregate.replies, self.key: "failed"}

    class HandedToHuman(TenantAggregate.Event):
        question: str

        def apply(self, aggregate: Conversation) -> None:
            aggregate.entries = (*aggregate.entries, Handoff(at=self.timestamp, question=self.question))
            aggregate.handoffs += 1

    class StaffReplied(TenantAggregate.Event):
        key: str
        text: str
        staff: str
        channel: str
        allowed_by: dict[str, Any] | None = None
        """What allowed it (`staff_reply.answer_proof`); None for replies from before proofs were kept."""

        def apply(self, aggregate: Conversation) -> None:
            line = StaffLine(
                at=self.timestamp, text=self.text, staff=self.staff, channel=self.channel, key=self.key
            )
            aggregate.entries = (*aggregate.entries, line)
            aggregate.staff_replies = {**aggregate.staff_replies, self.key: "claimed"}

    class StaffReplySent(TenantAggregate.Event):
        key: str
        provider_message_id: str | None

        def apply(self, aggregate: Conversation) -> None:
            aggregate.staff_replies = {**aggregate.staff_replies, self.key: "sent"}

    class StaffReplyFailed(TenantAggregate.Event):
        key: str
        reason: str

        def apply(self, aggregate: Conversation) -> None:
            aggregate.staff_replies = {**aggregate.staff_replies, self.key: "failed"}

    tenant_id: str
    lead_id: str
    location_id: str
    opened_at: datetime
    entries: tuple[Entry, ...]
    link_opens: int
    customer_messages: int
    handoffs: int
    staff_replies: dict[str, str]
    """Each staff reply's key and where it stands: claimed (being sent), sent or failed."""
    replies: dict[str, str]
    """Each assistant reply sent by a provider: its key and where it stands (claimed, sent or failed)."""

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

    @property
    def last_email_thread(self) -> EmailThread | None:
        """The mail thread of the customer's newest emailed message (what an emailed answer joins)."""
        for entry in reversed(self.entries):
            if isinstance(entry, CustomerLine) and entry.thread is not None:
                return entry.thread
        return None

    def record_link_opened(self, *, at: datetime) -> None:
        """The chat page was opened again with a link (a visit, not a response)."""
        at = require_instant(at)
        self.trigger_event(self.LinkOpened, timestamp=at)

    def receive_customer_message(
        self,
        *,
        text: str,
        at: datetime,
        email_thread: EmailThread | None = None,
        channel: str = WEB_CHAT,
    ) -> None:
        """The customer wrote `text` on `channel` (stripped; empty or overlong messages are refused), by
        email when `email_thread` says where in its mail thread."""
        at = require_instant(at)
        _channel(channel)
        if not isinstance(text, str) or not text.strip():
            raise InvalidValue("a chat message must contain some text")
        words = text.strip()
        if len(words) > MAX_CUSTOMER_MESSAGE_CHARS:
            raise InvalidValue(
                f"a chat message may be at most {MAX_CUSTOMER_MESSAGE_CHARS:,} characters, "
                f"this one has {len(words):,}"
            )
        thread = email_thread.as_state() if email_thread is not None else None
        self.trigger_event(
            self.CustomerMessageReceived, timestamp=at, text=words, email_thread=thread, channel=channel
        )

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
        channel: str = WEB_CHAT,
        key: str | None = None,
        allowed_by: Mapping[str, Any] | None = None,
    ) -> bool:
        """The assistant answered the customer with `text` on `channel`, offering `slots` and showing
        `appointment`. A reply a provider sends (a text, an email) is claimed under `key` before it is
        sent, with `allowed_by`, the proof of what allowed it: True when this call claimed it, False when
        `key` was claimed before (a retried job: the reply was recorded, and sent or being sent, already;
        nothing more to send)."""
        at = require_instant(at)
        _channel(channel)
        if key is not None:
            key = _text(key, "reply key").strip()
            if key in self.replies:
                return False
        self.trigger_event(
            self.AssistantReplied,
            timestamp=at,
            text=_text(text, "reply text"),
            slots=[dict(slot) for slot in slots],
            appointment=dict(appointment) if appointment is not None else None,
            channel=channel,
            key=key,
            allowed_by=dict(allowed_by) if allowed_by is not None else None,
        )
        return True

    def record_reply_sent(self, *, key: str, provider_message_id: str | None, at: datetime) -> None:
        """The provider took the assistant's reply claimed under `key`."""
        at = require_instant(at)
        if self._reply_state(key) == "claimed":
            self.trigger_event(self.ReplySent, timestamp=at, key=key, provider_message_id=provider_message_id)

    def record_reply_failed(self, *, key: str, reason: str, at: datetime) -> None:
        """The provider refused the assistant's reply claimed under `key` (not retried: the staff are told)."""
        at = require_instant(at)
        if self._reply_state(key) == "claimed":
            self.trigger_event(self.ReplyFailed, timestamp=at, key=key, reason=_text(reason, "reason")[:500])

    def _reply_state(self, key: str) -> str:
        state = self.replies.get(key)
        if state is None:
            raise IllegalTransition(f"cannot settle reply {key!r}: no such reply was claimed")
        return state

    def hand_to_human(self, *, question: str, at: datetime) -> None:
        """The shop's staff are asked to take over, with what the customer needs."""
        at = require_instant(at)
        self.trigger_event(
            self.HandedToHuman,
            timestamp=at,
            question=_text(question, "question"),
        )

    def reply_as_staff(
        self,
        *,
        key: str,
        text: str,
        staff: str,
        channel: str,
        at: datetime,
        allowed_by: Mapping[str, Any] | None = None,
    ) -> bool:
        """Staff member `staff` answers with `text` on `channel`, claimed under `key` with `allowed_by`, the
        proof of what allowed it; True when this call claimed it, False when `key` was claimed before (a
        second submit: nothing more to send).

        Empty text, an unknown channel, a text over two SMS segments or an overlong message is refused.
        Whether the customer may be answered now is the caller's question (`domain.staff_reply`).
        """
        at = require_instant(at)
        key = _text(key, "reply key").strip()
        if key in self.staff_replies:
            return False
        if channel not in STAFF_CHANNELS:
            raise InvalidValue(f"a staff reply goes by {', '.join(STAFF_CHANNELS)}, not {channel!r}")
        if not isinstance(text, str) or not text.strip():
            raise InvalidValue("a reply must contain some text")
        words = text.strip()
        if len(words) > MAX_STAFF_MESSAGE_CHARS:
            raise InvalidValue(
                f"a reply may be at most {MAX_STAFF_MESSAGE_CHARS:,} characters, this one has {len(words):,}"
            )
        if channel == "sms" and (count := sms_segments(words).segments) > MAX_STAFF_SMS_SEGMENTS:
            raise InvalidValue(
                f"a text may be at most {MAX_STAFF_SMS_SEGMENTS} SMS segments (306 plain characters, "
                f"fewer with emoji or curly quotes); this one would be {count}: shorten it"
            )
        staff_name = _text(staff, "staff member's name").strip()
        self.trigger_event(
            self.StaffReplied,
            timestamp=at,
            key=key,
            text=words,
            staff=staff_name,
            channel=channel,
            allowed_by=dict(allowed_by) if allowed_by is not None else None,
        )
        return True

    def record_staff_reply_sent(self, *, key: str, provider_message_id: str | None, at: datetime) -> None:
        """The provider took staff reply `key` (the chat needs none: it is shown on the page)."""
        at = require_instant(at)
        if self._staff_reply_state(key) == "claimed":
            self.trigger_event(
                self.StaffReplySent, timestamp=at, key=key, provider_message_id=provider_message_id
            )

    def record_staff_reply_failed(self, *, key: str, reason: str, at: datetime) -> None:
        """The provider refused staff reply `key`; it is not retried (the staff member sees why)."""
        at = require_instant(at)
        if self._staff_reply_state(key) == "claimed":
            self.trigger_event(
                self.StaffReplyFailed, timestamp=at, key=key, reason=_text(reason, "reason")[:500]
            )

    def _staff_reply_state(self, key: str) -> str:
        state = self.staff_replies.get(key)
        if state is None:
            raise IllegalTransition(f"cannot settle staff reply {key!r}: no such reply was claimed")
        return state
