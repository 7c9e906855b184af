"""Running the chat tools directly, and a scripted model, for the tool-layer tests.

`tools_for` builds the `ToolRunner` a chat turn would build for the world's lead (`said`: what the
customer wrote, newest first); `ScriptedAssistant` is a fake of our `Assistant` port that answers each
request with the next scripted step, so a test says exactly what the model asks for.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any
from uuid import UUID

from leadorch.app.chat.tool_runner import ChatContext, ToolRunner
from leadorch.ports.assistant import AssistantTurn, ChatMessage, SystemPrompt, ToolSpec, ToolUse
from tests.support.chat_world import LOCATION, ChatWorld

Step = AssistantTurn | Exception | Callable[[list[ChatMessage]], AssistantTurn]


def tools_for(world: ChatWorld, lead_id: str | None = None, said: tuple[str, ...] = ()) -> ToolRunner:
    config = world.container.config
    lead = world.lead(lead_id)
    context = ChatContext(
        container=world.container,
        tenant_id=world.tenant_id,
        lead_id=UUID(str(lead.id)),
        location=config.location(world.tenant_id, LOCATION),
        catalog=config.catalog(world.tenant_id, LOCATION),
        requested=tuple(lead.services),
        customer_texts=said,
        generic_words=frozenset(config.tenant(world.tenant_id).catalog_generic_words),
    )
    return ToolRunner(context, world.container.booking)


def error_of(result: dict[str, Any]) -> str:
    assert set(result) >= {"error"}, result
    return str(result["error"])


class ScriptedAssistant:
    """Plays the model: answers each request with the next scripted step, and remembers what it saw."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.seen: list[tuple[SystemPrompt, list[ChatMessage], list[ToolSpec]]] = []

    async def respond(
        self, system: SystemPrompt, messages: list[ChatMessage], tools: list[ToolSpec]
    ) -> AssistantTurn:
        self.seen.append((system, list(messages), list(tools)))
        step = self.steps.pop(0) if self.steps else say("Anything else?")
        if isinstance(step, Exception):
            raise step
        if callable(step):
            return step(messages)
        return step


def say(text: str) -> AssistantTurn:
    return AssistantTurn(text=text, tool_calls=[], stop_reason="end_turn", usage={})


_calls = itertools.count(1)


def use(name: str, tool_input: Any, text: str = "") -> AssistantTurn:
    """The model asks for tool `name` with `tool_input` as it sent it (any JSON value, even malformed)."""
    call = ToolUse(id=f"toolu_t16_{next(_calls):06d}", name=name, input=tool_input)
    return AssistantTurn(text=text, tool_calls=[call], stop_reason="tool_use", usage={})


def script(world: ChatWorld, *steps: Step) -> ScriptedAssistant:
    assistant = ScriptedAssistant(*steps)
    world.container.assistant = assistant
    return assistant
