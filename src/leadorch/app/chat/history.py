"""The conversation as the assistant reads it, and as the customer's page shows it.

For the assistant: the customer's lines become user messages; the tools it asked for together (one
`step`) become an assistant message of tool_use blocks followed by a user message of their results;
its replies become assistant messages. Roles always alternate (adjacent user blocks are merged), the
history starts with a customer line, and only the recent part is sent.

For the page: the customer's lines and the replies, with the slots offered and the appointment shown,
and what the shop's staff wrote in the chat (named). The assistant reads staff replies on any channel
as its own side of the conversation ("Ana (staff): …"), so after a hand-back it knows what was said.
"""

from __future__ import annotations

from typing import Any

from leadorch.domain.conversation import (
    AssistantLine,
    Conversation,
    CustomerLine,
    Entry,
    StaffLine,
    ToolCall,
)
from leadorch.ports.assistant import ChatMessage, ContentBlock, TextBlock, ToolResult, ToolUse

# Enough for several bookings' worth of back and forth; older turns rarely matter and cost tokens.
MAX_ENTRIES = 80
INTERRUPTED = "(This answer was interrupted.)"


def model_messages(conversation: Conversation, *, max_entries: int = MAX_ENTRIES) -> list[ChatMessage]:
    """The messages to send the assistant (ends with the customer's latest words or tool results)."""
    entries = _recent(conversation.entries, max_entries)
    messages: list[tuple[str, list[ContentBlock]]] = []
    index = 0
    while index < len(entries):
        entry = entries[index]
        if isinstance(entry, CustomerLine):
            if messages and any(isinstance(block, ToolResult) for block in messages[-1][1]):
                # A reply that never came (the process stopped mid-turn): close that turn first.
                _add(messages, "assistant", [TextBlock(INTERRUPTED)])
            _add(messages, "user", [TextBlock(entry.text)])
        elif isinstance(entry, AssistantLine):
            _add(messages, "assistant", [TextBlock(entry.text)])
        elif isinstance(entry, StaffLine):
            _add(
                messages, "assistant", [TextBlock(f"{entry.staff} (staff, by {entry.channel}): {entry.text}")]
            )
        elif isinstance(entry, ToolCall):
            calls = [entry]
            while (
                index + 1 < len(entries)
                and isinstance(following := entries[index + 1], ToolCall)
                and following.step == entry.step
            ):
                calls.append(following)
                index += 1
            _add(
                messages, "assistant", [ToolUse(id=c.tool_use_id, name=c.name, input=c.input) for c in calls]
            )
            _add(
                messages,
                "user",
                [ToolResult.of(c.tool_use_id, c.result, is_error=c.is_error) for c in calls],
            )
        index += 1
    return [ChatMessage(role=role, content=blocks) for role, blocks in messages]  # type: ignore[arg-type]


def _recent(entries: tuple[Entry, ...], limit: int) -> list[Entry]:
    recent = list(entries[-limit:])
    while recent and not isinstance(recent[0], CustomerLine):
        recent.pop(0)
    return recent


def _add(messages: list[tuple[str, list[ContentBlock]]], role: str, blocks: list[ContentBlock]) -> None:
    if messages and messages[-1][0] == role:
        previous = messages[-1][1]
        messages[-1] = (role, [*previous, *blocks])
    else:
        messages.append((role, list(blocks)))


def transcript(conversation: Conversation) -> list[dict[str, Any]]:
    """What the customer's page shows: their lines and the replies, oldest first."""
    items: list[dict[str, Any]] = []
    for entry in conversation.entries:
        if isinstance(entry, CustomerLine):
            items.append({"role": "customer", "text": entry.text, "at": entry.at})
        elif isinstance(entry, AssistantLine):
            item: dict[str, Any] = {"role": "assistant", "text": entry.text, "at": entry.at}
            if entry.slots:
                item["slots"] = [dict(slot) for slot in entry.slots]
            if entry.appointment is not None:
                item["appointment"] = dict(entry.appointment)
            items.append(item)
        elif isinstance(entry, StaffLine) and entry.channel == "chat":
            items.append({"role": "assistant", "text": entry.text, "at": entry.at, "by": entry.staff})
    return items
