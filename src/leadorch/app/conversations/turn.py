"""One assistant turn, whatever the channel: record the customer's message, then the tool loop.

The web chat, a text and an emailed reply are one conversation (`domain.conversation`), answered by the
same assistant with the same tools and the same server-side checks (`ToolRunner`). Only the recording
of the message (which says where it was written) and the shaping of the answer (a chat line, a text
within two segments, an email in the customer's thread) differ; they stay with their channel.

- `record_customer_message` saves the message with the response it is: the first message from the
  chat marks the lead engaged (`Lead.ChatStarted`) and stops its cadence in the same save; a text or an
  email is the lead's `ReplyRecorded` (which engages it) and stops the cadence, in the same save too.
- `converse` is the tool loop: ask, run the tools asked for (each recorded as `ToolCalled`), ask again,
  until the assistant answers in words or `MAX_STEPS` requests were made.
- `unavailable` is the answer when the assistant fails: a polite apology, and the staff alerted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from leadorch.app.chat.errors import MessageRejected, MessageTooLong
from leadorch.app.chat.handoff import hand_off
from leadorch.app.chat.history import model_messages
from leadorch.app.chat.prompt import system_prompt
from leadorch.app.chat.tool_runner import ChatContext, ToolOutcome, ToolRunner
from leadorch.app.chat.tools import TOOL_SPECS
from leadorch.app.config.models import LocationConfig
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.leads.use_cases import load_schedule
from leadorch.domain.conversation import (
    MAX_CUSTOMER_MESSAGE_CHARS,
    WEB_CHAT,
    Conversation,
    CustomerLine,
    EmailThread,
    ToolCall,
    conversation_id,
)
from leadorch.domain.lead import Lead
from leadorch.domain.values import LeadStatus
from leadorch.ports.assistant import AssistantUnavailable, ChatMessage, TextBlock, ToolResult, ToolUse
from leadorch.ports.chat_tools import ChatTool

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

MAX_STEPS = 5
EMPTY_ANSWER = "Sorry, I didn't catch that. You can ask me about prices or times, or to talk to someone."
TOO_MANY_STEPS = (
    "Sorry, I couldn't finish that just now. Could you say it another way, or ask to talk to someone?"
)


@dataclass
class Shown:
    """What the reply shows besides its words: the latest slots offered, the appointment, a hand-off."""

    slots: list[dict[str, str]] | None = None
    appointment: dict[str, Any] | None = None
    handed_off: bool = False

    def absorb(self, outcome: ToolOutcome) -> None:
        if outcome.appointment is not None:
            self.appointment = outcome.appointment
            self.slots = None  # the offered times are spent
        if outcome.slots is not None:
            self.slots = outcome.slots
        self.handed_off = self.handed_off or outcome.handed_off


class Recorder:
    """Appends to one conversation during a turn, reusing the aggregate already loaded.

    Saving on the loaded aggregate is an optimistic write: if another writer appended meanwhile (a
    hand-off saves the conversation itself, or the customer's next message arrived), the save conflicts
    and the change is applied again to a freshly loaded conversation.
    """

    def __init__(self, store: EventStore, tenant_id: str, lead_id: UUID, conversation: Conversation) -> None:
        self.store = store
        self.tenant_id = tenant_id
        self.lead_id = lead_id
        self.conversation = conversation

    def append(self, change: Callable[[Conversation], object]) -> Any:
        """Apply `change` and save it; what `change` returned (on the conversation it was saved on)."""
        result = change(self.conversation)
        try:
            self.store.save(self.conversation)
        except IntegrityError:

            def again() -> tuple[object, list[Aggregate | None]]:
                fresh = self.store.load(conversation_id(self.lead_id), Conversation, self.tenant_id)
                outcome = change(fresh)
                self.conversation = fresh
                return outcome, [fresh]

            return self.store.decide(again)
        return result


def is_quiet(lead: Lead) -> bool:
    """Whether a person handles the lead (staff took over, or the shop took the order): the assistant
    stays out of it."""
    return lead.status is LeadStatus.HANDLED_BY_SHOP or lead.automation_paused


def record_customer_message(
    container: Container,
    tenant_id: str,
    lead_id: UUID,
    words: str,
    *,
    channel: str = WEB_CHAT,
    email_thread: EmailThread | None = None,
) -> tuple[Lead, Conversation]:
    """Save the customer's message on `channel` with the response it is (see the module's docstring)."""
    store: EventStore = container.store
    now = container.clock.now()

    def record() -> tuple[tuple[Lead, Conversation], list[Aggregate | None]]:
        lead = store.load(lead_id, Lead, tenant_id)
        conversation = load_conversation(store, tenant_id, lead_id)
        if conversation is None:  # a lead that only texted or emailed, or a conversation lost in a restore
            conversation = Conversation.open(
                tenant_id=tenant_id, lead_id=lead_id, location_id=lead.location_id, at=now
            )
        conversation.receive_customer_message(text=words, at=now, email_thread=email_thread, channel=channel)
        schedule = load_schedule(store, tenant_id, lead_id)
        if channel != WEB_CHAT:
            if lead.status is not LeadStatus.HANDLED_BY_SHOP:
                lead.record_reply(channel=channel, text=words, at=now)
            if schedule is not None:
                schedule.stop(reason=f"the customer replied by {channel}", now=now)
            return (lead, conversation), [conversation, lead, schedule]
        if str(conversation.id) in lead.chat_sessions:  # not the first message: the cadence stopped then
            return (lead, conversation), [conversation]
        if lead.status is not LeadStatus.HANDLED_BY_SHOP:
            lead.record_chat_started(session_id=str(conversation.id), at=now)
        if schedule is not None:
            schedule.stop(reason="the customer wrote in the chat", now=now)
        return (lead, conversation), [conversation, lead, schedule]

    return store.decide(record)


def load_conversation(store: EventStore, tenant_id: str, lead_id: UUID) -> Conversation | None:
    try:
        return store.load(conversation_id(lead_id), Conversation, tenant_id)
    except NotFound:
        return None


def converse(
    container: Container, lead: Lead, recorder: Recorder, location: LocationConfig, shown: Shown
) -> str:
    """The tool loop: ask, run the tools asked for, ask again, until the assistant answers in words."""
    tenant_id = recorder.tenant_id
    store, config, booking = container.store, container.config, container.booking
    conversation = recorder.conversation
    tenant = config.tenant(tenant_id)
    catalog = config.catalog(tenant_id, location.location_id)
    context = ChatContext(
        container=container,
        tenant_id=tenant_id,
        lead_id=lead.id,
        location=location,
        catalog=catalog,
        requested=tuple(lead.services),
        previous_service_ids=previous_service_ids(conversation),
        customer_texts=customer_texts(conversation),
        generic_words=frozenset(tenant.catalog_generic_words),
    )
    runner = ToolRunner(context, booking)
    assistant, loop = container.assistant, container.assistant_loop
    messages = model_messages(conversation)
    current, changed = lead, False
    for step in range(MAX_STEPS):
        if changed:  # a tool booked, moved, cancelled or handed off: the prompt must say so
            current, changed = store.load(lead.id, Lead, tenant_id), False
        system = system_prompt(
            tenant=tenant,
            location=location,
            catalog=catalog,
            lead=current,
            appointment=booking.current_appointment(tenant_id, current),
            now=container.clock.now(),
        )
        turn = loop.respond(assistant, system, messages, TOOL_SPECS)
        if not turn.tool_calls:
            return turn.text.strip() or EMPTY_ANSWER
        results: list[ToolResult] = []
        calls = [_well_formed(call) for call in turn.tool_calls]
        for call, asked_for in zip(calls, turn.tool_calls, strict=True):
            outcome = runner.run(call.name, asked_for.input)
            shown.absorb(outcome)
            changed = changed or outcome.appointment is not None or outcome.handed_off
            if call.name == ChatTool.FIND_SLOTS and not outcome.is_error:
                context.previous_service_ids = list(outcome.result.get("service_ids", []))
            record_tool_call(container, recorder, call, outcome, step)
            results.append(ToolResult.of(call.id, outcome.result, is_error=outcome.is_error))
        asked: list[TextBlock | ToolUse] = [TextBlock(turn.text)] if turn.text.strip() else []
        messages = [
            *messages,
            ChatMessage(role="assistant", content=[*asked, *calls]),
            ChatMessage(role="user", content=list(results)),
        ]
    return TOO_MANY_STEPS


def answer_turn(
    container: Container, lead: Lead, recorder: Recorder, location: LocationConfig, words: str
) -> tuple[str, Shown]:
    """The assistant's answer to `words` (the tool loop), or the apology when it failed."""
    shown = Shown()
    try:
        return converse(container, lead, recorder, location, shown), shown
    except Exception as failure:
        return unavailable(container, recorder.tenant_id, lead.id, location, words, failure, shown), shown


