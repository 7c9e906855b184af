"""Query on the `ingest_log` read model: the CRM orders we were shown, newest first, with reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from leadorch.app.db import Database
from leadorch.app.projections.ingest_log import INGEST_LOG
from leadorch.app.projections.tables import LIVE_PREFIX, parse_instant
from leadorch.app.readmodels import arguments

_TABLE = INGEST_LOG.physical(LIVE_PREFIX)
_COLUMNS = (
    "order_id",
    "location_id",
    "updated_date",
    "source",
    "accepted",
    "outcome",
    "reasons",
    "lead_id",
    "seen_at",
)


class IngestEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One version of one CRM order and what was decided about it."""

    order_id: str
    location_id: str
    updated_date: datetime
    source: str
    accepted: bool
    outcome: str
    reasons: list[str]
    lead_id: str | None
    seen_at: datetime


def ingest_log(
    db: Database,
    tenant_id: str,
    limit: int = 100,
    *,
    order_id: str | None = None,
    accepted: bool | None = None,
    crm_location_id: str | None = None,
    offset: int = 0,
) -> list[IngestEntry]:
    """The tenant's order versions, most recently seen first (optionally one order, one CRM location, or
    only accepted/rejected ones)."""
    where = "tenant_id = %s"
    params: list[Any] = [arguments.tenant(tenant_id)]
    if crm_location_id is not None:
        where += " AND location_id = %s"
        params.append(crm_location_id)
    if order_id is not None:
        where += " AND order_id = %s"
        params.append(order_id)
    if accepted is not None:
        where += " AND accepted = %s"
        params.append(bool(accepted))
    limit, offset = arguments.page(limit, offset)
    with db.transaction() as cur:
        cur.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM {_TABLE} WHERE {where} "
            "ORDER BY seen_at DESC, intake_id, version DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        rows = cur.fetchall()
    return [
        IngestEntry(
            order_id=row[0],
            location_id=row[1],
            updated_date=parse_instant(row[2]),  # type: ignore[arg-type]
            source=row[3],
            accepted=bool(row[4]),
            outcome=row[5],
            reasons=msgspec.json.decode(row[6]),
            lead_id=row[7],
            seen_at=parse_instant(row[8]),  # type: ignore[arg-type]
        )
        for row in rows
    ]
