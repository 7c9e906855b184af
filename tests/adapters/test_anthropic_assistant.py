"""The Anthropic adapter, through the official SDK, against the Messages API stand-in on a real socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from leadorch.adapters.anthropic import AnthropicAssistant
from leadorch.adapters.standins.anthropic import FakeMessagesApi
from leadorch.adapters.standins.server import RunningServer, free_port, serve_in_thread
from leadorch.app.chat.tools import TOOL_SPECS
from leadorch.ports.assistant import (
    AssistantUnavailable,
    ChatMessage,
    SystemPrompt,
    TextBlock,
    ToolResult,
    ToolUse,
)

pytestmark = pytest.mark.anyio

MODEL = "claude-haiku-4-5"
SYSTEM = SystemPrompt(
    static="You are the booking assistant of Sunset Tint. Only quote prices from list_services.",
    dynamic="Today: 2026-11-25 (Wednesday)\nCustomer: Dana",
)


@pytest.fixture(scope="module")
def api() -> FakeMessagesApi:
    return FakeMessagesApi()


@pytest.fixture(scope="module")
def server(api: FakeMessagesApi) -> Iterator[RunningServer]:
    running = serve_in_thread(api)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fresh(api: FakeMessagesApi) -> None:
    api.reset()


@pytest.fixture
async def assistant(api: FakeMessagesApi, server: RunningServer) -> AsyncIterator[AnthropicAssistant]:
    async with AnthropicAssistant(api.api_key, model=MODEL, max_tokens=512, base_url=server.url) as client:
        yield client


async def test_the_request_carries_model_cacheable_static_system_tools_and_messages(
    assistant: AnthropicAssistant, api: FakeMessagesApi
) -> None:
    api.reply_with_text("Hello Dana!")
    await assistant.respond(SYSTEM, [ChatMessage.user("hi")], TOOL_SPECS)

    [request] = api.message_requests
    assert request.status == 200
    assert request.headers["anthropic-version"]
    assert request.headers.get("x-api-key") == api.api_key or request.headers.get("authorization") == (
        f"Bearer {api.api_key}"
    )
    body = request.body
    assert body["model"] == MODEL
    assert body["max_tokens"] == 512
    assert body["system"] == [
        {"type": "text", "text": SYSTEM.static, "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": SYSTEM.dynamic},
    ]
    assert body["tools"] == [
        {"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in TOOL_SPECS
    ]
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


async def test_an_empty_dynamic_part_and_no_tools_are_left_out(
    assistant: AnthropicAssistant, api: FakeMessagesApi
) -> None:
    api.reply_with_text("Hi")
    await assistant.respond(SystemPrompt(static="rules"), [ChatMessage.user("hi")], [])
    body = api.message_requests[0].body
    assert body["system"] == [{"type": "text", "text": "rules", "cache_control": {"type": "ephemeral"}}]
    assert "tools" not in body


async def test_a_text_reply_becomes_a_final_turn_with_usage(
    assistant: AnthropicAssistant, api: FakeMessagesApi
) -> None:
    api.reply_with_text("We're open Friday from 8.")
    turn = await assistant.respond(SYSTEM, [ChatMessage.user("when are you open?")], TOOL_SPECS)
    assert turn.text == "We're open Friday from 8."
    assert turn.tool_calls == []
    assert turn.stop_reason == "end_turn"
    assert turn.usage["input_tokens"] > 0
    assert turn.usage["output_tokens"] > 0


async def test_the_static_prefix_is_written_to_the_cache_once_then_read(
    assistant: AnthropicAssistant,
) -> None:
    system = SystemPrompt(static="A prefix only this test uses. " * 20, dynamic="Today: 2026-11-25")
    first = await assistant.respond(system, [ChatMessage.user("hi")], TOOL_SPECS)
    second = await assistant.respond(system, [ChatMessage.user("hello")], TOOL_SPECS)
    assert first.usage["cache_creation_input_tokens"] > 0
    assert first.usage["cache_read_input_tokens"] == 0
    assert second.usage["cache_read_input_tokens"] == first.usage["cache_creation_input_tokens"]


async def test_a_tool_use_reply_becomes_tool_calls(
    assistant: AnthropicAssistant, api: FakeMessagesApi
) -> None:
    tool_use_id = api.reply_with_tool_use("find_slots", {"date": "2026-11-27"}, text="Let me check Friday.")
    turn = await assistant.respond(SYSTEM, [ChatMessage.user("anything Friday?")], TOOL_SPECS)
    assert turn.tool_calls == [ToolUse(id=tool_use_id, name="find_slots", input={"date": "2026-11-27"})]
    assert turn.text == "Let me check Friday."
    assert turn.stop_reason == "tool_use"
    assert turn.wants_tools


async def test_a_tool_input_that_is_not_an_object_is_passed_on_as_sent(
    assistant: AnthropicAssistant, api: FakeMessagesApi
) -> None:
    # The tool runner answers it with an error the model can correct; coercing it here failed the turn.
    api.reply_with_tool_use("find_slots", ["2026-11-27"])  # type: ignore[arg-type]
    turn = await assistant.respond(SYSTEM, [ChatMessage.user("anything Friday?")], TOOL_SPECS)
    assert [call.input for call in turn.tool_calls] == [["2026-11-27"]]


async def test_tool_results_go_back_in_the_next_user_message_and_the_reply_uses_them(
    assistant: AnthropicAssistant, api: FakeMessagesApi
) -> None:
    conversation = [ChatMessage.user("how much for the premium package?")]
    first = await assistant.respond(SYSTEM, conversation, TOOL_SPECS)  # answered by the offline rules
    [call] = first.tool_calls
    assert call.name == "list_services"
    services = {"services": [{"id": "svc_p", "name": "Premium Tint Package", "price_cents": 39900}]}
    conversation += [
        ChatMessage("assistant", [*([TextBlock(first.text)] if first.text else []), *first.tool_calls]),
        ChatMessage("user", [ToolResult.of(call.id, services)]),
    ]

    second = await assistant.respond(SYSTEM, conversation, TOOL_SPECS)

    sent = api.message_requests[-1].body["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": call.id, "name": call.name, "input": {}}],
    }
    assert sent[2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": call.id,
            "content": ToolResult.of(call.id, services).content,
            "is_error": False,
        }
    ]
    assert second.stop_reason == "end_turn"
    assert "Premium Tint Package is $399" in second.text


async def test_an_overloaded_api_is_retried_by_the_sdk_until_it_answers(
    assistant: AnthropicAssistant, api: FakeMessagesApi
) -> None:
    api.fail_next(529)
    api.reply_with_text("Here now.")
    turn = await assistant.respond(SYSTEM, [ChatMessage.user("hi")], TOOL_SPECS)
    assert turn.text == "Here now."
    assert [r.status for r in api.message_requests] == [529, 200]


async def test_a_persistent_server_error_ends_as_assistant_unavailable_after_the_retries(
    assistant: AnthropicAssistant, api: FakeMessagesApi
) -> None:
    api.fail_next(500, times=None)
    with pytest.raises(AssistantUnavailable, match=r"500 api_error.*after 3 retries"):
        await assistant.respond(SYSTEM, [ChatMessage.user("hi")], TOOL_SPECS)
    assert [r.status for r in api.message_requests] == [500, 500, 500, 500]


async def test_persistent_overload_ends_as_assistant_unavailable(
    assistant: AnthropicAssistant, api: FakeMessagesApi
) -> None:
    api.fail_next(529, times=None)
    with pytest.raises(AssistantUnavailable, match="529 overloaded_error: Overloaded"):
        await assistant.respond(SYSTEM, [ChatMessage.user("hi")], TOOL_SPECS)


async def test_a_slow_api_times_out_as_assistant_unavailable(
    api: FakeMessagesApi, server: RunningServer
) -> None:
    api.delay_next(1.0, times=None)
    async with AnthropicAssistant(
        api.api_key, model=MODEL, timeout=0.2, max_retries=1, base_url=server.url
    ) as slow:
        with pytest.raises(AssistantUnavailable, match=r"did not answer within 0.2s"):
            await slow.respond(SYSTEM, [ChatMessage.user("hi")], TOOL_SPECS)
    # The stand-in notices the hang-ups on its own thread, a moment after the client gave up.
    deadline = time.monotonic() + 2
    while len(api.message_requests) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert [r.status for r in api.message_requests] == [499, 499]  # the first try and one retry


async def test_a_refused_key_is_not_retried_and_says_why(api: FakeMessagesApi, server: RunningServer) -> None:
    async with AnthropicAssistant("sk-ant-wrong", model=MODEL, base_url=server.url) as wrong:
        with pytest.raises(AssistantUnavailable, match=r"refused the request \(401 authentication_error"):
            await wrong.respond(SYSTEM, [ChatMessage.user("hi")], TOOL_SPECS)
    assert [r.status for r in api.message_requests] == [401]


async def test_an_unreachable_api_is_assistant_unavailable() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    async with AnthropicAssistant("sk-ant-x", model=MODEL, max_retries=0, base_url=closed) as nowhere:
        with pytest.raises(AssistantUnavailable, match="cannot reach the assistant API"):
            await nowhere.respond(SYSTEM, [ChatMessage.user("hi")], TOOL_SPECS)


def test_one_assistant_serves_several_event_loops(api: FakeMessagesApi, server: RunningServer) -> None:
    """Workers may run each job in a fresh loop; the pooled connections of a closed loop must not be reused."""
    assistant = AnthropicAssistant(api.api_key, model=MODEL, base_url=server.url)
    for word in ("one", "two"):
        api.reply_with_text(word)
        assert asyncio.run(assistant.respond(SYSTEM, [ChatMessage.user("hi")], [])).text == word


@pytest.mark.parametrize(
    ("kwargs", "complaint"),
    [
        ({"api_key": " "}, "api_key is empty"),
        ({"model": ""}, "model is empty"),
        ({"max_tokens": 0}, "max_tokens must be at least 1"),
        ({"timeout": 0}, "timeout must be a positive"),
        ({"max_retries": -1}, "max_retries must be 0 or more"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(kwargs: dict[str, object], complaint: str) -> None:
    settings: dict[str, object] = {"api_key": "sk-ant-x", "model": MODEL, **kwargs}
    with pytest.raises(ValueError, match=complaint):
        AnthropicAssistant(**settings)  # type: ignore[arg-type]


async def test_an_empty_conversation_is_refused_before_calling_the_api(
    assistant: AnthropicAssistant, api: FakeMessagesApi
) -> None:
    with pytest.raises(ValueError, match="empty conversation"):
        await assistant.respond(SYSTEM, [], TOOL_SPECS)
    assert api.message_requests == []
