"""The assistant port over Anthropic's Messages API, through the official `anthropic` SDK.

A plain translation: our blocks become Messages API blocks, the reply's text and tool_use blocks become
an `AssistantTurn`. The static system prompt is marked cacheable so that, with the tools before it, the
long fixed prefix of every request is served from Anthropic's prompt cache. The SDK retries overload,
rate-limit, 5xx and timeout failures itself (with backoff, honouring `retry-after`); whatever still fails
becomes `AssistantUnavailable`, which the chat service turns into a polite answer.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import weakref
from types import ModuleType
from typing import TYPE_CHECKING, Any

from leadorch.ports.assistant import (
    AssistantTurn,
    AssistantUnavailable,
    ChatMessage,
    ContentBlock,
    SystemPrompt,
    TextBlock,
    ToolResult,
    ToolSpec,
    ToolUse,
)

if TYPE_CHECKING:
    import anthropic

log = logging.getLogger(__name__)


def _sdk() -> ModuleType:
    """The `anthropic` SDK, imported on first use: it takes seconds to import, and deployments that run
    the offline assistant should not pay for it at start-up."""
    return importlib.import_module("anthropic")


_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


class AnthropicAssistant:
    """An `Assistant` backed by a Claude model."""

    def __init__(
        self,
        api_key: str,
        *,
        model: str,
        max_tokens: int = 1024,
        timeout: float = 30,
        max_retries: int = 3,
        base_url: str | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("AnthropicAssistant needs an API key; api_key is empty")
        if not model or not model.strip():
            raise ValueError("AnthropicAssistant needs a model name; model is empty")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, not {max_tokens}")
        if timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
        self.model = model
        self.max_tokens = max_tokens
        self._api_key = api_key
        self._timeout = timeout
        self._max_retries = max_retries
        self._base_url = base_url
        self._anthropic = _sdk()
        # An async HTTP connection pool belongs to the event loop that opened it; the web app runs one
        # loop, but workers and tests may run a fresh loop per job, so each loop gets its own client.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anthropic.AsyncAnthropic] = (
            weakref.WeakKeyDictionary()
        )

    def _client(self) -> anthropic.AsyncAnthropic:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._anthropic.AsyncAnthropic(
                api_key=self._api_key,
                base_url=self._base_url,
                timeout=self._timeout,
                max_retries=self._max_retries,
            )
            self._clients[loop] = client
        return client

    async def respond(
        self, system: SystemPrompt, messages: list[ChatMessage], tools: list[ToolSpec]
    ) -> AssistantTurn:
        if not messages:
            raise ValueError("cannot ask the assistant to respond to an empty conversation")
        request: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": system_blocks(system),
            "messages": [message_param(message) for message in messages],
        }
        if tools:
            request["tools"] = [tool_param(tool) for tool in tools]
        sdk = self._anthropic
        try:
            reply = await self._client().messages.create(**request)
        except sdk.APITimeoutError as error:
            raise AssistantUnavailable(
                f"the assistant did not answer within {self._timeout:g}s (after {self._max_retries} retries)"
            ) from error
        except sdk.APIConnectionError as error:
            raise AssistantUnavailable(f"cannot reach the assistant API: {error.message}") from error
        except sdk.APIStatusError as error:
            raise AssistantUnavailable(self._status_reason(error)) from error
        except sdk.APIResponseValidationError as error:
            raise AssistantUnavailable(
                f"the assistant API sent an unreadable reply: {error.message}"
            ) from error
        return turn_from(reply)

    def _status_reason(self, error: anthropic.APIStatusError) -> str:
        kind = error.type or "error"
        detail = error.api_message or error.message
        if error.status_code >= 500 or error.status_code in (408, 409, 429):
            return (
                f"the assistant API is failing ({error.status_code} {kind}: {detail}) "
                f"after {self._max_retries} retries"
            )
        # 4xx: our request or our key is wrong; retrying will not help, so it must be seen in the logs.
        log.error("Anthropic refused the request: %s %s: %s", error.status_code, kind, detail)
        return f"the assistant API refused the request ({error.status_code} {kind}: {detail})"

    async def __aenter__(self) -> AnthropicAssistant:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client of the running event loop."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()


def system_blocks(system: SystemPrompt) -> list[dict[str, Any]]:
    """The static part first, marked as the end of the cacheable prefix; the dynamic part after it."""
    blocks: list[dict[str, Any]] = [
        {"type": "text", "text": system.static, "cache_control": {"type": "ephemeral"}}
    ]
    if system.dynamic.strip():  # the API rejects empty text blocks
        blocks.append({"type": "text", "text": system.dynamic})
    return blocks


def message_param(message: ChatMessage) -> dict[str, Any]:
    return {"role": message.role, "content": [block_param(block) for block in message.content]}


def block_param(block: ContentBlock) -> dict[str, Any]:
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text}
    if isinstance(block, ToolUse):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if isinstance(block, ToolResult):
        return {
            "type": "tool_result",
            "tool_use_id": block.tool_use_id,
            "content": block.content,
            "is_error": block.is_error,
        }
    raise TypeError(f"cannot send a {type(block).__name__} block to the assistant")


def tool_param(tool: ToolSpec) -> dict[str, Any]:
    return {"name": tool.name, "description": tool.description, "input_schema": tool.input_schema}


def turn_from(reply: Any) -> AssistantTurn:
    """Our turn from the SDK's `Message`: its text joined, its tool_use blocks, its stop reason and usage."""
    texts: list[str] = []
    calls: list[ToolUse] = []
    for block in reply.content:
        if block.type == "text":
            texts.append(block.text)
        elif block.type == "tool_use":
            # As the model sent it: a malformed input (not an object) is the tool runner's to refuse,
            # as an error the model can correct, not a failure of this turn.
            calls.append(ToolUse(id=block.id, name=block.name, input=block.input))
    usage = {
        field: value for field in _USAGE_FIELDS if isinstance(value := getattr(reply.usage, field, None), int)
    }
    stop_reason = reply.stop_reason or ("tool_use" if calls else "end_turn")
    return AssistantTurn(
        text="\n\n".join(t for t in texts if t), tool_calls=calls, stop_reason=stop_reason, usage=usage
    )