def unavailable(
    container: Container,
    tenant_id: str,
    lead_id: UUID,
    location: LocationConfig,
    words: str,
    failure: Exception,
    shown: Shown,
) -> str:
    """The assistant failed: apologise, offer a call-back, and alert the staff."""
    if isinstance(failure, AssistantUnavailable):
        log.warning("chat assistant unavailable: %s", failure.reason, extra={"tenant_id": tenant_id})
        reason = failure.reason
    else:
        log.exception("chat turn failed", extra={"tenant_id": tenant_id})
        reason = "an unexpected error"
    try:
        hand_off(
            container,
            tenant_id=tenant_id,
            lead_id=lead_id,
            question=f"The chat assistant could not answer ({reason}); please call the customer back. "
            f'They wrote: "{words[:500]}"',
            pause=False,
        )
        shown.handed_off = True
    except Exception:
        log.exception("could not hand the conversation to the staff")
    call = f", or call us now at {location.phone}" if location.phone else ""
    return f"Sorry, I can't answer right now. I've asked the team at {location.name} to get back to you shortly{call}."


def record_tool_call(
    container: Container, recorder: Recorder, call: ToolUse, outcome: ToolOutcome, step: int
) -> None:
    """Record that `call` ran with `outcome`, as request `step` of the turn."""
    now = container.clock.now()
    recorder.append(
        lambda conversation: conversation.record_tool_call(
            name=call.name,
            tool_input=call.input,
            result=outcome.result,
            tool_use_id=call.id,
            step=step,
            is_error=outcome.is_error,
            at=now,
        )
    )


