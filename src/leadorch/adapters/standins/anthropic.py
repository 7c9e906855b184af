"""A stand-in for Anthropic's Messages API (`POST /v1/messages`), as an ASGI app.

It holds requests to the rules the real API enforces for what we send (credentials and version headers,
model, max_tokens, alternating roles, every tool_use answered by a tool_result in the next message, tool
definitions with an input schema) and answers with the real response and error shapes, so the official
SDK and our adapter run unchanged against it. Replies come from a queue of planned replies, or, when the
queue is empty, from the offline assistant's rules, which makes the demo converse sensibly. Faults
(529 overloaded, 500, slow answers) can be injected, and every request is recorded for assertions.

Run it with `leadorch.adapters.standins.server.serve_in_thread(FakeMessagesApi())`.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import string
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from leadorch.adapters.offline_assistant import OfflineAssistant
from leadorch.ports.assistant import (
    AssistantTurn,
    ChatMessage,
    ContentBlock,
    SystemPrompt,
    TextBlock,
    ToolResult,
    ToolSpec,
    ToolUse,
)

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
    529: "overloaded_error",
}
_FAULT_MESSAGES = {
    429: "Number of request tokens has exceeded your per-minute rate limit",
    500: "Internal server error",
    503: "Service unavailable",
    529: "Overloaded",
}
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_STANDIN_SYSTEM = "You are the shop's booking assistant."


def _random_id(prefix: str) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(24))


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it reached the stand-in; `body` is the decoded JSON, or the raw text if invalid.

    `status` is what was answered, or 499 when the client hung up before the answer (a client timeout).
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class _Fault:
    status: int
    remaining: int | None  # None: until cleared
    delay: float = 0.0


@dataclass
class _Plan:
    content: list[dict[str, Any]]
    stop_reason: str


class InvalidRequest(Exception):
    """The request breaks a Messages API rule; answered as a 400 invalid_request_error."""


@dataclass
class FakeMessagesApi:
    """The Messages API stand-in. `api_key` is the only key it accepts."""

    api_key: str = "sk-ant-standin"
    assistant: OfflineAssistant = field(default_factory=OfflineAssistant)
    # The SDK honours `retry-after-ms`; a short wait keeps retries in tests and the demo quick.
    retry_after_ms: int | None = 20
    requests: list[RecordedRequest] = field(default_factory=list)
    _plans: deque[_Plan] = field(default_factory=deque)
    _faults: deque[_Fault] = field(default_factory=deque)
    _cached_prefixes: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- scripting ---------------------------------------------------------------------------------

    def reply_with_text(self, text: str) -> None:
        """The next unplanned request is answered with this text (stop_reason end_turn)."""
        with self._lock:
            self._plans.append(_Plan([{"type": "text", "text": text}], "end_turn"))

    def reply_with_tool_use(self, name: str, tool_input: dict[str, Any], *, text: str = "") -> str:
        """The next request is answered with a tool_use block (after `text`, if given); returns its id."""
        tool_use_id = _random_id("toolu_")
        content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        content.append({"type": "tool_use", "id": tool_use_id, "name": name, "input": tool_input})
        with self._lock:
            self._plans.append(_Plan(content, "tool_use"))
        return tool_use_id

    def fail_next(self, status: int = 529, *, times: int | None = 1) -> None:
        """The next `times` requests (None: all, until `clear_faults`) get this error status."""
        if status not in _FAULT_MESSAGES:
            raise ValueError(f"can inject statuses {sorted(_FAULT_MESSAGES)}, not {status}")
        with self._lock:
            self._faults.append(_Fault(status=status, remaining=times))

    def delay_next(self, seconds: float, *, times: int | None = 1) -> None:
        """The next `times` requests are answered only after `seconds` (to provoke client timeouts)."""
        with self._lock:
            self._faults.append(_Fault(status=200, remaining=times, delay=seconds))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forget recorded requests, planned replies, faults and the prompt cache."""
        with self._lock:
            self.requests.clear()
            self._plans.clear()
            self._faults.clear()
            self._cached_prefixes.clear()

    @property
    def message_requests(self) -> list[RecordedRequest]:
        """The `POST /v1/messages` requests received, in order."""
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/messages"]

    # --- ASGI --------------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            event = await receive()
            raw += event.get("body", b"")
            if not event.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        answering = asyncio.ensure_future(self._answer(scope["method"], scope["path"], headers, raw))
        hanging_up = asyncio.ensure_future(_disconnected(receive))
        await asyncio.wait({answering, hanging_up}, return_when=asyncio.FIRST_COMPLETED)
        if not answering.done():  # the client gave up (a timeout): answer no one, take no planned reply
            answering.cancel()
            self.requests.append(RecordedRequest(scope["method"], scope["path"], headers, _decoded(raw), 499))
            return
        hanging_up.cancel()
        status, payload, extra_headers = answering.result()
        body = json.dumps(payload).encode()
        response_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"request-id", _random_id("req_").encode()),
            *[(k.encode(), v.encode()) for k, v in extra_headers.items()],
        ]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        body = _decoded(raw)
        status, payload, extra = await self._outcome(method, path, headers, raw, body)
        self.requests.append(RecordedRequest(method, path, headers, body, status))
        return status, payload, extra

    async def _outcome(
        self, method: str, path: str, headers: dict[str, str], raw: bytes, body: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if path != "/v1/messages":
            return _error(404, f"Not found: {method} {path}")
        if method != "POST":
            return _error(405, f"Method {method} not allowed on {path}")
        problem = _header_problem(headers, self.api_key)
        if problem is not None:
            return _error(*problem)
        fault = self._take_fault()
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        elif fault is not None:
            extra = {"retry-after-ms": str(self.retry_after_ms)} if self.retry_after_ms is not None else {}
            status, payload, _ = _error(fault.status, _FAULT_MESSAGES[fault.status])
            return status, payload, extra
        try:
            if not isinstance(body, dict):
                raise InvalidRequest(f"The request body is not valid JSON: {raw[:80]!r}")
            check_request(body)
        except InvalidRequest as error:
            return _error(400, str(error))
        return 200, self._message(body), {}

    def _take_fault(self) -> _Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.popleft()
            return fault

    def _message(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            plan = self._plans.popleft() if self._plans else None
        if plan is None:
            system, messages, tools = conversation_of(body)
            plan = _plan_of(self.assistant.next_turn(system, messages, tools))
        return {
            "id": _random_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": plan.content,
            "stop_reason": plan.stop_reason,
            "stop_sequence": None,
            "usage": self._usage(body, plan),
        }

    def _usage(self, body: dict[str, Any], plan: _Plan) -> dict[str, Any]:
        """Token counts in the real shape, with the cacheable prefix written once and read after."""
        prefix = _cacheable_prefix(body)
        prefix_tokens = _tokens(prefix) if prefix else 0
        created = read = 0
        if prefix:
            with self._lock:
                if prefix in self._cached_prefixes:
                    read = prefix_tokens
                else:
                    self._cached_prefixes.add(prefix)
                    created = prefix_tokens
        total = _tokens(json.dumps(body))
        return {
            "input_tokens": max(total - prefix_tokens, 1),
            "output_tokens": max(_tokens(json.dumps(plan.content)), 1),
            "cache_creation_input_tokens": created,
            "cache_read_input_tokens": read,
        }


async def _disconnected(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


def _tokens(text: str) -> int:
    return len(text) // 4


def _cacheable_prefix(body: dict[str, Any]) -> str:
    """Tools and the system blocks up to the last one marked with cache_control, as one string."""
    system = body.get("system")
    if not isinstance(system, list):
        return ""
    marked = [i for i, block in enumerate(system) if isinstance(block, dict) and "cache_control" in block]
    if not marked:
        return ""
    return json.dumps({"tools": body.get("tools", []), "system": system[: marked[-1] + 1]}, sort_keys=True)


def _error(status: int, message: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    kind = _ERROR_TYPES.get(status, "api_error")
    return status, {"type": "error", "error": {"type": kind, "message": message}}, {}


def _header_problem(headers: dict[str, str], api_key: str) -> tuple[int, str] | None:
    authorization = headers.get("authorization", "")
    bearer = authorization[7:] if authorization.lower().startswith("bearer ") else ""
    given = headers.get("x-api-key") or bearer
    if not given:
        return 401, "x-api-key header is required"
    if given != api_key:
        return 401, "invalid x-api-key"
    if not headers.get("anthropic-version"):
        return 400, "anthropic-version: header is required"
    if "application/json" not in headers.get("content-type", ""):
        return 400, "content-type: must be application/json"
    return None


def check_request(body: dict[str, Any]) -> None:
    """Raise `InvalidRequest` naming the first rule of the Messages API this body breaks."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model: Field required")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise InvalidRequest("max_tokens: Field required")
    if max_tokens < 1:
        raise InvalidRequest("max_tokens: Input should be greater than or equal to 1")
    _check_system(body.get("system"))
    tool_names = _check_tools(body.get("tools"))
    _check_messages(body.get("messages"), tool_names)


def _check_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise InvalidRequest("system: Input should be a valid string or list of text blocks")
    for i, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise InvalidRequest(f"system.{i}: Input should be a text block")
        if not isinstance(block.get("text"), str) or not block["text"]:
            raise InvalidRequest(f"system.{i}.text: text content blocks must be non-empty")
        _check_cache_control(block, f"system.{i}")


def _check_cache_control(block: dict[str, Any], where: str) -> None:
    if "cache_control" in block and (
        not isinstance(block["cache_control"], dict) or block["cache_control"].get("type") != "ephemeral"
    ):
        raise InvalidRequest(f"{where}.cache_control.type: Input should be 'ephemeral'")


def _check_tools(tools: Any) -> set[str]:
    if tools is None:
        return set()
    if not isinstance(tools, list):
        raise InvalidRequest("tools: Input should be a valid list")
    names: set[str] = set()
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise InvalidRequest(f"tools.{i}: Input should be a valid dictionary")
        name = tool.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            raise InvalidRequest(
                f"tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
            )
        if name in names:
            raise InvalidRequest("tools: Tool names must be unique.")
        names.add(name)
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            raise InvalidRequest(f"tools.{i}.custom.input_schema: Field required")
        if schema.get("type") != "object":
            raise InvalidRequest(f"tools.{i}.custom.input_schema.type: Input should be 'object'")
        _check_cache_control(tool, f"tools.{i}")
    return names


def _check_messages(messages: Any, tool_names: set[str]) -> None:
    if not isinstance(messages, list):
        raise InvalidRequest("messages: Field required")
    if not messages:
        raise InvalidRequest("messages: at least one message is required")
    open_tool_uses: set[str] = set()
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise InvalidRequest(f"messages.{i}: Input should be a valid dictionary")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise InvalidRequest(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if i == 0 and role != "user":
            raise InvalidRequest('messages: first message must use the "user" role')
        if i > 0 and role == messages[i - 1].get("role"):
            raise InvalidRequest(
                f'messages: roles must alternate between "user" and "assistant", but found multiple "{role}" '
                "roles in a row"
            )
        blocks = _blocks_of(message, i)
        if role == "user":
            _check_tool_results(blocks, open_tool_uses, i)
            open_tool_uses = set()
        else:
            open_tool_uses = _check_tool_uses(blocks, tool_names, i)
    if messages[-1].get("role") != "user":
        raise InvalidRequest(
            "This model does not support assistant message prefill. The conversation must end with a user "
            "message."
        )


def _blocks_of(message: dict[str, Any], i: int) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        if not content:
            raise InvalidRequest(f"messages.{i}: all messages must have non-empty content")
        return [{"type": "text", "text": content}]
    if not isinstance(content, list) or not content:
        raise InvalidRequest(f"messages.{i}: all messages must have non-empty content")
    for j, block in enumerate(content):
        where = f"messages.{i}.content.{j}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise InvalidRequest(f"{where}: Input should be a content block with a type")
        if block["type"] == "text" and (not isinstance(block.get("text"), str) or not block["text"]):
            raise InvalidRequest(f"{where}.text: text content blocks must be non-empty")
        if block["type"] not in ("text", "tool_use", "tool_result", "image", "document"):
            raise InvalidRequest(f"{where}.type: unknown content block type {block['type']!r}")
        _check_cache_control(block, where)
    return content


def _check_tool_uses(blocks: list[dict[str, Any]], tool_names: set[str], i: int) -> set[str]:
    ids: set[str] = set()
    for j, block in enumerate(blocks):
        where = f"messages.{i}.content.{j}"
        if block["type"] == "tool_result":
            raise InvalidRequest(f"{where}: tool_result blocks are only allowed in user messages")
        if block["type"] != "tool_use":
            continue
        if not isinstance(block.get("id"), str) or not block["id"]:
            raise InvalidRequest(f"{where}.id: Field required")
        if not isinstance(block.get("input"), dict):
            raise InvalidRequest(f"{where}.input: Input should be a valid dictionary")
        if block.get("name") not in tool_names:
            raise InvalidRequest(
                f"{where}.name: tool_use names a tool that is not in `tools`: {block.get('name')!r}"
            )
        ids.add(block["id"])
    return ids


def _check_tool_results(blocks: list[dict[str, Any]], expected: set[str], i: int) -> None:
    answered: set[str] = set()
    seen_other = False
    for j, block in enumerate(blocks):
        where = f"messages.{i}.content.{j}"
        if block["type"] == "tool_use":
            raise InvalidRequest(f"{where}: tool_use blocks are only allowed in assistant messages")
        if block["type"] != "tool_result":
            seen_other = True
            continue
        if seen_other:
            raise InvalidRequest(f"messages.{i}: tool_result blocks must come first in the content array")
        tool_use_id = block.get("tool_use_id")
        if tool_use_id not in expected:
            raise InvalidRequest(
                f"{where}: unexpected `tool_use_id` found in `tool_result` blocks: {tool_use_id}. Each "
                "`tool_result` block must have a corresponding `tool_use` block in the previous message."
            )
        if not isinstance(block.get("content", ""), str | list):
            raise InvalidRequest(f"{where}.content: Input should be a valid string or list of blocks")
        answered.add(tool_use_id)
    if missing := expected - answered:
        raise InvalidRequest(
            f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: "
            f"{', '.join(sorted(missing))}. Each `tool_use` block must have a corresponding `tool_result` "
            "block in the next message."
        )


def conversation_of(body: dict[str, Any]) -> tuple[SystemPrompt, list[ChatMessage], list[ToolSpec]]:
    """A checked request body read back into the assistant port's types."""
    system = body.get("system") or _STANDIN_SYSTEM
    if isinstance(system, str):
        prompt = SystemPrompt(static=system)
    else:
        marked = [i for i, block in enumerate(system) if "cache_control" in block]
        cut = marked[-1] + 1 if marked else len(system)
        static = "\n".join(block["text"] for block in system[:cut]) or _STANDIN_SYSTEM
        prompt = SystemPrompt(static=static, dynamic="\n".join(block["text"] for block in system[cut:]))
    messages = [
        ChatMessage(role=m["role"], content=[_port_block(b) for b in _blocks_of(m, i)])
        for i, m in enumerate(body["messages"])
    ]
    tools = [ToolSpec(t["name"], t.get("description", ""), t["input_schema"]) for t in body.get("tools", [])]
    return prompt, messages, tools


def _port_block(block: dict[str, Any]) -> ContentBlock:
    if block["type"] == "tool_use":
        return ToolUse(id=block["id"], name=block["name"], input=block["input"])
    if block["type"] == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        return ToolResult(
            tool_use_id=block["tool_use_id"], content=content, is_error=bool(block.get("is_error"))
        )
    return TextBlock(text=str(block.get("text", "")))


def _plan_of(turn: AssistantTurn) -> _Plan:
    content: list[dict[str, Any]] = [{"type": "text", "text": turn.text}] if turn.text else []
    content += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.input} for c in turn.tool_calls]
    return _Plan(content, turn.stop_reason)
