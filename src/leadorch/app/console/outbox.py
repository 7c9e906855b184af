"""Queries on the `outbox` read model: a tenant's messages (sent, suppressed, failed…) and one lead's.

Each message is joined with its lead's name and addresses from the `leads` read model for display only;
the page masks them unless someone asks to see them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from leadorch.app.db import Database
from leadorch.app.projections.leads import LEADS
from leadorch.app.projections.outbox import OUTBOX, STATUSES
from leadorch.app.projections.tables import LIVE_PREFIX, parse_instant
from leadorch.app.readmodels import arguments
from leadorch.domain.values import Channel

CHANNELS = tuple(channel.value for channel in Channel)
_OUTBOX = OUTBOX.physical(LIVE_PREFIX)
_LEADS = LEADS.physical(LIVE_PREFIX)
_COLUMNS = list(OUTBOX.column_names)
_LEAD_COLUMNS = ("first_name", "last_name", "email", "phone")


class OutboxMessage(msgspec.Struct, kw_only=True):
    """One message of one touch on one channel, and what became of it."""

    schedule_id: str
    touch_number: int
    channel: str
    tenant_id: str
    lead_id: str
    location_id: str
    status: str
    detail: str | None
    permanent: bool | None
    provider_message_id: str | None
    delivery_status: str | None
    delivery_error: str | None
    claimed_at: datetime
    settled_at: datetime | None
    updated_at: datetime
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


def outbox_messages(
    db: Database,
    tenant_id: str,
    *,
    location_id: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[OutboxMessage]:
    """The tenant's messages, newest claim first (optionally one location, status or channel)."""
    where = ["o.tenant_id = %s"]
    params: list[Any] = [arguments.tenant(tenant_id)]
    if location_id:
        where.append("o.location_id = %s")
        params.append(location_id)
    if arguments.choice(status, "status", STATUSES) is not None:
        where.append("o.status = %s")
        params.append(status)
    if arguments.choice(channel, "channel", CHANNELS) is not None:
        where.append("o.channel = %s")
        params.append(channel)
    limit, offset = arguments.page(limit, offset)
    order = "o.claimed_at DESC, o.schedule_id, o.touch_number DESC, o.channel"
    return _select(db, " AND ".join(where), params, f"{order} LIMIT %s OFFSET %s", [limit, offset])


def messages_of_lead(db: Database, tenant_id: str, lead_id: str) -> list[OutboxMessage]:
    """Every message of one lead's cadence, in touch order (another tenant's lead has none)."""
    return _select(
        db,
        "o.tenant_id = %s AND o.lead_id = %s",
        [arguments.tenant(tenant_id), str(lead_id)],
        "o.touch_number, o.channel",
        [],
    )


def _select(db: Database, where: str, params: list[Any], order: str, tail: list[Any]) -> list[OutboxMessage]:
    selected = ", ".join(f"o.{name}" for name in _COLUMNS)
    sql = (
        f"SELECT {selected}, {', '.join(f'l.{name}' for name in _LEAD_COLUMNS)} FROM {_OUTBOX} o "
        f"LEFT JOIN {_LEADS} l ON l.lead_id = o.lead_id WHERE {where} ORDER BY {order}"
    )
    with db.transaction() as cur:
        cur.execute(sql, [*params, *tail])
        rows = cur.fetchall()
    messages = []
    for row in rows:
        values = dict(zip([*_COLUMNS, *_LEAD_COLUMNS], row, strict=True))
        for name in ("claimed_at", "settled_at", "updated_at"):
            values[name] = parse_instant(values[name])
        values["touch_number"] = int(values["touch_number"])
        if values["permanent"] is not None:
            values["permanent"] = bool(values["permanent"])
        messages.append(OutboxMessage(**values))
    return messages
