"""The customer chat over HTTP: the page at `/chat/{token}`, its static files, and the JSON API it calls.

- `POST /api/chat/sessions` `{token}` → 201 the session (401 with the reason for an expired or forged
  link). The same link reopens the same session.
- `GET /api/chat/sessions/{session_id}` → the session: first name, shop, transcript, appointment.
- `POST /api/chat/sessions/{session_id}/messages` `{text}` → 200 `{reply}` (413 too long, 422 empty,
  429 with `Retry-After` when too fast).

Access: the session id is a random secret issued only to someone holding a valid signed link; it opens
that one lead's conversation and nothing else (see `app/chat/sessions.py`). Handlers run in threads:
the chat service is synchronous (event store, database, the assistant behind its own loop).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.static_files import create_static_files_router
from litestar.status_codes import (
    HTTP_401_UNAUTHORIZED,
    HTTP_404_NOT_FOUND,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from leadorch.app.bootstrap import Container
from leadorch.app.chat.errors import (
    ChatError,
    ChatLinkRefused,
    MessageRejected,
    MessageTooLong,
    RateLimited,
    SessionExpired,
    SessionNotFound,
)
from leadorch.app.chat.rate_limits import ChatRateLimits
from leadorch.app.chat.service import ChatService
from leadorch.app.chat.views import MessageReply, OpenSessionRequest, PostMessageRequest, SessionView

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 16 * 1024
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    # The token is in the page's URL: never leak it in a Referer, never let another site frame the page.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def _problem(
    status: int, error: ChatError, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    return Response(
        content={"status_code": status, "detail": error.reason},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _chat_error(_: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    assert isinstance(error, ChatError)
    if isinstance(error, RateLimited):
        return _problem(
            HTTP_429_TOO_MANY_REQUESTS, error, {"Retry-After": str(max(1, round(error.retry_after)))}
        )
    if isinstance(error, (ChatLinkRefused, SessionExpired)):
        return _problem(HTTP_401_UNAUTHORIZED, error)
    if isinstance(error, SessionNotFound):
        return _problem(HTTP_404_NOT_FOUND, error)
    if isinstance(error, MessageTooLong):
        return _problem(HTTP_413_REQUEST_ENTITY_TOO_LARGE, error)
    if isinstance(error, MessageRejected):
        return _problem(HTTP_422_UNPROCESSABLE_ENTITY, error)
    return _problem(HTTP_422_UNPROCESSABLE_ENTITY, error)


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def provide_limits(container: NamedDependency[Container]) -> ChatRateLimits:
    return container.chat_rate_limits


def provide_chat(container: NamedDependency[Container]) -> ChatService:
    return container.chat


class ChatSessionsController(Controller):
    path = "/api/chat/sessions"
    tags = ["chat"]
    dependencies = {
        "limits": Provide(provide_limits, sync_to_thread=False),
        "service": Provide(provide_chat, sync_to_thread=False),
    }
    exception_handlers = {ChatError: _chat_error}

    @post(
        "/",
        status_code=201,
        sync_to_thread=True,
        request_max_body_size=MAX_BODY_BYTES,
        summary="Open the chat session of a chat link",
    )
    def open_session(
        self,
        request: Request[Any, Any, Any],
        limits: NamedDependency[ChatRateLimits],
        service: NamedDependency[ChatService],
        data: JSONBody[OpenSessionRequest],
    ) -> SessionView:
        """Verify the link's token and open (or reopen) its lead's chat; records the visit."""
        limits.open(_address(request))
        return service.open_session(data.token)

    @get("/{session_id:str}", sync_to_thread=True, summary="A chat session and its transcript")
    def get_session(
        self,
        request: Request[Any, Any, Any],
        limits: NamedDependency[ChatRateLimits],
        service: NamedDependency[ChatService],
        session_id: FromPath[str],
    ) -> SessionView:
        """The session's first name, shop, transcript and current appointment."""
        limits.address(_address(request))
        return service.session_view(session_id)

    @post(
        "/{session_id:str}/messages",
        status_code=200,
        sync_to_thread=True,
        request_max_body_size=MAX_BODY_BYTES,
        summary="Send a message and get the assistant's reply",
    )
    def post_message(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        limits: NamedDependency[ChatRateLimits],
        service: NamedDependency[ChatService],
        session_id: FromPath[str],
        data: JSONBody[PostMessageRequest],
    ) -> MessageReply:
        """Record the customer's message and answer it (the reply carries any slots offered or booking made)."""
        limits.address(_address(request))
        service.sessions.resolve(
            session_id, container.clock.now()
        )  # a made-up id spends no session allowance
        limits.message(session_id)
        return MessageReply(reply=service.post_message(session_id, data.text))


@get("/chat/{token:str}", include_in_schema=False, sync_to_thread=False)
def chat_page(token: FromPath[str]) -> Response[bytes]:
    """The chat page; its script reads the token from the URL and opens the session."""
    return Response(
        content=(STATIC_DIR / "chat.html").read_bytes(), media_type=MediaType.HTML, headers=_PAGE_HEADERS
    )


chat_static = create_static_files_router(path="/static", directories=[STATIC_DIR], name="chat-static")
