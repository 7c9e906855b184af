"""A deterministic assistant that needs no network: the embedded default, the demo and the tests.

It reads plain requests ("prices?", "anything Friday afternoon?", "book 10am", "move it to Saturday",
"cancel", "call me") and answers only by asking for the tools it was given, then words a reply from what
those tools return. It never invents a price, a time or a booking: every fact in its replies comes from a
tool result, and every tool input is built from a fixed set of keys (a date, a slot start, a service),
so nothing a customer types can reach a price.

It understands these lines in the system prompt's dynamic part (any order, other lines are ignored):
`Today: 2026-11-25 (Wednesday)` or `Now: 2026-11-25T09:30:00-08:00` to resolve "Friday" and "tomorrow";
`Time zone: America/Los_Angeles` to give date ranges an offset; `Appointment: <anything but none>` when
the customer already has a booking, so that choosing a new time moves it rather than booking another.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadorch.ports.assistant import (
    AssistantTurn,
    ChatMessage,
    SystemPrompt,
    ToolResult,
    ToolSpec,
    ToolUse,
)
from leadorch.ports.chat_tools import ChatTool

_NO_USAGE: dict[str, int] = {"input_tokens": 0, "output_tokens": 0}
_MAX_SLOTS_SHOWN = 6


# --- what the customer asked for -------------------------------------------------------------------


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE)


_HANDOFF = _any(
    r"\b(talk|speak)\s+(to|with)\b",
    r"\breal\s+(person|human)\b",
    r"\bhuman\b",
    r"\b(call|phone|ring)\s+me\b",
    r"\bgive\s+me\s+a\s+(call|ring)\b",
    r"\brepresentative\b",
)
# Requests to change prices or the assistant's rules are answered in words, never with a tool.
_OUT_OF_BOUNDS = _any(
    r"\bdiscount",
    r"\bcoupon",
    r"\bpromo",
    r"\d+\s*%",
    r"\bpercent\b",
    r"\bhalf\s+off\b",
    r"\bfor\s+free\b",
    r"\b(set|change|lower|make)\s+the\s+(price|cost)\b",
    r"\bignore\s+(all\s+|any\s+)?(your|previous|prior|the|above)\b",
    r"\bsystem\s+prompt\b",
    r"\byou\s+are\s+now\b",
    r"\bnew\s+instructions\b",
)
_CANCEL = _any(r"\bcancel")
_RESCHEDULE = _any(
    r"\bre-?schedul",
    r"\b(move|push|shift)\b",
    r"\b(change|switch)\b[^.?!]*\b(appointment|booking|time|day|date)\b",
)
_BOOK = _any(
    r"\bbook",
    r"\breserve\b",
    r"\bi'?ll\s+take\b",
    r"\bsign\s+me\s+up\b",
    r"\bput\s+me\s+(down|in)\b",
    r"\bworks\s+for\s+me\b",
    r"\blet'?s\s+do\b",
)
_PRICES = _any(
    r"\bprices?\b",
    r"\bpricing\b",
    r"\bcosts?\b",
    r"\bhow\s+much\b",
    r"\bquote\b",
    r"\bcharge\b",
    r"\brates?\b",
    r"\$",
)
_SLOTS = _any(
    r"\btimes?\b",
    r"\bslots?\b",
    r"\bavailab",
    r"\bopenings?\b",
    r"\bopen\b",
    r"\bfree\b",
    r"\bwhen\b",
    r"\bappointments?\b",
    r"\bcome\s+in\b",
    r"\bdrop\s+(it\s+)?off\b",
    r"\bschedule\b",
    r"\banything\b",
)
_CATALOGUE = _any(r"\bpackages?\b", r"\bservices\b", r"\boffer\b", r"\boptions\b", r"\bmenu\b")
_YES = _any(r"^\s*(yes|yeah|yep|yup|sure|ok|okay|please|sounds\s+good|definitely|absolutely)\b")


@dataclass(frozen=True)
class _Calendar:
    """Today's date and the shop's zone, as told by the system prompt."""

    today: date | None
    zone: tzinfo | None

    @classmethod
    def read(cls, dynamic: str) -> _Calendar:
        today: date | None = None
        zone: tzinfo | None = None
        if now := re.search(r"^\s*now:\s*(\S+)", dynamic, re.IGNORECASE | re.MULTILINE):
            try:
                instant = datetime.fromisoformat(now.group(1).replace("Z", "+00:00"))
            except ValueError:
                instant = None
            if instant is not None:
                today, zone = instant.date(), instant.tzinfo
        if day := re.search(r"^\s*today:\s*(\d{4}-\d{2}-\d{2})", dynamic, re.IGNORECASE | re.MULTILINE):
            today = date.fromisoformat(day.group(1))
        if name := re.search(r"^\s*time\s?zone:\s*(\S+)", dynamic, re.IGNORECASE | re.MULTILINE):
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                zone = ZoneInfo(name.group(1))
        return cls(today=today, zone=zone)

    def midnight(self, day: date) -> str:
        return datetime.combine(day, time(0), tzinfo=self.zone).isoformat()


_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6,
}  # fmt: skip
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
_ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
    "fifth": 4, "5th": 4, "sixth": 5, "6th": 5, "last": -1, "earliest": 0,
}  # fmt: skip
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", re.I)
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_DAY = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.I
)
_SLASH_DAY = re.compile(r"\b(\d{1,2})/(\d{1,2})\b")
_WEEKDAY = re.compile(r"\b(next\s+)?(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b", re.I)
_CLOCK = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<m>[0-5]\d))?\s*(?P<ampm>[ap])\.?\s?m\b\.?"
    r"|\b(?P<h2>\d{1,2}):(?P<m2>[0-5]\d)\b"
    r"|\bat\s+(?P<h3>\d{1,2})\b(?!\s*[%/:$])"
    r"|\b(?P<noon>noon|midday)\b",
    re.I,
)
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\b|(?:\boption|\bnumber|#)\s*(\d)\b", re.I)
_PARTS_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24), "tonight": (17, 24)}


@dataclass(frozen=True)
class _When:
    """The time words of one message."""

    day: date | None = None
    span: tuple[date, date] | None = None
    clock: time | None = None
    part_of_day: tuple[int, int] | None = None
    instant: str | None = None
    ordinal: int | None = None

    @property
    def names_a_time(self) -> bool:
        return self.instant is not None or self.clock is not None

    @property
    def names_a_day(self) -> bool:
        return self.day is not None or self.span is not None or self.instant is not None


def _read_when(text: str, calendar: _Calendar) -> _When:
    found: dict[str, Any] = {}
    rest = text
    if match := _INSTANT.search(rest):
        try:
            moment = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
            # Written out again with seconds: the tools take RFC 3339 date-times, "10:00" is not one.
            found["day"], found["instant"] = moment.date(), moment.isoformat()
        except ValueError:
            pass
        rest = rest.replace(match.group(0), " ")
    if "day" not in found and (match := _ISO_DAY.search(rest)):
        with contextlib.suppress(ValueError):
            found["day"] = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        rest = rest.replace(match.group(0), " ")
    if "day" not in found and (match := _MONTH_DAY.search(rest)):
        found["day"] = _this_coming(calendar.today, _MONTHS[match.group(1).lower()], int(match.group(2)))
        rest = rest.replace(match.group(0), " ")
    if "day" not in found and (match := _SLASH_DAY.search(rest)):
        found["day"] = _this_coming(calendar.today, int(match.group(1)), int(match.group(2)))
        rest = rest.replace(match.group(0), " ")
    if "day" not in found and calendar.today is not None:
        found.update(_relative_day(rest, calendar.today))
    if found.get("day") is None:
        found.pop("day", None)
    lowered = rest.lower()
    for word, hours in _PARTS_OF_DAY.items():
        if word in lowered:
            found["part_of_day"] = hours
    if "instant" not in found and (match := _CLOCK.search(rest)):
        found["clock"] = _clock_of(match)
    if match := _ORDINAL.search(rest):
        found["ordinal"] = _ORDINALS[match.group(1).lower()] if match.group(1) else int(match.group(2)) - 1
    return _When(**found)


def _relative_day(text: str, today: date) -> dict[str, Any]:
    lowered = text.lower()
    if "day after tomorrow" in lowered:
        return {"day": today + timedelta(days=2)}
    if re.search(r"\btomorrow\b", lowered):
        return {"day": today + timedelta(days=1)}
    if re.search(r"\b(today|tonight)\b", lowered):
        return {"day": today}
    next_monday = today + timedelta(days=7 - today.weekday())
    if re.search(r"\bnext\s+week\b", lowered):
        return {"span": (next_monday, next_monday + timedelta(days=7))}
    if re.search(r"\bweekend\b", lowered):
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        return {"span": (saturday, saturday + timedelta(days=2))}
    if re.search(r"\bthis\s+week\b", lowered):
        return {"span": (today, next_monday)}
    if match := _WEEKDAY.search(text):
        ahead = (_WEEKDAYS[match.group(2).lower()] - today.weekday()) % 7
        if match.group(1) and ahead == 0:
            ahead = 7
        return {"day": today + timedelta(days=ahead)}
    return {}


def _this_coming(today: date | None, month: int, day: int) -> date | None:
    """The next date with this month and day, counting from today (this year when today is unknown)."""
    if today is None:
        return None
    try:
        candidate = date(today.year, month, day)
        if candidate < today - timedelta(days=30):
            candidate = date(today.year + 1, month, day)
    except ValueError:
        return None
    return candidate


def _clock_of(match: re.Match[str]) -> time | None:
    if match.group("noon"):
        return time(12, 0)
    hour_text = match.group("h") or match.group("h2") or match.group("h3")
    minute_text = match.group("m") or match.group("m2") or "0"
    hour, minute = int(hour_text), int(minute_text)
    if ampm := match.group("ampm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    elif 1 <= hour <= 6:  # "at 3" during shop hours means the afternoon
        hour += 12
    return time(hour, minute) if hour < 24 else None


# --- what the conversation already holds -----------------------------------------------------------


class _Conversation:
    """A read-only view of the messages: what was asked, offered and booked so far."""

    def __init__(self, messages: list[ChatMessage], system: SystemPrompt) -> None:
        if not messages:
            raise ValueError("the conversation has no messages; it must end with a user message")
        if messages[-1].role != "user":
            raise ValueError("the conversation must end with a user message")
        self.messages = messages
        self.system = system
        self.tool_uses: dict[str, ToolUse] = {}
        self.results: list[tuple[ToolUse, Any, bool]] = []
        for message in messages:
            for block in message.content:
                if isinstance(block, ToolUse):
                    self.tool_uses[block.id] = block
                elif isinstance(block, ToolResult):
                    use = self.tool_uses.get(block.tool_use_id)
                    if use is None:
                        raise ValueError(f"tool result {block.tool_use_id!r} answers no earlier tool use")
                    self.results.append((use, block.payload(), block.is_error))

    @property
    def pending_results(self) -> list[tuple[ToolUse, Any, bool]]:
        """The tool results in the last message, if it answers tool uses."""
        answered = {b.tool_use_id for b in self.messages[-1].content if isinstance(b, ToolResult)}
        return [result for result in self.results if result[0].id in answered]

    def customer_text(self) -> str:
        """The customer's latest words (the message that started the current exchange)."""
        for message in reversed(self.messages):
            if message.role == "user" and message.text.strip():
                return message.text
        return ""

    def last_assistant_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "assistant" and message.text.strip():
                return message.text
        return ""

    def _successful(self, name: str) -> Iterator[tuple[ToolUse, dict[str, Any]]]:
        for use, payload, is_error in reversed(self.results):
            if use.name == name and not is_error and isinstance(payload, dict) and "error" not in payload:
                yield use, payload

    def catalogue(self) -> list[dict[str, Any]]:
        for _, payload in self._successful(ChatTool.LIST_SERVICES):
            return [s for s in payload.get("services", []) if isinstance(s, dict)]
        return []

    def offered(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The slots most recently offered, and the find_slots input that produced them."""
        for use, payload in self._successful(ChatTool.FIND_SLOTS):
            slots = [s for s in payload.get("slots", []) if isinstance(s, dict) and "start" in s]
            return slots, use.input
        return [], {}

    def has_appointment(self) -> bool:
        for use, payload, is_error in reversed(self.results):
            if is_error or not isinstance(payload, dict) or "error" in payload:
                continue
            if use.name == ChatTool.CANCEL_APPOINTMENT:
                return False
            if use.name in (ChatTool.BOOK_APPOINTMENT, ChatTool.RESCHEDULE_APPOINTMENT):
                status = (payload.get("appointment") or {}).get("status", "booked")
                return status not in ("cancelled", "canceled")
        line = re.search(r"^\s*appointment:\s*(.*)$", self.system.dynamic, re.IGNORECASE | re.MULTILINE)
        if line is None:
            return False
        return line.group(1).strip().lower() not in ("", "none", "no", "-", "n/a")

    def next_tool_use_id(self) -> str:
        return f"toolu_offline_{len(self.tool_uses) + 1:04d}"


def _named_service(text: str, catalogue: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The catalogue service the customer named, by full name or by a distinctive word of it."""
    lowered = text.lower()
    generic = {"the", "a", "and", "of", "with", "for", "package", "tint", "tinting", "window", "windows",
               "film", "service", "install", "installation"}  # fmt: skip
    best: tuple[int, dict[str, Any]] | None = None
    for service in catalogue:
        name = str(service.get("name", ""))
        if name and name.lower() in lowered:
            return service
        words = {w for w in re.findall(r"[a-z0-9]+", name.lower()) if w not in generic and len(w) > 2}
        score = sum(1 for w in words if re.search(rf"\b{re.escape(w)}\b", lowered))
        if score and (best is None or score > best[0]):
            best = (score, service)
    return best[1] if best else None


# --- how replies are worded ------------------------------------------------------------------------


def _dollars(cents: Any) -> str:
    cents = int(cents)
    return f"${cents // 100:,}" if cents % 100 == 0 else f"${cents / 100:,.2f}"


def _duration(minutes: Any) -> str:
    minutes = int(minutes)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minutes"
    hours_text = f"{hours} hour" + ("s" if hours > 1 else "")
    return hours_text if not rest else f"{hours_text} {rest} minutes"


def _label(start: str) -> str:
    """'Fri Nov 27, 10:00 AM' in the slot's own (shop) time."""
    try:
        moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        return start
    hour = moment.hour % 12 or 12
    return f"{moment:%a %b} {moment.day}, {hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def _slot_label(slot: dict[str, Any]) -> str:
    return str(slot.get("label") or _label(str(slot.get("start", ""))))


def _start_of(slot: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(slot["start"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None


def _appointment_words(appointment: dict[str, Any]) -> str:
    when = appointment.get("label") or _label(str(appointment.get("start", "")))
    services = [s.get("name", "") if isinstance(s, dict) else str(s) for s in appointment.get("services", [])]
    details = ", ".join(s for s in services if s)
    if "price_cents" in appointment:
        details = (
            f"{details}, {_dollars(appointment['price_cents'])}"
            if details
            else _dollars(appointment["price_cents"])
        )
    return f"{when} ({details})" if details else str(when)


_HELP = (
    'I can tell you our prices and find you an appointment time. Try "how much is it?" or '
    '"what times do you have Friday?" - or say "talk to someone" to reach the shop.'
)
_OUT_OF_BOUNDS_REPLY = (
    "I can't change prices or special terms here: our prices are the shop's listed prices. I'm happy to "
    'show you the prices or find you a time, or say "talk to someone" and I\'ll ask the team.'
)


# --- the assistant ---------------------------------------------------------------------------------


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
        conversation = _Conversation(messages, system)
        turn = _Turn(conversation, _Calendar.read(system.dynamic), {tool.name for tool in tools})
        if conversation.pending_results:
            return turn.after_tools()
        return turn.answer(conversation.customer_text())


class _Turn:
    """One decision: the conversation so far, the calendar, and which tools may be used."""

    def __init__(self, conversation: _Conversation, calendar: _Calendar, tools: set[str]) -> None:
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
        when = _read_when(text, self.calendar)
        if _HANDOFF.search(text):
            return self.use(ChatTool.HANDOFF_TO_HUMAN, {"question": text.strip()}, fallback=_HELP)
        if _OUT_OF_BOUNDS.search(text):
            return self.say(_OUT_OF_BOUNDS_REPLY)
        if _CANCEL.search(text):
            return self.use(ChatTool.CANCEL_APPOINTMENT, {}, fallback="Please call the shop to cancel.")
        if _RESCHEDULE.search(text):
            return self.choose(when, moving=True)
        offered, _ = self.conversation.offered()
        picks_offered = bool(offered) and "?" not in text and (when.names_a_time or when.ordinal is not None)
        if _BOOK.search(text) or when.instant or picks_offered:
            return self.choose(when, moving=self.conversation.has_appointment())
        if _PRICES.search(text):
            return self.use(ChatTool.LIST_SERVICES, {}, fallback=_HELP)
        if _SLOTS.search(text) or when.names_a_day or when.part_of_day:
            return self.find_slots(when, text)
        if _CATALOGUE.search(text):
            return self.use(ChatTool.LIST_SERVICES, {}, fallback=_HELP)
        if _YES.search(text) and "time" in self.conversation.last_assistant_text().lower():
            return self.find_slots(when, text)
        return self.say(_HELP)

    def find_slots(self, when: _When, text: str) -> AssistantTurn:
        tool_input: dict[str, Any] = {}
        service = _named_service(text, self.conversation.catalogue())
        if service is not None:
            tool_input["service"] = str(service["name"])
        if when.day is not None:
            tool_input["date"] = when.day.isoformat()
        elif when.span is not None:
            tool_input["from"], tool_input["to"] = (self.calendar.midnight(d) for d in when.span)
        return self.use(ChatTool.FIND_SLOTS, tool_input, fallback="Please call the shop to find a time.")

    def choose(self, when: _When, *, moving: bool) -> AssistantTurn:
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
        named = _named_service(self.conversation.customer_text(), catalogue)
        if named is None and isinstance(slots_query.get("service"), str):
            named = _named_service(slots_query["service"], catalogue)
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
        moving = bool(_RESCHEDULE.search(text))
        if not (moving or _BOOK.search(text)) or _CANCEL.search(text) or _OUT_OF_BOUNDS.search(text):
            return None
        when = _read_when(text, self.calendar)
        if not when.names_a_time:
            return None
        slots = [s for s in payload.get("slots", []) if isinstance(s, dict) and "start" in s]
        start = _pick(slots, when)
        if start is None:
            return None
        return self.choose(_When(instant=start), moving=moving or self.conversation.has_appointment())

    def slots_text(self, payload: dict[str, Any]) -> str:
        when = _read_when(self.conversation.customer_text(), self.calendar)
        slots = [s for s in payload.get("slots", []) if isinstance(s, dict) and "start" in s]
        if when.part_of_day is not None:
            low, high = when.part_of_day
            slots = [s for s in slots if (t := _start_of(s)) is not None and low <= t.hour < high]
        if not slots:
            return "I don't see any openings for that. Would you like me to check another day?"
        lines = "\n".join(f"- {_slot_label(slot)}" for slot in slots[:_MAX_SLOTS_SHOWN])
        wanted = when.clock
        missed = ""
        if wanted is not None and not any((t := _start_of(s)) and t.time() == wanted for s in slots):
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
            return f"You're booked for {_appointment_words(data['appointment'])}. See you then!"
        if use.name == ChatTool.RESCHEDULE_APPOINTMENT and isinstance(data.get("appointment"), dict):
            return f"Done - your appointment is now {_appointment_words(data['appointment'])}."
        if use.name == ChatTool.CANCEL_APPOINTMENT:
            return "Your appointment is cancelled. If you'd like to pick a new time, just ask."
        if use.name == ChatTool.HANDOFF_TO_HUMAN:
            return "Thanks - I've passed this to the team, and someone will get back to you shortly."
        return "Done."

    def services_text(self, listed: list[dict[str, Any]]) -> str:
        services = [s for s in listed if s.get("name") and isinstance(s.get("price_cents"), int)]
        if not services:
            return "I couldn't find prices right now. Would you like me to ask the team?"
        named = _named_service(self.conversation.customer_text(), services)
        if named is not None:
            about = (
                f" It takes about {_duration(named['duration_minutes'])}."
                if "duration_minutes" in named
                else ""
            )
            description = f" {named['description']}" if named.get("description") else ""
            return (
                f"The {named['name']} is {_dollars(named['price_cents'])}.{description}{about}\n"
                "Would you like me to find a time for it?"
            )
        lines = "\n".join(f"- {s['name']}: {_dollars(s['price_cents'])}" for s in services if "name" in s)
        return f"Here are our prices:\n{lines}\nWould you like me to find a time?"

    def failed(self, use: ToolUse, payload: Any) -> str:
        reason = payload.get("error") if isinstance(payload, dict) else payload
        reason_text = f" ({reason})" if isinstance(reason, str) and reason.strip() else ""
        if use.name in (ChatTool.BOOK_APPOINTMENT, ChatTool.RESCHEDULE_APPOINTMENT):
            return f"Sorry, I couldn't book that time{reason_text}. Would you like me to look for another?"
        if use.name == ChatTool.CANCEL_APPOINTMENT:
            return f'Sorry, I couldn\'t cancel{reason_text}. Say "talk to someone" and the shop will help.'
        return f"Sorry, something went wrong on my side{reason_text}. Could you try again?"


def _pick(slots: list[dict[str, Any]], when: _When) -> str | None:
    """The start of the offered slot the customer means, by position or by day and time."""
    if not slots:
        return None
    if when.ordinal is not None and not when.names_a_time:
        index = when.ordinal
        return str(slots[index]["start"]) if -len(slots) <= index < len(slots) else None
    if when.clock is None:
        return None
    for slot in slots:
        start = _start_of(slot)
        if start is None or start.time().replace(tzinfo=None) != when.clock:
            continue
        if when.day is not None and start.date() != when.day:
            continue
        return str(slot["start"])
    return None
