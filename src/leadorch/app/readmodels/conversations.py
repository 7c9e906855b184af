"""Queries on the `conversations` read model: everything a lead and we said to each other, in order,
and the staff inbox (the conversations needing attention first)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from leadorch.app.db import Database
from leadorch.app.projections.conversations import (
    CONVERSATION_COUNTS,
    CONVERSATION_INBOX,
    CONVERSATION_LEADS,
    CONVERSATION_MESSAGES,
    COUNTERS,
)
from leadorch.app.projections.leads import LEADS
from leadorch.app.projections.tables import LIVE_PREFIX, parse_instant
from leadorch.app.readmodels import arguments


class ConversationMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One message: `channel` chat, sms or email; `author` customer, assistant, staff, tool or handoff.

    For a tool call `text` is the tool's name and `detail` its input and result; for an assistant
    reply `detail` holds the slots offered and the appointment shown; for a staff reply the staff
    member's name (`staff`), the reply's `key` and its `state` (sending, sent or failed, with `reason`).
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
            # At one instant the customer's words come first: a text is the lead's line, the answer the
            # conversation's, and a clock that did not move between them must not put the answer first.
            "WHERE tenant_id = %s AND lead_id = %s "
            "ORDER BY at, CASE WHEN author = 'customer' THEN 0 ELSE 1 END, message_id",
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


ATTENTION = ("unanswered", "handed_off", "answered")
"""Why a conversation is where it is in the inbox, most urgent first."""


class InboxItem(msgspec.Struct, frozen=True, kw_only=True):
    """One lead's conversation as the inbox lists it.

    `attention` is `unanswered` (the customer's latest message came after every answer), `handed_off`
    (handed to staff and no staff reply since), or `answered`.
    """

    lead_id: str
    location_id: str
    first_name: str
    last_name: str
    status: str
    automation_paused: bool
    paused_by: str | None
    attention: str
    last_at: datetime
    last_customer_at: datetime | None
    last_customer_channel: str | None
    preview: str
    preview_author: str


# While a person has the lead (taken over, or the shop's), the chat's automatic "the team will reply"
# is not an answer: only a staff reply is.
_UNANSWERED = (
    "(i.last_customer_at IS NOT NULL AND (i.last_customer_at > COALESCE(i.last_answer_at, '') OR "
    "((l.automation_paused OR l.status = 'handled_by_shop') AND i.last_customer_at > COALESCE(i.last_staff_at, ''))))"
)
_HANDED_OFF = "(i.handoff_at IS NOT NULL AND i.handoff_at > COALESCE(i.last_staff_at, ''))"


def inbox(
    db: Database, tenant_id: str, *, location_id: str | None = None, limit: int = 50, offset: int = 0
) -> list[InboxItem]:
    """The tenant's conversations: unanswered first, then handed off, then the rest; newest first in each."""
    tenant = arguments.tenant(tenant_id)
    limit, offset = arguments.page(limit, offset)
    where, params = "i.tenant_id = %s", [tenant]
    if location_id is not None:
        where += " AND l.location_id = %s"
        params.append(location_id)
    with db.transaction() as cur:
        cur.execute(
            f"SELECT i.lead_id, l.location_id, l.first_name, l.last_name, l.status, l.automation_paused, "
            f"l.paused_by, CASE WHEN {_UNANSWERED} THEN 0 WHEN {_HANDED_OFF} THEN 1 ELSE 2 END AS rank, "
            "i.last_at, i.last_customer_at, i.last_customer_channel, i.preview, i.preview_author "
            f"FROM {CONVERSATION_INBOX.physical(LIVE_PREFIX)} i "
            f"JOIN {LEADS.physical(LIVE_PREFIX)} l ON l.lead_id = i.lead_id AND l.tenant_id = i.tenant_id "
            f"WHERE {where} ORDER BY rank, i.last_at DESC, i.lead_id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        rows = cur.fetchall()
    return [
        InboxItem(
            lead_id=row[0],
            location_id=row[1],
            first_name=row[2],
            last_name=row[3],
            status=row[4],
            automation_paused=bool(row[5]),
            paused_by=row[6],
            attention=ATTENTION[int(row[7])],
            last_at=parse_instant(row[8]),  # type: ignore[arg-type]
            last_customer_at=parse_instant(row[9]),
            last_customer_channel=row[10],
            preview=row[11],
            preview_author=row[12],
        )
        for row in rows
    ]


def customer_last_wrote(db: Database, tenant_id: str, lead_id: str) -> dict[str, datetime]:
    """When the customer last wrote on each channel they ever wrote on (chat, sms, email)."""
    tenant = arguments.tenant(tenant_id)
    with db.transaction() as cur:
        cur.execute(
            f"SELECT channel, MAX(at) FROM {CONVERSATION_MESSAGES.physical(LIVE_PREFIX)} "
            "WHERE tenant_id = %s AND lead_id = %s AND author = 'customer' GROUP BY channel",
            [tenant, lead_id],
        )
        rows = cur.fetchall()
    return {row[0]: parse_instant(row[1]) for row in rows}  # type: ignore[misc]
