"""What the conversation already holds: the customer's words, the tools asked for and their results."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from leadorch.adapters.offline_assistant.intents import GENERIC_WORDS
from leadorch.adapters.offline_assistant.language import ENGLISH, language_of
from leadorch.ports.assistant import ChatMessage, SystemPrompt, ToolResult, ToolUse
from leadorch.ports.chat_tools import ChatTool


@dataclass(frozen=True)
class Shop:
    """What the system prompt says about the shop and this customer (lines it does not have are empty).

    Read from the prompt's own lines (`app/chat/prompt.py`): `- Name:`, `- Phone:`, `- Address:`,
    `- Opening hours:`, each service as
    `- <name> (id <id>): $<price>, about <duration>, bookable online|by phone only.`, `- First name:`
    and `Appointment: <label> - <services>, <price> (confirmed)` (or `none`)."""

    name: str = ""
    phone: str = ""
    address: str = ""
    hours: str = ""
    first_name: str = ""
    services: list[dict[str, Any]] = field(default_factory=list)
    appointment: str | None = None

    @classmethod
    def read(cls, system: SystemPrompt) -> Shop:
        text = f"{system.static}\n{system.dynamic}"

        def line(pattern: str) -> str:
            found = re.search(pattern, text, re.IGNORECASE | re.MULTILINE)
            return found.group(1).strip() if found else ""

        services = [
            {"id": m.group(2), "name": m.group(1).strip(), "bookable": m.group(3) == "bookable online"}
            for m in _PROMPT_SERVICE.finditer(text)
        ]
        appointment = line(r"^\s*appointment:\s*(.*)$")
        first_name = line(r"^\s*-\s*first name:\s*(.*)$")
        return cls(
            name=line(r"^\s*-\s*name:\s*(.*)$"),
            phone=line(r"^\s*-\s*phone:\s*(.*)$"),
            address=line(r"^\s*-\s*address:\s*(.*)$"),
            hours=line(r"^\s*-\s*opening hours:\s*(.*)$"),
            first_name="" if first_name.lower() == "unknown" else first_name,
            services=services,
            appointment=None
            if appointment.lower() in ("", "none", "no", "-", "n/a")
            else re.sub(r"\s+\(confirmed\)$", "", appointment),
        )


_PROMPT_SERVICE = re.compile(
    r"^\s*-\s*(.+?)\s+\(id\s+([^)]+)\):\s*\$[\d,.]+,\s*about\s+[^,]+,\s*(bookable online|by phone only)\.",
    re.MULTILINE,
)


class Conversation:
    """A read-only view of the messages: what was asked, offered and booked so far."""

    def __init__(self, messages: list[ChatMessage], system: SystemPrompt) -> None:
        if not messages:
            raise ValueError("the conversation has no messages; it must end with a user message")
        if messages[-1].role != "user":
            raise ValueError("the conversation must end with a user message")
        self.messages = messages
        self.system = system
        self.shop = Shop.read(system)
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

    def customer_texts(self) -> list[str]:
        """Everything the customer wrote, newest first."""
        return [m.text for m in reversed(self.messages) if m.role == "user" and m.text.strip()]

    def language(self) -> str:
        """The language of the customer's latest message that tells one (English when none does)."""
        for text in self.customer_texts():
            if (found := language_of(text)) is not None:
                return found
        return ENGLISH

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

    def known_services(self) -> list[dict[str, Any]]:
        """The services as list_services gave them, else their names and ids from the system prompt
        (for telling which one the customer means; prices are only ever quoted from list_services)."""
        return self.catalogue() or self.shop.services

    def booked(self) -> dict[str, Any] | None:
        """The appointment this conversation's tools booked or moved last (None once cancelled)."""
        for use, payload, is_error in reversed(self.results):
            if is_error or not isinstance(payload, dict) or "error" in payload:
                continue
            if use.name == ChatTool.CANCEL_APPOINTMENT:
                return None
            if use.name in (ChatTool.BOOK_APPOINTMENT, ChatTool.RESCHEDULE_APPOINTMENT):
                appointment = payload.get("appointment")
                return appointment if isinstance(appointment, dict) else None
        return None

    def generic_words(self) -> frozenset[str]:
        """The shop's words that tell none of its services apart, as list_services last gave them
        (`GENERIC_WORDS` when it gave none)."""
        for _, payload in self._successful(ChatTool.LIST_SERVICES):
            words = payload.get("generic_words")
            if isinstance(words, list) and all(isinstance(w, str) for w in words):
                return frozenset(w.lower() for w in words)
            break
        return GENERIC_WORDS

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
        return self.shop.appointment is not None

    def next_tool_use_id(self, offset: int = 0) -> str:
        """A tool-use id no earlier call has (`offset`: how many this turn already asked for)."""
        return f"toolu_offline_{len(self.tool_uses) + 1 + offset:04d}"