def _well_formed(call: ToolUse) -> ToolUse:
    """The tool call as it is recorded and sent back to the model: whatever the model sent as the
    input (a list, a string, null…) or the name, the record and the next request stay valid, and the
    tool runner answers the call as it was made (an error the model can correct)."""
    tool_input = call.input if isinstance(call.input, dict) else {"not_an_object": call.input}
    name = call.name if isinstance(call.name, str) and call.name.strip() else "(no tool name)"
    tool_use_id = call.id if isinstance(call.id, str) and call.id.strip() else "toolu_missing_id"
    if (tool_input, name, tool_use_id) == (call.input, call.name, call.id):
        return call
    return ToolUse(id=tool_use_id, name=name, input=tool_input)


def checked_message(text: str) -> str:
    """The message as recorded (stripped), or why it cannot be."""
    words = text.strip() if isinstance(text, str) else ""
    if not words:
        raise MessageRejected("the message is empty; type a question or pick a time")
    if len(words) > MAX_CUSTOMER_MESSAGE_CHARS:
        raise MessageTooLong(
            f"the message is too long: {len(words):,} characters, at most {MAX_CUSTOMER_MESSAGE_CHARS:,}"
        )
    return words


def previous_service_ids(conversation: Conversation) -> list[str]:
    """The services of the slots most recently offered (what "book the first one" is about)."""
    for entry in reversed(conversation.entries):
        if isinstance(entry, ToolCall) and entry.name == ChatTool.FIND_SLOTS and not entry.is_error:
            ids = entry.result.get("service_ids")
            return [str(i) for i in ids] if isinstance(ids, list) else []
    return []


def customer_texts(conversation: Conversation, limit: int = 10) -> tuple[str, ...]:
    """The customer's recent messages, newest first."""
    said = [entry.text for entry in reversed(conversation.entries) if isinstance(entry, CustomerLine)]
    return tuple(said[:limit])


def team_has_it(location: LocationConfig) -> str:
    """The answer while a person handles the lead."""
    call = f" You can also call us at {location.phone}." if location.phone else ""
    return f"Thanks! The team at {location.name} has your conversation and will reply to you soon.{call}"
