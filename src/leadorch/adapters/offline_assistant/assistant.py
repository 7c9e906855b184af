"""The offline assistant: one decision per turn, from the conversation, the calendar and the tools given."""

from __future__ import annotations

from typing import Any

from leadorch.adapters.offline_assistant.conversation import Conversation
from leadorch.adapters.offline_assistant.intents import (
    BOOK,
    CANCEL,
    CATALOGUE,
    HANDOFF,
    OUT_OF_BOUNDS,
    PRICES,
    RESCHEDULE,
    SLOTS,
    YES,
    named_service,
)
from leadorch.adapters.offline_assistant.when import Calendar, When, read_when, start_of
from leadorch.adapters.offline_assistant.wording import (
    HELP,
    OUT_OF_BOUNDS_REPLY,
    appointment_words,
    dollars,
    duration,
    slot_label,
)
from leadorch.ports.assistant import AssistantTurn, ChatMessage, SystemPrompt, ToolSpec, ToolUse
from leadorch.ports.chat_tools import ChatTool

_NO_USAGE: dict[str, int] = {"input_tokens": 0, "output_tokens": 0}
_MAX_SLOTS_SHOWN = 6


class OfflineAssistant:
    """An `Assistant` that follows fixed rules: deterministic, instant, and free of network calls."""

    async def respond(
        self, system: SystemPrompt, messages: list[ChatMessage], tools: list[ToolSpec]
    ) -> AssistantTurn:
        return self.next_turn(system, messages, tools)

    def next_turn(
        self, system: SystemPrompt, messages: list[ChatMessage], tools: list[ToolSpec]
    ) -> AssistantTurn:
        """The same decision as `respond`, without awaiting (for callers that are not async)."""
        conversation = Conversation(messages, system)
        turn = _Turn(conversation, Calendar.read(system.dynamic), {tool.name for tool in tools})
        if conversation.pending_results:
            return turn.after_tools()
        return turn.answer(conversation.customer_text())


