"""Queries on the `appointments` read model: a location's calendar, and a lead's appointments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from leadorch.app.db import Database
from leadorch.app.projections.appointments import APPOINTMENTS
from leadorch.app.projections.tables import LIVE_PREFIX, parse_instant
from leadorch.app.readmodels import arguments
from leadorch.app.readmodels.errors import InvalidQuery

STATUSES = ("confirmed", "cancelled", "completed", "no_show")
_TABLE = APPOINTMENTS.physical(LIVE_PREFIX)
_COLUMNS = list(APPOINTMENTS.column_names)
_TIMES = ("start_at", "end_at", "booked_at", "updated_at")


class BookedService(msgspec.Struct, frozen=True, kw_only=True):
    service_id: str
    name: str
    duration_minutes: int
    price_cents: int


class AppointmentView(msgspec.Struct, kw_only=True):
    """An appointment on the calendar, with where its CRM sync stands (pending, synced, failed)."""

    appointment_id: str
    tenant_id: str
    lead_id: str
    location_id: str
    status: str
    status_reason: str | None
    start_at: datetime
    end_at: datetime
    services: list[BookedService]
    price_cents: int
    booked_at: datetime
    crm_sync: str
    crm_appointment_id: str | None
    crm_sync_error: str | None
    updated_at: datetime
    shop_confirmation: str | None = None


def appointments_for_location(
    db: Database,
    tenant_id: str,
    location_id: str,
    start: datetime,
    end: datetime,
    status: str | None = None,
) -> list[AppointmentView]:
    """Appointments at the location overlapping [start, end), by start time (optionally one status)."""
    start_text = arguments.moment(start, "start")
    end_text = arguments.moment(end, "end")
    if end_text <= start_text:
        raise InvalidQuery(f"end ({end.isoformat()}) must be after start ({start.isoformat()})")
    where = "tenant_id = %s AND location_id = %s AND start_at < %s AND end_at > %s"
    params: list[Any] = [arguments.tenant(tenant_id), location_id, end_text, start_text]
    if arguments.choice(status, "status", STATUSES) is not None:
        where += " AND status = %s"
        params.append(status)
    return _select(db, where + " ORDER BY start_at, appointment_id", params)


def appointments_of_lead(db: Database, tenant_id: str, lead_id: str) -> list[AppointmentView]:
    """Every appointment a lead ever booked, by start time."""
    return _select(
        db,
        "tenant_id = %s AND lead_id = %s ORDER BY start_at, appointment_id",
        [arguments.tenant(tenant_id), lead_id],
    )


def _select(db: Database, where: str, params: list[Any]) -> list[AppointmentView]:
    with db.transaction() as cur:
        cur.execute(f"SELECT {', '.join(_COLUMNS)} FROM {_TABLE} WHERE {where}", params)
        rows = cur.fetchall()
    views = []
    for row in rows:
        values = dict(zip(_COLUMNS, row, strict=True))
        for name in _TIMES:
            values[name] = parse_instant(values[name])
        values["services"] = msgspec.json.decode(values["services"], type=list[BookedService])
        views.append(AppointmentView(**values))
    return views
