"""What the conversation already holds: the customer's words, the tools asked for and their results."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from leadorch.adapters.offline_assistant.intents import GENERIC_WORDS
from leadorch.ports.assistant import ChatMessage, SystemPrompt, ToolResult, ToolUse
from leadorch.ports.chat_tools import ChatTool


class Conversation:
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
        line = re.search(r"^\s*appointment:\s*(.*)$", self.system.dynamic, re.IGNORECASE | re.MULTILINE)
        if line is None:
            return False
        return line.group(1).strip().lower() not in ("", "none", "no", "-", "n/a")

    def next_tool_use_id(self) -> str:
        return f"toolu_offline_{len(self.tool_uses) + 1:04d}"
