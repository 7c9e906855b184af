"""Query on the `funnel` read model: per location and day, leads received and how far they got.

Days are the location's local dates (see `leadorch.app.projections.funnel`). A lead counted on its UTC
day and then moved to its local day leaves a row of zeros behind; such rows are left out here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from typing import Any

import msgspec

from leadorch.app.db import Database
from leadorch.app.projections.funnel import FUNNEL_DAILY, FUNNEL_LEADS, STAGES
from leadorch.app.projections.tables import LIVE_PREFIX
from leadorch.app.readmodels import arguments
from leadorch.app.readmodels.errors import InvalidQuery

_DAILY = FUNNEL_DAILY.physical(LIVE_PREFIX)
_LEADS = FUNNEL_LEADS.physical(LIVE_PREFIX)
MAX_DAYS = 400


class FunnelDay(msgspec.Struct, frozen=True, kw_only=True):
    """Of the leads a location received on `day` (its local date there), how many reached each stage.

    Speed-to-lead is webhook received → first touch accepted by a provider, over the leads contacted.
    """

    location_id: str
    day: date
    received: int
    contacted: int
    engaged: int
    booked: int
    lost: int
    opted_out: int
    handed_to_shop: int
    speed_to_lead_p50_ms: int | None
    speed_to_lead_p95_ms: int | None


def funnel(
    db: Database, tenant_id: str, location_id: str | None, day_from: date, day_to: date
) -> list[FunnelDay]:
    """One row per location and day with leads in [day_from, day_to] (inclusive), by location then day."""
    first = arguments.day(day_from, "day_from")
    last = arguments.day(day_to, "day_to")
    if last < first:
        raise InvalidQuery(f"day_to ({last}) is before day_from ({first})")
    if (day_to - day_from).days >= MAX_DAYS:
        raise InvalidQuery(f"a funnel covers at most {MAX_DAYS} days, not {(day_to - day_from).days + 1}")
    where = "tenant_id = %s AND day >= %s AND day <= %s"
    params: list[Any] = [arguments.tenant(tenant_id), first, last]
    if location_id is not None:
        where += " AND location_id = %s"
        params.append(location_id)
    counters = ", ".join(("received", *STAGES))
    with db.transaction() as cur:
        cur.execute(
            f"SELECT location_id, day, {counters} FROM {_DAILY} WHERE {where} AND received > 0", params
        )
        daily = cur.fetchall()
        cur.execute(
            f"SELECT location_id, day, speed_to_lead_ms FROM {_LEADS} "
            f"WHERE {where} AND speed_to_lead_ms IS NOT NULL",
            params,
        )
        speeds: dict[tuple[str, str], list[int]] = defaultdict(list)
        for location, day, speed in cur.fetchall():
            speeds[(location, day)].append(int(speed))
    rows = []
    for location, day, *counts in sorted(daily, key=lambda row: (row[0], row[1])):
        values = sorted(speeds.get((location, day), []))
        rows.append(
            FunnelDay(
                location_id=location,
                day=date.fromisoformat(day),
                **dict(zip(("received", *STAGES), (int(count) for count in counts), strict=True)),
                speed_to_lead_p50_ms=percentile(values, 50),
                speed_to_lead_p95_ms=percentile(values, 95),
            )
        )
    return rows


def percentile(sorted_values: list[int], pct: float) -> int | None:
    """Nearest-rank percentile of already sorted values (None when there are none)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]
