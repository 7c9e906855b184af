"""Queries on the `leads` read model: the lead list (filter, search, page) and one lead."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from leadorch.app.db import Database
from leadorch.app.projections.leads import LEADS
from leadorch.app.projections.tables import LIVE_PREFIX, parse_instant
from leadorch.app.readmodels import arguments
from leadorch.domain.values import LeadStatus

STATUSES = tuple(status.value for status in LeadStatus)
_TABLE = LEADS.physical(LIVE_PREFIX)
_COLUMNS = [name for name in LEADS.column_names if name != "search_text"]
_TIMES = {
    "received_at",
    "created_at",
    "chat_link_opened_at",
    "last_reply_at",
    "last_contact_at",
    "next_touch_due_at",
    "updated_at",
}
_FLAGS = {"email_consent", "sms_consent", "automation_paused"}


class LeadView(msgspec.Struct, kw_only=True):
    """A lead as the list and the detail page show it."""

    lead_id: str
    tenant_id: str
    location_id: str
    status: str
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    vehicle_year: int | None
    vehicle_make: str | None
    vehicle_model: str | None
    services: list[str]
    crm_order_id: str
    crm_customer_id: str
    crm_vehicle_id: str | None
    email_consent: bool
    sms_consent: bool
    automation_paused: bool
    paused_by: str | None
    staff_flag: str | None
    outcome_reason: str | None
    appointment_id: str | None
    received_at: datetime
    created_at: datetime
    chat_link_opened_at: datetime | None
    last_reply_at: datetime | None
    last_contact_at: datetime | None
    next_touch_due_at: datetime | None
    touches_sent: int
    cadence: str | None
    updated_at: datetime


def list_leads(
    db: Database,
    tenant_id: str,
    location_id: str | None = None,
    status: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[LeadView]:
    """The tenant's leads, newest first; `search` matches every word in name, email, phone, vehicle, order."""
    where = ["tenant_id = %s"]
    params: list[Any] = [arguments.tenant(tenant_id)]
    if location_id is not None:
        where.append("location_id = %s")
        params.append(location_id)
    if arguments.choice(status, "status", STATUSES) is not None:
        where.append("status = %s")
        params.append(status)
    for word in (search or "").lower().split():
        where.append("search_text LIKE %s")
        params.append(f"%{word}%")
    limit, offset = arguments.page(limit, offset)
    sql = (
        f"SELECT {', '.join(_COLUMNS)} FROM {_TABLE} WHERE {' AND '.join(where)} "
        "ORDER BY received_at DESC, lead_id LIMIT %s OFFSET %s"
    )
    with db.transaction() as cur:
        cur.execute(sql, [*params, limit, offset])
        return [_view(row) for row in cur.fetchall()]


def get_lead(db: Database, tenant_id: str, lead_id: str) -> LeadView | None:
    """One lead of the tenant, or None (another tenant's lead is None too)."""
    tenant = arguments.tenant(tenant_id)
    with db.transaction() as cur:
        cur.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM {_TABLE} WHERE tenant_id = %s AND lead_id = %s",
            [tenant, str(lead_id)],
        )
        row = cur.fetchone()
    return None if row is None else _view(row)


def _view(row: tuple[Any, ...]) -> LeadView:
    values = dict(zip(_COLUMNS, row, strict=True))
    for name in _TIMES:
        values[name] = parse_instant(values[name])
    for name in _FLAGS:
        values[name] = bool(values[name])
    values["services"] = msgspec.json.decode(values["services"])
    return LeadView(**values)
