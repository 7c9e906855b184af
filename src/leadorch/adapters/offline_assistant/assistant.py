"""The offline assistant: one decision per turn, from the conversation, the calendar and the tools given.

A message is read once (`_Turn.words`: Spanish phrases in English words, shorthand spelled out, typos of
known words corrected), then answered in this order: a person asked for, prices it may not change, a
service the shop does not offer, the answer to a question it asked (cancel? which package? book it?),
cancelling, moving, booking a named or offered time, and then every question the message asks at once
(prices, durations, times: one tool each, in one step), a thank-you, a greeting, and only when nothing
was asked, the help text. It books only when the customer's message asks to book or confirms a time,
by the domain's rule (`domain/booking_request.py`) that the tool layer enforces too.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from leadorch.adapters.offline_assistant.conversation import Conversation
from leadorch.adapters.offline_assistant.intents import (
    CANCEL,
    CATALOGUE,
    COMPARE,
    GENERIC_ASK,
    GREETING,
    HAGGLE,
    HANDOFF,
    HOURS,
    HOW_LONG,
    NO,
    OUT_OF_BOUNDS,
    PRICES,
    RESCHEDULE,
    SLOTS,
    THANKS,
    WHERE,
    WHO,
    YES,
    named_service,
    named_services,
    not_offered,
    not_ruled_out,
)
from leadorch.adapters.offline_assistant.language import SPANISH, as_english, language_of
from leadorch.adapters.offline_assistant.spelling import respell, service_words
from leadorch.adapters.offline_assistant.when import Calendar, When, read_when, start_of
from leadorch.adapters.offline_assistant.wording import (
    appointment_words,
    asked,
    choices_in,
    dollars,
    duration,
    say,
    slot_label,
    zone_of,
)
from leadorch.domain.booking_request import BookingIntent, booking_intent
from leadorch.ports.assistant import AssistantTurn, ChatMessage, SystemPrompt, ToolSpec, ToolUse
from leadorch.ports.chat_tools import ChatTool

_NO_USAGE: dict[str, int] = {"input_tokens": 0, "output_tokens": 0}
_MAX_SLOTS_SHOWN = 6
_PARTS = {(0, 12): "morning", (12, 17): "afternoon", (17, 24): "evening"}
_BOOKS = (BookingIntent.REQUEST, BookingIntent.CONFIRMATION)


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
        return turn.answer()


class _Turn:
    """One decision: the conversation so far, the calendar, and which tools may be used."""

    def __init__(self, conversation: Conversation, calendar: Calendar, tools: set[str]) -> None:
        self.conversation = conversation
        self.calendar = calendar
        self.tools = tools
        self.language = conversation.language()
        self.text = conversation.customer_text()
        self.intent = booking_intent(self.text)
        self.asked = asked(conversation.last_assistant_text())
        self.words = self.read(self.text)
        if self.asked == "service" and self.named(self.words) is not None:
            # The answer to "which package is it for?": the request it was asked about, with the package.
            earlier = conversation.customer_texts()[1:2]
            self.words = f"{self.read(earlier[0])} {self.words}" if earlier else self.words
        self.when = read_when(self.words, calendar)

    def read(self, text: str) -> str:
        spanish = self.language == SPANISH or language_of(text) == SPANISH
        said = as_english(text) if spanish else text
        names = [str(s.get("name", "")) for s in self.conversation.known_services()]
        return respell(said, service_words(names, self.conversation.generic_words()))

    def named(self, words: str) -> dict[str, Any] | None:
        return named_service(words, self.conversation.known_services(), self.conversation.generic_words())

    def phrase(self, key: str, **fields: Any) -> str:
        return say(self.language, key, **fields)

    # replies

    def say(self, text: str) -> AssistantTurn:
        return AssistantTurn(text=text, tool_calls=[], stop_reason="end_turn", usage=dict(_NO_USAGE))

    def use(self, name: str, tool_input: dict[str, Any], *, fallback: str) -> AssistantTurn:
        return self.use_all([(name, tool_input)], fallback=fallback)

    def use_all(self, calls: list[tuple[str, dict[str, Any]]], *, fallback: str) -> AssistantTurn:
        allowed = [(name, tool_input) for name, tool_input in calls if name in self.tools]
        if not allowed:
            return self.say(fallback)
        uses: list[ToolUse] = []
        for name, tool_input in allowed:
            uses.append(
                ToolUse(id=self.conversation.next_tool_use_id(len(uses)), name=str(name), input=tool_input)
            )
        return AssistantTurn(text="", tool_calls=uses, stop_reason="tool_use", usage=dict(_NO_USAGE))

    def help(self) -> str:
        return self.phrase("help")

    # a new customer message

    def answer(self) -> AssistantTurn:
        words, when = self.words, self.when
        if HANDOFF.search(words):
            return self.use(ChatTool.HANDOFF_TO_HUMAN, {"question": self.text.strip()}, fallback=self.help())
        if OUT_OF_BOUNDS.search(words):
            return self.say(self.phrase("out_of_bounds"))
        if HAGGLE.search(words):
            return self.use(ChatTool.LIST_SERVICES, {}, fallback=self.phrase("out_of_bounds"))
        known = self.conversation.known_services()
        thing = not_offered(words, known)
        if thing is not None and self.named(words.replace(thing, " ")) is None:
            return self.say(self.not_offered_text(thing))
        if self.asked == "cancel":
            if self.intent is BookingIntent.CONFIRMATION:  # the domain's yes, the one the tool checks
                refused = self.phrase("cancel_refused", reason=self.phrase("call_phone"))
                return self.use(ChatTool.CANCEL_APPOINTMENT, {"confirmed": True}, fallback=refused)
            if NO.search(words) or self.intent is BookingIntent.DECLINE:
                return self.say(self.phrase("kept"))
        if CANCEL.search(words):
            return self.ask_to_cancel()
        offered, _ = self.conversation.offered()
        confirms_offer = self.asked in ("book", "move") and self.intent in _BOOKS
        if confirms_offer and offered and not when.names_a_time and when.ordinal is None:
            moving = self.asked == "move" or self.conversation.has_appointment()
            return self.choose(When(instant=str(offered[0]["start"])), moving=moving)
        if RESCHEDULE.search(words) and self.conversation.has_appointment():
            # "move it to Friday 10am" moves it; "can I change the time?" is a question: times are offered
            return self.choose(when, moving=True) if self.intent in _BOOKS else self.find_slots(when)
        books = self.intent in _BOOKS
        one_offered = len(offered) == 1 and not when.names_a_day
        if books and (when.names_a_time or when.ordinal is not None or one_offered):
            return self.choose(when, moving=self.conversation.has_appointment())
        shop = self.conversation.shop
        if WHERE.search(words) and shop.address:
            hours = self.phrase("hours_line", hours=shop.hours) if shop.hours else ""
            return self.say(self.phrase("address", address=shop.address, hours=hours))
        if HOURS.search(words) and not HOW_LONG.search(words) and shop.hours:
            return self.say(self.phrase("hours", hours=shop.hours))
        calls: list[tuple[str, dict[str, Any]]] = []
        if PRICES.search(words) or CATALOGUE.search(words) or HOW_LONG.search(words) or COMPARE.search(words):
            calls.append((ChatTool.LIST_SERVICES, {}))
        finds = (
            SLOTS.search(words)
            or when.names_a_day
            or when.names_times_of_day
            or when.names_a_time
            or books
            or (self.asked == "find" and YES.search(words))
            or (self.asked == "service" and self.named(self.read(self.text)) is not None)
        )
        if finds and not (
            calls and CATALOGUE.search(words) and not SLOTS.search(words) and not when.names_a_day
        ):
            calls.append((ChatTool.FIND_SLOTS, self.slot_query(when)))
        if calls:
            return self.use_all(calls, fallback=self.help())
        if THANKS.search(words):
            booked = self.appointment_label()
            if booked is not None:
                return self.say(self.phrase("thanks_booked", appointment=booked))
            return self.say(self.phrase("thanks"))
        if GREETING.search(words):
            name = self.conversation.shop.first_name
            return self.say(self.phrase("greeting", name=f" {name}" if name else ""))
        return self.say(self.help())

    def ask_to_cancel(self) -> AssistantTurn:
        appointment = self.appointment_label()
        if appointment is None:
            return self.say(self.phrase("nothing_to_cancel"))
        return self.say(self.phrase("cancel_question", appointment=appointment))

    def appointment_label(self) -> str | None:
        """The customer's appointment in words: as the tools booked it here, else as the prompt names it."""
        booked = self.conversation.booked()
        if booked is not None:
            return appointment_words(booked, self.language)
        if self.conversation.results and not self.conversation.has_appointment():
            return None
        return self.conversation.shop.appointment

    def not_offered_text(self, thing: str) -> str:
        shop = self.conversation.shop
        as_written = re.search(re.escape(thing).replace(r"\ ", r"\s+"), self.text, re.IGNORECASE)
        thing = as_written.group(0) if as_written else thing  # "PPF" as the customer wrote it
        call = self.phrase("not_offered_call", phone=shop.phone) if shop.phone else ""
        return self.phrase("not_offered", thing=thing, shop=shop.name or "our shop", call=call)

    def service_in_play(self) -> dict[str, Any] | None:
        """The service the customer is talking about: named now, else in the latest slot search, else in
        the most recent message that named one."""
        named = self.named(self.words)
        if named is not None:
            return named
        _, query = self.conversation.offered()
        if isinstance(query.get("service"), str):
            return self.named(query["service"].lower())
        for text in self.conversation.customer_texts()[1:]:
            if (named := self.named(self.read(text))) is not None:
                return named
        return None

    def slot_query(self, when: When) -> dict[str, Any]:
        """The find_slots input for what the customer asked: the service, the days and the times of day."""
        query: dict[str, Any] = {}
        service = self.service_in_play()
        if service is not None:
            query["service"] = str(service["name"])
        day = when.day if when.day is not None else self.offered_day(when)
        if day is not None:
            query["date"] = day.isoformat()
        else:
            if when.span is not None:
                query["from"], query["to"] = (self.calendar.midnight(d) for d in when.span)
            if when.after_day is not None:
                query["after_date"] = when.after_day.isoformat()
            if when.before_day is not None:
                query["before_date"] = when.before_day.isoformat()
        if when.clock is not None and when.instant is None:
            query["time"] = when.clock.strftime("%H:%M")
        else:
            if when.part_of_day is not None and when.part_of_day in _PARTS:
                query["part_of_day"] = _PARTS[when.part_of_day]
            if when.after_clock is not None:
                query["after_time"] = when.after_clock.strftime("%H:%M")
            if when.before_clock is not None:
                query["before_time"] = when.before_clock.strftime("%H:%M")
        return query

    def offered_day(self, when: When) -> date | None:
        """The day a time named without a day is on: that of the offered slot at that time, or of all the
        offered slots when they are on one day ("2pm?" after a list of Monday times is Monday at 2 PM)."""
        if when.clock is None or when.names_a_day:
            return None
        offered, _ = self.conversation.offered()
        starts = [start for slot in offered if (start := start_of(slot)) is not None]
        for start in starts:
            if start.time().replace(tzinfo=None) == when.clock:
                return start.date()
        days = {start.date() for start in starts}
        return days.pop() if len(days) == 1 else None  # times of one day were offered: that day

    def find_slots(self, when: When) -> AssistantTurn:
        return self.use(ChatTool.FIND_SLOTS, self.slot_query(when), fallback=self.help())

    def choose(self, when: When, *, moving: bool) -> AssistantTurn:
        """Book (or move) at the slot the customer picked, or look for slots to pick from."""
        offered, query = self.conversation.offered()
        start = when.instant or _pick(offered, when)
        if (
            start is None
            and len(offered) == 1
            and self.intent in _BOOKS
            and not (when.names_a_time or when.names_a_day or when.ordinal is not None)
        ):
            start = str(offered[0]["start"])  # "yes", "ok that one": the one time offered
        if start is None:
            return self.find_slots(when)
        if moving:
            return self.use(ChatTool.RESCHEDULE_APPOINTMENT, {"start": start}, fallback=self.help())
        tool_input: dict[str, Any] = {"start": start}
        if service_ids := self.service_ids(query):
            tool_input["service_ids"] = service_ids
        return self.use(ChatTool.BOOK_APPOINTMENT, tool_input, fallback=self.help())

    def service_ids(self, slots_query: dict[str, Any]) -> list[str]:
        ids = slots_query.get("service_ids")
        if isinstance(ids, list) and all(isinstance(i, str) for i in ids):
            return list(ids)
        named = self.named(self.read(self.text))
        if named is None and isinstance(slots_query.get("service"), str):
            named = self.named(slots_query["service"].lower())
        return [str(named["id"])] if named is not None and "id" in named else []

    # tool results came back

    def after_tools(self) -> AssistantTurn:
        pending = self.conversation.pending_results
        replies: list[str] = []
        searched = any(use.name == ChatTool.FIND_SLOTS for use, _, _ in pending)
        for use, payload, is_error in pending:
            if is_error or (isinstance(payload, dict) and "error" in payload):
                replies.append(self.failed(use, payload))
            elif use.name == ChatTool.FIND_SLOTS and isinstance(payload, dict):
                follow_up = self.follow_up_slots(payload)
                if follow_up is not None:
                    return follow_up
                replies.append(self.slots_text(payload))
            elif use.name == ChatTool.LIST_SERVICES and isinstance(payload, dict):
                listed = [s for s in payload.get("services", []) if isinstance(s, dict)]
                asked_for = payload.get("asked_for")
                quote = asked_for if isinstance(asked_for, dict) else {}
                replies.append(self.services_text(listed, quote, ask_for_time=not searched))
            else:
                replies.append(self.result_text(use, payload))
        text = "\n\n".join(r for r in replies if r)
        if WHO.search(self.words) and searched:
            text = self.phrase("privacy") + text
        return self.say(text)

    def follow_up_slots(self, payload: dict[str, Any]) -> AssistantTurn | None:
        """When the customer asked to book a time ("book Friday 10am"), book it once it is confirmed open."""
        moving = bool(RESCHEDULE.search(self.words)) and self.conversation.has_appointment()
        if self.intent not in _BOOKS or CANCEL.search(self.words):
            return None
        when = self.when
        if not when.names_a_time and when.ordinal is None:  # "book me the earliest": the first found
            return None
        slots = [s for s in payload.get("slots", []) if isinstance(s, dict) and "start" in s]
        start = _pick(slots, when)
        if start is None:
            return None
        return self.choose(When(instant=start), moving=moving or self.conversation.has_appointment())

    def slots_text(self, payload: dict[str, Any]) -> str:
        when = self.when
        slots = [s for s in payload.get("slots", []) if isinstance(s, dict) and "start" in s]
        services = [s for s in payload.get("services", []) if isinstance(s, dict) and s.get("name")]
        service = self.phrase("for_service", name=services[0]["name"]) if len(services) == 1 else ""
        moving = self.conversation.has_appointment()
        lines = "\n".join(f"- {slot_label(slot, self.language)}" for slot in slots[:_MAX_SLOTS_SHOWN])
        pick = self.phrase("pick_move" if moving else "pick")
        requested = payload.get("requested_time")
        if isinstance(requested, dict) and slots:
            wanted = str(requested.get("time", ""))
            if requested.get("free"):
                days = {str(s["start"])[:10] for s in slots}
                if len(days) == 1:
                    key = "exact_free_move" if moving else "exact_free"
                    return self.phrase(key, label=slot_label(slots[0], self.language), service=service)
                return self.phrase("exact_days", time=wanted, service=service, lines=lines)
            reason = requested.get("reason")
            why = f" ({reason})" if isinstance(reason, str) and reason and self.language != SPANISH else ""
            return f"{self.phrase('exact_taken', time=wanted, reason=why, lines=lines)}\n{pick}"
        if not slots:
            note = payload.get("note")
            note_text = f" ({note})" if isinstance(note, str) and note and self.language != SPANISH else ""
            return self.phrase("none_open", note=note_text)
        wanted_clock = when.clock
        if wanted_clock is not None and not any(
            (t := start_of(s)) and t.time() == wanted_clock for s in slots
        ):
            clock = f"{wanted_clock.strftime('%I:%M %p').lstrip('0')} {zone_of(slots[0])}".strip()
            return f"{self.phrase('exact_taken', time=clock, reason='', lines=lines)}\n{pick}"
        return f"{self.phrase('openings', service=service, lines=lines)}\n{pick}"

    def result_text(self, use: ToolUse, payload: Any) -> str:
        data = payload if isinstance(payload, dict) else {}
        if use.name == ChatTool.BOOK_APPOINTMENT and isinstance(data.get("appointment"), dict):
            return self.phrase("booked", appointment=appointment_words(data["appointment"], self.language))
        if use.name == ChatTool.RESCHEDULE_APPOINTMENT and isinstance(data.get("appointment"), dict):
            return self.phrase("moved", appointment=appointment_words(data["appointment"], self.language))
        if use.name == ChatTool.CANCEL_APPOINTMENT:
            return self.phrase("cancelled")
        if use.name == ChatTool.HANDOFF_TO_HUMAN:
            phone = self.conversation.shop.phone
            return self.phrase("handed_off", call=self.phrase("call_us", phone=phone) if phone else "")
        return ""

    def services_text(
        self, listed: list[dict[str, Any]], quote: dict[str, Any], *, ask_for_time: bool
    ) -> str:
        """The prices (or durations) asked about: of the services named, else the one talked about or
        quoted (`quote`: list_services' `asked_for`), else every one the customer did not rule out."""
        ruled_out = {str(i) for i in quote.get("ruled_out", []) if isinstance(i, str)}
        services = [
            s
            for s in listed
            if s.get("name") and isinstance(s.get("price_cents"), int) and str(s.get("id")) not in ruled_out
        ]
        if not services:
            return self.phrase("no_prices")
        generic = self.conversation.generic_words()
        named = named_services(self.words, services, generic)
        if not named and (
            HOW_LONG.search(self.words) or HAGGLE.search(self.words) or PRICES.search(self.words)
        ):
            earlier = self.service_in_play()
            named = [s for s in services if earlier is not None and s.get("name") == earlier.get("name")]
            if not named and not GENERIC_ASK.search(self.words):
                named = [
                    s for s in services if quote.get("service_id") and s.get("id") == quote["service_id"]
                ]
        how_long = bool(HOW_LONG.search(self.words))
        priced = bool(
            PRICES.search(self.words)
            or HAGGLE.search(self.words)
            or CATALOGUE.search(self.words)
            or COMPARE.search(self.words)
        )
        if named:
            parts = []
            for service in named:
                if how_long and not priced and "duration_minutes" in service:
                    parts.append(
                        self.phrase(
                            "duration_one",
                            name=service["name"],
                            duration=duration(service["duration_minutes"], self.language),
                        )
                    )
                    continue
                about = (
                    self.phrase("about", duration=duration(service["duration_minutes"], self.language))
                    if "duration_minutes" in service
                    else ""
                )
                described = len(named) == 1 or bool(COMPARE.search(self.words))
                description = (
                    f" {service['description']}"
                    if service.get("description") and self.language != SPANISH and described
                    else ""
                )
                parts.append(
                    self.phrase(
                        "price_one",
                        name=service["name"],
                        price=dollars(service["price_cents"]),
                        description=description,
                        about=about,
                    )
                )
            text = " ".join(parts) if len(parts) > 1 else parts[0]
            if HAGGLE.search(self.words):
                return self.phrase("haggle", prices=text)
            ask = self.phrase("find_a_time" if len(named) == 1 else "find_a_time_any")
            return f"{text}\n{ask}" if ask_for_time else text
        if how_long and not priced:
            lines = "\n".join(
                self.phrase(
                    "duration_line", name=s["name"], duration=duration(s["duration_minutes"], self.language)
                )
                for s in services
                if "duration_minutes" in s
            )
            text = self.phrase("durations", lines=lines)
        else:
            # What the customer ruled out ("all windows except windshield") is not quoted to them.
            kept = not_ruled_out(self.words, services, generic) or services
            lines = "\n".join(
                self.phrase("price_line", name=s["name"], price=dollars(s["price_cents"])) for s in kept
            )
            text = self.phrase("price_list", lines=lines)
        if HAGGLE.search(self.words):
            return self.phrase("haggle", prices=text)
        return f"{text}\n{self.phrase('find_a_time_any')}" if ask_for_time else text

    def failed(self, use: ToolUse, payload: Any) -> str:
        """A tool said no: a question or an explanation, in the customer's language."""
        data = payload if isinstance(payload, dict) else {}
        reason = data.get("error") if data else payload
        reason_text = str(reason).strip() if isinstance(reason, str) else ""
        phone = data.get("shop_phone") or self.conversation.shop.phone
        if data.get("calendar_unavailable"):
            call = self.phrase("calendar_call", phone=phone) if phone else ""
            return self.phrase("calendar_down", call=call)
        if match := re.search(r"which service is it for\?.*?online:\s*(.+)$", reason_text, re.IGNORECASE):
            names = [name.strip() for name in match.group(1).split(",") if name.strip()]
            return self.phrase("which_service", options=choices_in(self.language, self.short_names(names)))
        if match := re.match(r"(.+?) can't be booked online", reason_text):
            key = "phone_only" if phone else "phone_only_plain"
            return self.phrase(key, name=match.group(1), phone=phone)
        if match := re.search(r"up to (\d+) days ahead, until (\d{4}-\d{2}-\d{2})", reason_text):
            return self.phrase("horizon", days=match.group(1), last=match.group(2))
        if "has passed" in reason_text or "already passed" in reason_text:
            return self.phrase("past")
        if "has not asked to" in reason_text and isinstance(data.get("offer"), str):
            return self.phrase("not_asked", label=data["offer"])
        if "no day is in that range" in reason_text:
            return self.phrase("no_range")
        slots = [s for s in data.get("slots", []) if isinstance(s, dict) and "start" in s]
        if use.name in (ChatTool.BOOK_APPOINTMENT, ChatTool.RESCHEDULE_APPOINTMENT):
            if slots:
                lines = "\n".join(f"- {slot_label(slot, self.language)}" for slot in slots[:_MAX_SLOTS_SHOWN])
                why = f" ({reason_text})" if reason_text and self.language != SPANISH else ""
                return self.phrase("taken", reason=why, lines=lines)
            return self.phrase("book_refused", reason=reason_text or "?")
        if use.name == ChatTool.CANCEL_APPOINTMENT:
            if reason_text.startswith("ask the customer to confirm"):
                appointment = self.appointment_label()
                if appointment is not None:
                    return self.phrase("cancel_question", appointment=appointment)
            if "no booked appointment" in reason_text:
                return self.phrase("nothing_to_cancel")
            return self.phrase("cancel_refused", reason=reason_text or "?")
        if use.name == ChatTool.LIST_SERVICES:
            return self.phrase("no_prices")
        return self.phrase("tool_refused", reason=reason_text or "?")

    def short_names(self, names: list[str]) -> list[str]:
        """'Ultimate' for 'Ultimate Tint Package': the words that tell the shop's services apart."""
        generic = self.conversation.generic_words()
        short = []
        for name in names:
            words = [w for w in name.split() if w.lower() not in generic]
            short.append(" ".join(words) if words else name)
        return short


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
