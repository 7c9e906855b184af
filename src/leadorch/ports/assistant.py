"""The assistant port: one turn of a tool-using language model.

The chat service owns the conversation and the tools; an `Assistant` only decides the next step: say
something, or ask for tools to be run. Keeping the turn this small lets the hosted model (Anthropic) and
the deterministic offline assistant be swapped by configuration, and keeps every side effect (booking,
prices, hand-off) inside tools that the application validates and executes itself.

The block shapes follow the Messages API on purpose (text, tool_use, tool_result), so the adapter is a
plain translation and a recorded conversation reads the same on both sides of the port.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Protocol

import msgspec

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class ToolSpec(msgspec.Struct, frozen=True):
    """A tool the assistant may ask for: its name, what it is for, and a JSON Schema for its input."""

    name: str
    description: str
    input_schema: dict[str, Any]

    def __post_init__(self) -> None:
        if not _TOOL_NAME.match(self.name):
            raise ValueError(f"tool name {self.name!r} must be 1-64 letters, digits, '_' or '-'")
        if self.input_schema.get("type") != "object":
            raise ValueError(f"tool {self.name!r}: input_schema must be a JSON Schema with type 'object'")


class TextBlock(msgspec.Struct, frozen=True, tag="text"):
    """Plain text said by the customer or the assistant."""

    text: str


class ToolUse(msgspec.Struct, frozen=True, tag="tool_use"):
    """The assistant asks for tool `name` to be run with `input`; `id` pairs it with its result."""

    id: str
    name: str
    input: dict[str, Any]


class ToolResult(msgspec.Struct, frozen=True, tag="tool_result"):
    """What a tool returned, as JSON text, answering the `ToolUse` with the same id."""

    tool_use_id: str
    content: str
    is_error: bool = False

    @classmethod
    def of(cls, tool_use_id: str, payload: object, *, is_error: bool = False) -> ToolResult:
        """A result whose content is `payload` encoded as JSON."""
        return cls(tool_use_id=tool_use_id, content=msgspec.json.encode(payload).decode(), is_error=is_error)

    def payload(self) -> Any:
        """The decoded JSON content, or the raw text when the content is not JSON."""
        try:
            return msgspec.json.decode(self.content)
        except msgspec.DecodeError:
            return self.content


ContentBlock = TextBlock | ToolUse | ToolResult


class ChatMessage(msgspec.Struct, frozen=True):
    """One turn of the conversation as the model sees it.

    Tool results travel in a `user` message, right after the `assistant` message that asked for them.
    """

    role: Literal["user", "assistant"]
    content: list[ContentBlock]

    def __post_init__(self) -> None:
        if self.role not in ("user", "assistant"):
            raise ValueError(f"message role must be 'user' or 'assistant', not {self.role!r}")
        if not self.content:
            raise ValueError(f"a {self.role} message needs at least one content block")
        if self.role == "assistant" and any(isinstance(block, ToolResult) for block in self.content):
            raise ValueError("tool results belong in a user message, not an assistant message")
        if self.role == "user" and any(isinstance(block, ToolUse) for block in self.content):
            raise ValueError("tool uses belong in an assistant message, not a user message")

    @classmethod
    def user(cls, text: str) -> ChatMessage:
        return cls(role="user", content=[TextBlock(text)])

    @property
    def text(self) -> str:
        """All text blocks of the message joined, without tool blocks."""
        return "\n".join(block.text for block in self.content if isinstance(block, TextBlock))


class SystemPrompt(msgspec.Struct, frozen=True):
    """Instructions for the model.

    `static` is the same for every conversation of a tenant (role, rules, catalogue wording) and may be
    cached by the provider; `dynamic` changes per conversation or per turn (today's date, the customer's
    name, their appointment) and is sent after it, uncached.
    """

    static: str
    dynamic: str = ""

    def __post_init__(self) -> None:
        if not self.static.strip():
            raise ValueError("the static system prompt must not be empty")


class AssistantTurn(msgspec.Struct, frozen=True):
    """What the assistant decided: text to show, and/or tools to run before it speaks again.

    `stop_reason` is `tool_use` when `tool_calls` must be answered, `end_turn` when the reply is final
    (other provider reasons, such as `max_tokens`, pass through). `usage` holds token counts.
    """

    text: str
    tool_calls: list[ToolUse]
    stop_reason: str
    usage: dict[str, int]

    @property
    def wants_tools(self) -> bool:
        return bool(self.tool_calls)


class AssistantUnavailable(Exception):
    """The assistant could not answer now (overloaded, failing, timed out or refusing our request).

    The chat service answers the customer politely and may hand the conversation to the shop.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Assistant(Protocol):
    """Decides the next turn of a conversation, given the instructions and the tools it may use."""

    async def respond(
        self, system: SystemPrompt, messages: list[ChatMessage], tools: list[ToolSpec]
    ) -> AssistantTurn: ...
