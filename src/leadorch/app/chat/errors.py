"""What can go wrong for a chat request, in words the customer's page can show (each maps to one 4xx)."""

from __future__ import annotations


class ChatError(Exception):
    """A chat request that cannot be served; `reason` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChatLinkRefused(ChatError):
    """The chat link's token is expired, forged or malformed (401)."""


class SessionNotFound(ChatError):
    """No chat session has this id (404): it never existed, or it was replaced."""


class SessionExpired(ChatError):
    """The chat session is too old to use; opening the link again starts a fresh one (401)."""


class MessageRejected(ChatError):
    """The message cannot be accepted as it is, e.g. it is empty (422)."""


class MessageTooLong(MessageRejected):
    """The message is longer than a chat message may be (413)."""


class RateLimited(ChatError):
    """Too many requests from this session or address; try again after `retry_after` seconds (429)."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
