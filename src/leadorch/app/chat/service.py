"""The chat use cases: open a session from a link, show it, and answer a message with the tool loop.

- Opening a session verifies the signed link and records `Lead.ChatLinkOpened` and
  `Conversation.LinkOpened` (a visit, not a response); the same link reopens the same session.
- A customer message is recorded first, with the response it is: the first one marks the lead engaged
  (`Lead.ChatStarted`) and stops its touch cadence, in the same save.
- Then the assistant is asked for its turn (`conversations.turn`, shared with texts and emailed replies), with the system prompt built from the shop's data and the
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
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from leadorch.app.booking.wording import appointment_view
from leadorch.app.chat.errors import ChatLinkRefused
from leadorch.app.chat.history import transcript
from leadorch.app.chat.sessions import ChatSession, ChatSessions
from leadorch.app.chat.views import AppointmentCard, ChatLine, LocationInfo, SessionView
from leadorch.app.conversations.turn import (
    EMPTY_ANSWER,
    MAX_STEPS,
    TOO_MANY_STEPS,
    Recorder,
    Shown,
    answer_turn,
    checked_message,
    customer_texts,
    is_quiet,
    load_conversation,
    previous_service_ids,
    record_customer_message,
    team_has_it,
)
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.leads.use_cases import lead_uuid
from leadorch.app.links import InvalidLink
from leadorch.app.observability.logging import bind, log_reference
from leadorch.domain.conversation import Conversation
from leadorch.domain.lead import Lead

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

__all__ = [
    "EMPTY_ANSWER",
    "MAX_STEPS",
    "TOO_MANY_STEPS",
    "ChatService",
    "checked_message",
    "customer_texts",
    "previous_service_ids",
]


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
        lead, conversation = record_customer_message(self.container, tenant_id, lead_id, words)
        recorder = Recorder(self.store, tenant_id, lead_id, conversation)
        location = self.config.location(tenant_id, lead.location_id)
        if is_quiet(lead):
            return self._reply(recorder, team_has_it(location), Shown())
        answer, shown = answer_turn(self.container, lead, recorder, location, words)
        return self._reply(recorder, answer, shown)

    # ------------------------------------------------------------------------------------ records

    def _reply(self, recorder: Recorder, text: str, shown: Shown) -> ChatLine:
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
        return load_conversation(self.store, tenant_id, lead_id)