class _Turn:
    """One decision: the conversation so far, the calendar, and which tools may be used."""

    def __init__(self, conversation: Conversation, calendar: Calendar, tools: set[str]) -> None:
        self.conversation = conversation
        self.calendar = calendar
        self.tools = tools

    # replies

    def say(self, text: str) -> AssistantTurn:
        return AssistantTurn(text=text, tool_calls=[], stop_reason="end_turn", usage=dict(_NO_USAGE))

    def use(self, name: str, tool_input: dict[str, Any], *, fallback: str) -> AssistantTurn:
        if name not in self.tools:
            return self.say(fallback)
        call = ToolUse(id=self.conversation.next_tool_use_id(), name=str(name), input=tool_input)
        return AssistantTurn(text="", tool_calls=[call], stop_reason="tool_use", usage=dict(_NO_USAGE))

    # a new customer message

    def answer(self, text: str) -> AssistantTurn:
        when = read_when(text, self.calendar)
        if HANDOFF.search(text):
            return self.use(ChatTool.HANDOFF_TO_HUMAN, {"question": text.strip()}, fallback=HELP)
        if OUT_OF_BOUNDS.search(text):
            return self.say(OUT_OF_BOUNDS_REPLY)
        if CANCEL.search(text):
            return self.use(ChatTool.CANCEL_APPOINTMENT, {}, fallback="Please call the shop to cancel.")
        if RESCHEDULE.search(text):
            return self.choose(when, moving=True)
        offered, _ = self.conversation.offered()
        picks_offered = bool(offered) and "?" not in text and (when.names_a_time or when.ordinal is not None)
        if BOOK.search(text) or when.instant or picks_offered:
            return self.choose(when, moving=self.conversation.has_appointment())
        if PRICES.search(text):
            return self.use(ChatTool.LIST_SERVICES, {}, fallback=HELP)
        if SLOTS.search(text) or when.names_a_day or when.part_of_day:
            return self.find_slots(when, text)
        if CATALOGUE.search(text):
            return self.use(ChatTool.LIST_SERVICES, {}, fallback=HELP)
        if YES.search(text) and "time" in self.conversation.last_assistant_text().lower():
            return self.find_slots(when, text)
        return self.say(HELP)

    def find_slots(self, when: When, text: str) -> AssistantTurn:
        tool_input: dict[str, Any] = {}
        service = named_service(text, self.conversation.catalogue(), self.conversation.generic_words())
        if service is not None:
            tool_input["service"] = str(service["name"])
        if when.day is not None:
            tool_input["date"] = when.day.isoformat()
        elif when.span is not None:
            tool_input["from"], tool_input["to"] = (self.calendar.midnight(d) for d in when.span)
        return self.use(ChatTool.FIND_SLOTS, tool_input, fallback="Please call the shop to find a time.")

    def choose(self, when: When, *, moving: bool) -> AssistantTurn:
        """Book (or move) at the slot the customer picked, or look for slots to pick from."""
        offered, query = self.conversation.offered()
        start = when.instant or _pick(offered, when)
        if start is None:
            return self.find_slots(when, self.conversation.customer_text())
        if moving:
            return self.use(
                ChatTool.RESCHEDULE_APPOINTMENT, {"start": start}, fallback="Please call the shop to move it."
            )
        tool_input: dict[str, Any] = {"start": start}
        if service_ids := self.service_ids(query):
            tool_input["service_ids"] = service_ids
        return self.use(ChatTool.BOOK_APPOINTMENT, tool_input, fallback="Please call the shop to book.")

    def service_ids(self, slots_query: dict[str, Any]) -> list[str]:
        ids = slots_query.get("service_ids")
        if isinstance(ids, list) and all(isinstance(i, str) for i in ids):
            return list(ids)
        catalogue = self.conversation.catalogue()
        named = named_service(self.conversation.customer_text(), catalogue, self.conversation.generic_words())
        if named is None and isinstance(slots_query.get("service"), str):
            named = named_service(slots_query["service"], catalogue, self.conversation.generic_words())
        return [str(named["id"])] if named is not None and "id" in named else []

    # tool results came back

    def after_tools(self) -> AssistantTurn:
        replies: list[str] = []
        for use, payload, is_error in self.conversation.pending_results:
            if is_error or (isinstance(payload, dict) and "error" in payload):
                replies.append(self.failed(use, payload))
            elif use.name == ChatTool.FIND_SLOTS and isinstance(payload, dict):
                follow_up = self.follow_up_slots(payload)
                if follow_up is not None:
                    return follow_up
                replies.append(self.slots_text(payload))
            else:
                replies.append(self.result_text(use, payload))
        return self.say("\n\n".join(replies))

    def follow_up_slots(self, payload: dict[str, Any]) -> AssistantTurn | None:
        """When the customer already named a time ("book Friday 10am"), book it once it is confirmed open."""
        text = self.conversation.customer_text()
        moving = bool(RESCHEDULE.search(text))
        if not (moving or BOOK.search(text)) or CANCEL.search(text) or OUT_OF_BOUNDS.search(text):
            return None
        when = read_when(text, self.calendar)
        if not when.names_a_time:
            return None
        slots = [s for s in payload.get("slots", []) if isinstance(s, dict) and "start" in s]
        start = _pick(slots, when)
        if start is None:
            return None
        return self.choose(When(instant=start), moving=moving or self.conversation.has_appointment())

    def slots_text(self, payload: dict[str, Any]) -> str:
        when = read_when(self.conversation.customer_text(), self.calendar)
        slots = [s for s in payload.get("slots", []) if isinstance(s, dict) and "start" in s]
        if when.part_of_day is not None:
            low, high = when.part_of_day
            slots = [s for s in slots if (t := start_of(s)) is not None and low <= t.hour < high]
        if not slots:
            return "I don't see any openings for that. Would you like me to check another day?"
        lines = "\n".join(f"- {slot_label(slot)}" for slot in slots[:_MAX_SLOTS_SHOWN])
        wanted = when.clock
        missed = ""
        if wanted is not None and not any((t := start_of(s)) and t.time() == wanted for s in slots):
            missed = f"{wanted.strftime('%I:%M %p').lstrip('0')} isn't open, but I have:\n"
        question = (
            "Which one should I move your appointment to?"
            if self.conversation.has_appointment()
            else "Which one would you like? Tap a time or tell me, and I'll book it."
        )
        heading = missed or "Here are the openings I have:\n"
        return f"{heading}{lines}\n{question}"

    def result_text(self, use: ToolUse, payload: Any) -> str:
        data = payload if isinstance(payload, dict) else {}
        if use.name == ChatTool.LIST_SERVICES:
            return self.services_text([s for s in data.get("services", []) if isinstance(s, dict)])
        if use.name == ChatTool.BOOK_APPOINTMENT and isinstance(data.get("appointment"), dict):
            return f"You're booked for {appointment_words(data['appointment'])}. See you then!"
        if use.name == ChatTool.RESCHEDULE_APPOINTMENT and isinstance(data.get("appointment"), dict):
            return f"Done - your appointment is now {appointment_words(data['appointment'])}."
        if use.name == ChatTool.CANCEL_APPOINTMENT:
            return "Your appointment is cancelled. If you'd like to pick a new time, just ask."
        if use.name == ChatTool.HANDOFF_TO_HUMAN:
            return "Thanks - I've passed this to the team, and someone will get back to you shortly."
        return "Done."

    def services_text(self, listed: list[dict[str, Any]]) -> str:
        services = [s for s in listed if s.get("name") and isinstance(s.get("price_cents"), int)]
        if not services:
            return "I couldn't find prices right now. Would you like me to ask the team?"
        named = named_service(self.conversation.customer_text(), services, self.conversation.generic_words())
        if named is not None:
            about = (
                f" It takes about {duration(named['duration_minutes'])}."
                if "duration_minutes" in named
                else ""
            )
            description = f" {named['description']}" if named.get("description") else ""
            return (
                f"The {named['name']} is {dollars(named['price_cents'])}.{description}{about}\n"
                "Would you like me to find a time for it?"
            )
        lines = "\n".join(f"- {s['name']}: {dollars(s['price_cents'])}" for s in services if "name" in s)
        return f"Here are our prices:\n{lines}\nWould you like me to find a time?"

    def failed(self, use: ToolUse, payload: Any) -> str:
        reason = payload.get("error") if isinstance(payload, dict) else payload
        reason_text = f" ({reason})" if isinstance(reason, str) and reason.strip() else ""
        if isinstance(payload, dict) and payload.get("calendar_unavailable"):
            phone = payload.get("shop_phone")
            call = f", or you can call us at {phone}" if isinstance(phone, str) and phone else ""
            return (
                "Sorry, I can't check the shop's calendar right now, so I can't offer or book a time. "
                f"I've asked the team to call you back{call}."
            )
        if use.name in (ChatTool.BOOK_APPOINTMENT, ChatTool.RESCHEDULE_APPOINTMENT):
            return f"Sorry, I couldn't book that time{reason_text}. Would you like me to look for another?"
        if use.name == ChatTool.CANCEL_APPOINTMENT:
            return f'Sorry, I couldn\'t cancel{reason_text}. Say "talk to someone" and the shop will help.'
        return f"Sorry, something went wrong on my side{reason_text}. Could you try again?"


def _pick(slots: list[dict[str, Any]], when: When) -> str | None:
    """The start of the offered slot the customer means, by position or by day and time."""
    if not slots:
        return None
    if when.ordinal is not None and not when.names_a_time:
        index = when.ordinal
        return str(slots[index]["start"]) if -len(slots) <= index < len(slots) else None
    if when.clock is None:
        return None
    for slot in slots:
        start = start_of(slot)
        if start is None or start.time().replace(tzinfo=None) != when.clock:
            continue
        if when.day is not None and start.date() != when.day:
            continue
        return str(slot["start"])
    return None
