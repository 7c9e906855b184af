"""The chat use cases: open a session from a link, show it, and answer a message with the tool loop.

- Opening a session verifies the signed link and records `Lead.ChatLinkOpened` and
  `Conversation.LinkOpened` (a visit, not a response); the same link reopens the same session.
- A customer message is recorded first, with the response it is: the first one marks the lead engaged
  (`Lead.ChatStarted`) and stops its touch cadence, in the same save.
- Then the assistant is asked for its turn, with the system prompt built from the shop's data and the
  conversation so far. The tools it asks for run on the server (`ToolRunner`), each call recorded as
  `ToolCalled`, until it answers in words or `MAX_STEPS` requests have been made; the answer is
  recorded as `AssistantReplied` with the slots it offered and the appointment it made.
- If the assistant fails (`AssistantUnavailable`, or anything unexpected), the customer gets a polite
  message offering a call-back and the staff are alerted (a hand-off without pausing), never an error.
- While a person handles the lead (automation paused, or the shop took the order over), messages are
  recorded and answered with a note that the team will reply; the assistant stays out of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from leadorch.app.booking.wording import appointment_view
from leadorch.app.chat.errors import ChatLinkRefused, MessageRejected, MessageTooLong
from leadorch.app.chat.handoff import hand_off
from leadorch.app.chat.history import model_messages, transcript
from leadorch.app.chat.prompt import system_prompt
from leadorch.app.chat.sessions import ChatSession, ChatSessions
from leadorch.app.chat.tool_runner import ChatContext, ToolOutcome, ToolRunner
from leadorch.app.chat.tools import TOOL_SPECS
from leadorch.app.chat.views import AppointmentCard, ChatLine, LocationInfo, SessionView
from leadorch.app.config.models import LocationConfig
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.leads.use_cases import lead_uuid, load_schedule
from leadorch.app.links import InvalidLink
from leadorch.app.observability.logging import bind, log_reference
from leadorch.domain.conversation import (
    MAX_CUSTOMER_MESSAGE_CHARS,
    Conversation,
    CustomerLine,
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
class _Shown:
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


class ChatService:
    """The chat's use cases over one container."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.store: EventStore = container.store
        self.clock = container.clock
        self.sessions = ChatSessions(container.db)
        self.booking = container.booking
        self.config = container.config

    # ----------------------------------------------------------------------------------- sessions

    def open_session(self, token: str) -> SessionView:
        """The session of chat link `token`; records the visit. `ChatLinkRefused` for a bad link."""
        now = self.clock.now()
        try:
            tenant_id, lead_text = self.container.links.verify_chat_token(token, now)
            lead_id = lead_uuid(lead_text)
            lead = self.store.load(lead_id, Lead, tenant_id)
        except InvalidLink as invalid:
            raise ChatLinkRefused(invalid.reason) from None
        except NotFound:
            raise ChatLinkRefused("the quote this link belongs to no longer exists") from None

        def command() -> list[Aggregate | None]:
            lead = self.store.load(lead_id, Lead, tenant_id)
            conversation = self._conversation(tenant_id, lead_id)
            if conversation is None:
                conversation = Conversation.open(
                    tenant_id=tenant_id, lead_id=lead_id, location_id=lead.location_id, at=now
                )
            conversation.record_link_opened(at=now)
            lead.record_chat_link_opened(at=now)
            return [conversation, lead]

        self.store.run(command)
        session = self.sessions.issue(token, tenant_id, str(lead.id), now)
        return self._view(session)

    def session_view(self, session_id: str) -> SessionView:
        """The session's lead, shop, transcript and appointment."""
        return self._view(self.sessions.resolve(session_id, self.clock.now()))

    # ----------------------------------------------------------------------------------- messages

    def post_message(self, session_id: str, text: str) -> ChatLine:
        """Record the customer's message and answer it."""
        session = self.sessions.resolve(session_id, self.clock.now())
        # The session id is the customer's credential: the logs name it by a reference only.
        with bind(session=log_reference(session_id), tenant_id=session.tenant_id, lead_id=session.lead_id):
            return self._answer_message(session, text)

    def _answer_message(self, session: ChatSession, text: str) -> ChatLine:
        words = checked_message(text)
        tenant_id, lead_id = session.tenant_id, UUID(session.lead_id)
        now = self.clock.now()

        def record() -> tuple[tuple[Lead, Conversation], list[Aggregate | None]]:
            lead = self.store.load(lead_id, Lead, tenant_id)
            conversation = self._conversation(tenant_id, lead_id)
            if conversation is None:  # a session always opened it; kept for conversations lost in a restore
                conversation = Conversation.open(
                    tenant_id=tenant_id, lead_id=lead_id, location_id=lead.location_id, at=now
                )
            conversation.receive_customer_message(text=words, at=now)
            if str(conversation.id) in lead.chat_sessions:  # not the first message: the cadence stopped then
                return (lead, conversation), [conversation]
            schedule = load_schedule(self.store, tenant_id, lead_id)
            if lead.status is not LeadStatus.HANDLED_BY_SHOP:
                lead.record_chat_started(session_id=str(conversation.id), at=now)
            if schedule is not None:
                schedule.stop(reason="the customer wrote in the chat", now=now)
            return (lead, conversation), [conversation, lead, schedule]

        lead, conversation = self.store.decide(record)
        recorder = _Recorder(self.store, tenant_id, lead_id, conversation)
        location = self.config.location(tenant_id, lead.location_id)
        if lead.status is LeadStatus.HANDLED_BY_SHOP or lead.automation_paused:
            return self._reply(recorder, _team_has_it(location), _Shown())
        shown = _Shown()
        try:
            answer = self._converse(session, lead, recorder, location, shown)
        except Exception as failure:
            answer = self._unavailable(session, location, words, failure, shown)
        return self._reply(recorder, answer, shown)

    def _converse(
        self,
        session: ChatSession,
        lead: Lead,
        recorder: _Recorder,
        location: LocationConfig,
        shown: _Shown,
    ) -> str:
        """The tool loop: ask, run the tools asked for, ask again, until the assistant answers in words."""
        tenant_id = session.tenant_id
        conversation = recorder.conversation
        tenant = self.config.tenant(tenant_id)
        catalog = self.config.catalog(tenant_id, location.location_id)
        context = ChatContext(
            container=self.container,
            tenant_id=tenant_id,
            lead_id=lead.id,
            location=location,
            catalog=catalog,
            requested=tuple(lead.services),
            previous_service_ids=previous_service_ids(conversation),
            customer_texts=customer_texts(conversation),
            generic_words=frozenset(tenant.catalog_generic_words),
        )
        runner = ToolRunner(context, self.booking)
        assistant, loop = self.container.assistant, self.container.assistant_loop
        messages = model_messages(conversation)
        current, changed = lead, False
        for step in range(MAX_STEPS):
            if changed:  # a tool booked, moved, cancelled or handed off: the prompt must say so
                current, changed = self.store.load(lead.id, Lead, tenant_id), False
            system = system_prompt(
                tenant=tenant,
                location=location,
                catalog=catalog,
                lead=current,
                appointment=self.booking.current_appointment(tenant_id, current),
                now=self.clock.now(),
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
                self._record_tool_call(recorder, call, outcome, step)
                results.append(ToolResult.of(call.id, outcome.result, is_error=outcome.is_error))
            asked: list[TextBlock | ToolUse] = [TextBlock(turn.text)] if turn.text.strip() else []
            messages = [
                *messages,
                ChatMessage(role="assistant", content=[*asked, *calls]),
                ChatMessage(role="user", content=list(results)),
            ]
        return TOO_MANY_STEPS

    def _unavailable(
        self, session: ChatSession, location: LocationConfig, words: str, failure: Exception, shown: _Shown
    ) -> str:
        """The assistant failed: apologise, offer a call-back, and alert the staff."""
        if isinstance(failure, AssistantUnavailable):
            log.warning(
                "chat assistant unavailable: %s", failure.reason, extra={"tenant_id": session.tenant_id}
            )
            reason = failure.reason
        else:
            log.exception("chat turn failed", extra={"tenant_id": session.tenant_id})
            reason = "an unexpected error"
        try:
            hand_off(
                self.container,
                tenant_id=session.tenant_id,
                lead_id=UUID(session.lead_id),
                question=f"The chat assistant could not answer ({reason}); please call the customer back. "
                f'They wrote: "{words[:500]}"',
                pause=False,
            )
            shown.handed_off = True
        except Exception:
            log.exception("could not hand the conversation to the staff")
        call = f", or call us now at {location.phone}" if location.phone else ""
        return (
            "Sorry, I can't answer right now. I've asked the team at "
            f"{location.name} to get back to you shortly{call}."
        )

    # ------------------------------------------------------------------------------------ records

    def _record_tool_call(self, recorder: _Recorder, call: ToolUse, outcome: ToolOutcome, step: int) -> None:
        now = self.clock.now()
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

    def _reply(self, recorder: _Recorder, text: str, shown: _Shown) -> ChatLine:
        now = self.clock.now()
        slots = shown.slots or []
        recorder.append(
            lambda conversation: conversation.record_reply(
                text=text, slots=slots, appointment=shown.appointment, at=now
            )
        )
        line = {"role": "assistant", "text": text, "at": now, "handoff": shown.handed_off}
        if slots:
            line["slots"] = slots
        if shown.appointment is not None:
            line["appointment"] = shown.appointment
        return msgspec.convert(line, ChatLine)

    # -------------------------------------------------------------------------------------- views

    def _view(self, session: ChatSession) -> SessionView:
        tenant_id, lead_id = session.tenant_id, UUID(session.lead_id)
        lead = self.store.load(lead_id, Lead, tenant_id)
        location = self.config.location(tenant_id, lead.location_id)
        conversation = self._conversation(tenant_id, lead_id)
        lines = transcript(conversation) if conversation is not None else []
        appointment = self.booking.current_appointment(tenant_id, lead)
        card = appointment_view(appointment, location.time_zone) if appointment is not None else None
        return SessionView(
            session_id=session.session_id,
            first_name=lead.contact.first_name.strip(),
            location=LocationInfo(name=location.name, phone=location.phone, address=location.address),
            transcript=[msgspec.convert(line, ChatLine) for line in lines],
            appointment=msgspec.convert(card, AppointmentCard) if card is not None else None,
        )

    def _conversation(self, tenant_id: str, lead_id: UUID) -> Conversation | None:
        try:
            return self.store.load(conversation_id(lead_id), Conversation, tenant_id)
        except NotFound:
            return None


class _Recorder:
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

    def append(self, change: Callable[[Conversation], object]) -> None:
        change(self.conversation)
        try:
            self.store.save(self.conversation)
        except IntegrityError:

            def again() -> list[Aggregate | None]:
                fresh = self.store.load(conversation_id(self.lead_id), Conversation, self.tenant_id)
                change(fresh)
                self.conversation = fresh
                return [fresh]

            self.store.run(again)


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


def _team_has_it(location: LocationConfig) -> str:
    call = f" You can also call us at {location.phone}." if location.phone else ""
    return f"Thanks! The team at {location.name} has your conversation and will reply to you soon.{call}"
