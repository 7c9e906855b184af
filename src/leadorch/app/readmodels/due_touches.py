"""Query on the `due_touches` read model: what the touch engine should claim next, oldest first."""

from __future__ import annotations

from datetime import datetime

import msgspec

from leadorch.app.db import Database
from leadorch.app.projections.due_touches import DUE_TOUCHES
from leadorch.app.projections.tables import LIVE_PREFIX, parse_instant
from leadorch.app.readmodels import arguments

_TABLE = DUE_TOUCHES.physical(LIVE_PREFIX)


class DueTouch(msgspec.Struct, frozen=True, kw_only=True):
    """A schedule whose next touch may be claimed since `due_at`."""

    schedule_id: str
    tenant_id: str
    lead_id: str
    location_id: str
    touch_number: int
    due_at: datetime


def due_touches(db: Database, now: datetime, limit: int = 100) -> list[DueTouch]:
    """Touches due at or before `now`, across tenants (the engine's work list), earliest first."""
    limit, _ = arguments.page(limit)
    until = arguments.moment(now, "now")
    with db.transaction() as cur:
        cur.execute(
            f"SELECT schedule_id, tenant_id, lead_id, location_id, touch_number, due_at FROM {_TABLE} "
            "WHERE due_at <= %s ORDER BY due_at, schedule_id LIMIT %s",
            [until, limit],
        )
        rows = cur.fetchall()
    return [
        DueTouch(
            schedule_id=row[0],
            tenant_id=row[1],
            lead_id=row[2],
            location_id=row[3],
            touch_number=int(row[4]),
            due_at=parse_instant(row[5]),  # type: ignore[arg-type]
        )
        for row in rows
    ]
