"""Which assistant the chat talks to, and the event loop its (asynchronous) calls run on.

`ANTHROPIC_API_KEY` set: Claude through the Anthropic adapter (model and base URL from settings).
Not set (the embedded default): the deterministic offline assistant, which answers through the same
tools, so the same booking path runs with no network.

The chat service is synchronous (the event store and the database are), so assistant calls are
submitted to one event loop on a daemon thread per container, where the adapter's HTTP connection pool
lives for the life of the process, and waited for with a deadline.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from typing import Any

from leadorch.adapters.offline_assistant import OfflineAssistant
from leadorch.ports.assistant import (
    Assistant,
    AssistantTurn,
    AssistantUnavailable,
    ChatMessage,
    SystemPrompt,
    ToolSpec,
)

# The adapter's own timeout and retries end well before this; it only fires if something hangs.
TURN_DEADLINE_SECONDS = 90.0
ANTHROPIC_MAX_RETRIES = 2


class AssistantLoop:
    """An asyncio loop on a daemon thread that runs every assistant call of the container."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="leadorch-assistant", daemon=True)
        self._thread.start()

    def respond(
        self,
        assistant: Assistant,
        system: SystemPrompt,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        *,
        deadline: float = TURN_DEADLINE_SECONDS,
    ) -> AssistantTurn:
        """The assistant's next turn, or `AssistantUnavailable` if it fails or misses the deadline."""
        future = asyncio.run_coroutine_threadsafe(assistant.respond(system, messages, tools), self._loop)
        try:
            return future.result(timeout=deadline)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise AssistantUnavailable(f"the assistant did not answer within {deadline:g}s") from None

    def close(self, assistant: Any = None) -> None:
        closer = getattr(assistant, "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):  # closing is best effort at shutdown
                asyncio.run_coroutine_threadsafe(closer(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()


def build_assistant(settings: Any) -> Assistant:
    """The assistant the settings ask for."""
    if settings.anthropic_api_key:
        from leadorch.adapters.anthropic import AnthropicAssistant

        return AnthropicAssistant(
            settings.anthropic_api_key,
            model=settings.anthropic_model,
            base_url=settings.anthropic_base_url,
            timeout=settings.anthropic_timeout_seconds,
            max_tokens=settings.anthropic_max_tokens,
            max_retries=ANTHROPIC_MAX_RETRIES,
        )
    return OfflineAssistant()
