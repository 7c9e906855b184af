"""Query on the `conversations` read model: everything a lead and we said to each other, in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from leadorch.app.db import Database
from leadorch.app.projections.conversations import (
    CONVERSATION_COUNTS,
    CONVERSATION_LEADS,
    CONVERSATION_MESSAGES,
    COUNTERS,
)
from leadorch.app.projections.tables import LIVE_PREFIX, parse_instant
from leadorch.app.readmodels import arguments


class ConversationMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One message: `channel` chat, sms or email; `author` customer, assistant, tool or handoff.

    For a tool call `text` is the tool's name and `detail` its input and result; for an assistant
    reply `detail` holds the slots offered and the appointment shown.
    """

    at: datetime
    channel: str
    author: str
    text: str
    detail: dict[str, Any] | None


class ConversationView(msgspec.Struct, frozen=True, kw_only=True):
    lead_id: str
    conversation_id: str | None
    opened_at: datetime | None
    link_opens: int
    customer_messages: int
    assistant_replies: int
    tool_calls: int
    handoffs: int
    sms_replies: int
    email_replies: int
    messages: list[ConversationMessage]


def conversation(db: Database, tenant_id: str, lead_id: str) -> ConversationView | None:
    """The lead's chat session and SMS/email replies in time order; None when nothing was ever said."""
    tenant = arguments.tenant(tenant_id)
    with db.transaction() as cur:
        cur.execute(
            f"SELECT conversation_id, opened_at FROM {CONVERSATION_LEADS.physical(LIVE_PREFIX)} "
            "WHERE tenant_id = %s AND lead_id = %s",
            [tenant, lead_id],
        )
        opened = cur.fetchone()
        cur.execute(
            f"SELECT {', '.join(COUNTERS)} FROM {CONVERSATION_COUNTS.physical(LIVE_PREFIX)} "
            "WHERE tenant_id = %s AND lead_id = %s",
            [tenant, lead_id],
        )
        counts = cur.fetchone()
        cur.execute(
            f"SELECT at, channel, author, text, detail FROM {CONVERSATION_MESSAGES.physical(LIVE_PREFIX)} "
            "WHERE tenant_id = %s AND lead_id = %s ORDER BY at, message_id",
            [tenant, lead_id],
        )
        rows = cur.fetchall()
    if opened is None and counts is None and not rows:
        return None
    return ConversationView(
        lead_id=lead_id,
        conversation_id=None if opened is None else opened[0],
        opened_at=None if opened is None else parse_instant(opened[1]),
        **dict(zip(COUNTERS, (int(c) for c in (counts or (0,) * len(COUNTERS))), strict=True)),
        messages=[
            ConversationMessage(
                at=parse_instant(row[0]),  # type: ignore[arg-type]
                channel=row[1],
                author=row[2],
                text=row[3],
                detail=None if row[4] is None else msgspec.json.decode(row[4]),
            )
            for row in rows
        ],
    )
