"""The Messages API stand-in holds requests to the real API's rules and answers in its shapes.

Driven with plain HTTP, so each rule is seen exactly as a client would meet it on the wire.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from leadorch.adapters.standins.anthropic import FakeMessagesApi
from leadorch.adapters.standins.server import RunningServer, serve_in_thread
from leadorch.app.chat.tools import TOOL_SPECS

TOOLS = [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in TOOL_SPECS]
VALID: dict[str, Any] = {
    "model": "claude-haiku-4-5",
    "max_tokens": 256,
    "system": [
        {"type": "text", "text": "You book tint appointments.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Today: 2026-11-25 (Wednesday)"},
    ],
    "tools": TOOLS,
    "messages": [{"role": "user", "content": "what times do you have Friday?"}],
}


@pytest.fixture(scope="module")
def api() -> FakeMessagesApi:
    return FakeMessagesApi()


@pytest.fixture(scope="module")
def server(api: FakeMessagesApi) -> Iterator[RunningServer]:
    running = serve_in_thread(api)
    yield running
    running.stop()


@pytest.fixture
def http(api: FakeMessagesApi, server: RunningServer) -> Iterator[httpx.Client]:
    api.reset()
    headers = {"x-api-key": api.api_key, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=5) as client:
        yield client


def with_changes(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(VALID)
    body.update(changes)
    return body


def assert_invalid(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert message in response.json()["error"]["message"]


def test_a_valid_request_is_answered_in_the_message_shape(http: httpx.Client) -> None:
    response = http.post("/v1/messages", json=VALID)
    assert response.status_code == 200
    assert response.headers["request-id"].startswith("req_")
    message = response.json()
    assert message["id"].startswith("msg_")
    assert message["type"] == "message"
    assert message["role"] == "assistant"
    assert message["model"] == "claude-haiku-4-5"
    assert message["stop_reason"] == "tool_use"
    [tool_use] = message["content"]
    assert tool_use["type"] == "tool_use"
    assert tool_use["id"].startswith("toolu_")
    assert (tool_use["name"], tool_use["input"]) == ("find_slots", {"date": "2026-11-27"})
    assert set(message["usage"]) >= {"input_tokens", "output_tokens", "cache_creation_input_tokens"}


def test_planned_replies_are_used_in_order_before_the_offline_rules(
    http: httpx.Client, api: FakeMessagesApi
) -> None:
    api.reply_with_text("first")
    tool_use_id = api.reply_with_tool_use("list_services", {}, text="Checking.")
    first = http.post("/v1/messages", json=VALID).json()
    second = http.post("/v1/messages", json=VALID).json()
    assert first["content"] == [{"type": "text", "text": "first"}]
    assert first["stop_reason"] == "end_turn"
    assert second["content"] == [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": tool_use_id, "name": "list_services", "input": {}},
    ]
    assert http.post("/v1/messages", json=VALID).json()["content"][0]["name"] == "find_slots"


def test_the_bearer_form_of_the_key_is_accepted(http: httpx.Client, api: FakeMessagesApi) -> None:
    headers = {"x-api-key": "", "authorization": f"Bearer {api.api_key}"}
    assert http.post("/v1/messages", json=VALID, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("headers", "status", "kind", "message"),
    [
        ({"x-api-key": ""}, 401, "authentication_error", "x-api-key header is required"),
        ({"x-api-key": "sk-ant-other"}, 401, "authentication_error", "invalid x-api-key"),
        ({"anthropic-version": ""}, 400, "invalid_request_error", "anthropic-version: header is required"),
    ],
)
def test_credentials_and_version_headers_are_required(
    http: httpx.Client, headers: dict[str, str], status: int, kind: str, message: str
) -> None:
    response = http.post("/v1/messages", json=VALID, headers=headers)
    assert response.status_code == status
    assert response.json() == {"type": "error", "error": {"type": kind, "message": message}}


def test_a_body_that_is_not_json_is_an_invalid_request(http: httpx.Client) -> None:
    response = http.post("/v1/messages", content=b"{not json", headers={"content-type": "application/json"})
    assert_invalid(response, "not valid JSON")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model": ""}, "model: Field required"),
        ({"max_tokens": None}, "max_tokens: Field required"),
        ({"max_tokens": 0}, "max_tokens: Input should be greater than or equal to 1"),
        ({"messages": []}, "at least one message"),
        ({"messages": [{"role": "assistant", "content": "hi"}]}, 'first message must use the "user" role'),
        ({"messages": [{"role": "system", "content": "hi"}]}, "messages.0.role"),
        (
            {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]},
            'roles must alternate between "user" and "assistant"',
        ),
        (
            {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
            "must end with a user message",
        ),
        ({"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]}, "must be non-empty"),
        (
            {"tools": [{"name": "find_slots", "description": "x"}]},
            "tools.0.custom.input_schema: Field required",
        ),
        ({"tools": [{"name": "find slots", "input_schema": {"type": "object"}}]}, "tools.0.custom.name"),
        ({"tools": [*TOOLS, TOOLS[0]]}, "Tool names must be unique"),
        (
            {"system": [{"type": "text", "text": "x", "cache_control": {"type": "forever"}}]},
            "system.0.cache_control.type",
        ),
    ],
)
def test_requests_breaking_a_messages_api_rule_are_refused_naming_it(
    http: httpx.Client, changes: dict[str, Any], message: str
) -> None:
    assert_invalid(http.post("/v1/messages", json=with_changes(**changes)), message)


def tool_exchange(result_id: str, *, answered: bool = True) -> list[dict[str, Any]]:
    use = {"type": "tool_use", "id": "toolu_1", "name": "list_services", "input": {}}
    result = {"type": "tool_result", "tool_use_id": result_id, "content": '{"services": []}'}
    return [
        {"role": "user", "content": "prices?"},
        {"role": "assistant", "content": [use]},
        {"role": "user", "content": [result] if answered else [{"type": "text", "text": "hello?"}]},
    ]


def test_a_tool_use_must_be_answered_by_a_tool_result_in_the_next_message(http: httpx.Client) -> None:
    response = http.post("/v1/messages", json=with_changes(messages=tool_exchange("toolu_1", answered=False)))
    assert_invalid(
        response, "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1"
    )


def test_a_tool_result_must_answer_a_tool_use_of_the_previous_message(http: httpx.Client) -> None:
    response = http.post("/v1/messages", json=with_changes(messages=tool_exchange("toolu_9")))
    assert_invalid(response, "unexpected `tool_use_id` found in `tool_result` blocks: toolu_9")


def test_a_tool_use_must_name_a_declared_tool(http: httpx.Client) -> None:
    response = http.post(
        "/v1/messages", json=with_changes(messages=tool_exchange("toolu_1"), tools=TOOLS[1:])
    )
    assert_invalid(response, "tool_use names a tool that is not in `tools`")


def test_a_complete_tool_exchange_is_answered_from_the_result(http: httpx.Client) -> None:
    response = http.post("/v1/messages", json=with_changes(messages=tool_exchange("toolu_1")))
    assert response.status_code == 200
    assert response.json()["stop_reason"] == "end_turn"
    assert "don't have the prices" in response.json()["content"][0]["text"]


@pytest.mark.parametrize(
    ("status", "kind", "message"),
    [(529, "overloaded_error", "Overloaded"), (500, "api_error", "Internal server error")],
)
def test_injected_faults_answer_in_the_error_shape_with_a_short_retry_hint(
    http: httpx.Client, api: FakeMessagesApi, status: int, kind: str, message: str
) -> None:
    api.fail_next(status, times=2)
    responses = [http.post("/v1/messages", json=VALID) for _ in range(3)]
    assert [r.status_code for r in responses] == [status, status, 200]
    assert responses[0].json() == {"type": "error", "error": {"type": kind, "message": message}}
    assert responses[0].headers["retry-after-ms"] == str(api.retry_after_ms)
    assert [r.status for r in api.message_requests] == [status, status, 200]


def test_only_known_fault_statuses_can_be_injected(api: FakeMessagesApi) -> None:
    with pytest.raises(ValueError, match="not 418"):
        api.fail_next(418)


def test_other_paths_are_not_found(http: httpx.Client) -> None:
    response = http.post("/v1/complete", json=VALID)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
