"""The chat API's bodies, as msgspec Structs so the OpenAPI document describes them exactly.

These are the contract the chat page (`app/http/static/chat.js`) is written against.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec


class OpenSessionRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The signed token from a chat link (`/chat/{token}`)."""

    token: str


class PostMessageRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the customer wrote (at most 2,000 characters)."""

    text: str


class LocationInfo(msgspec.Struct, frozen=True):
    """The shop the customer would come to."""

    name: str
    phone: str | None
    address: str | None


class SlotChoice(msgspec.Struct, frozen=True):
    """A free time offered as a button: `start` is what booking it sends back."""

    start: str
    label: str


class AppointmentCard(msgspec.Struct, frozen=True, omit_defaults=True):
    """An appointment as the page shows it; times in the shop's zone."""

    id: str
    start: str
    label: str
    services: list[str]
    price_cents: int
    status: str
    end: str | None = None


class ChatLine(msgspec.Struct, frozen=True, omit_defaults=True):
    """One line of the transcript: the customer's words, or a reply with its slots or appointment; `by`
    names the shop's staff member when a person, not the assistant, wrote the reply."""

    role: Literal["customer", "assistant"]
    text: str
    at: datetime
    slots: list[SlotChoice] | None = None
    appointment: AppointmentCard | None = None
    handoff: bool = False
    by: str | None = None


class SessionView(msgspec.Struct, frozen=True):
    """An open chat session: who is chatting, with which shop, what was said, their appointment."""

    session_id: str
    first_name: str
    location: LocationInfo
    transcript: list[ChatLine]
    appointment: AppointmentCard | None


class MessageReply(msgspec.Struct, frozen=True):
    """The assistant's answer to one message (with any booking it made)."""

    reply: ChatLine
