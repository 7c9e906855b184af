"""Speed-to-lead per lead, from the `funnel` read model, and how it spreads over a few time buckets.

The funnel query gives p50/p95 per location and day; a median over a date range and a distribution
need every lead's own value, which `funnel_leads.speed_to_lead_ms` holds (webhook received → first
touch accepted by a provider).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from leadorch.app.db import Database
from leadorch.app.projections.funnel import FUNNEL_LEADS
from leadorch.app.projections.tables import LIVE_PREFIX
from leadorch.app.readmodels import arguments
from leadorch.app.readmodels.errors import InvalidQuery
from leadorch.app.readmodels.funnel import percentile

_TABLE = FUNNEL_LEADS.physical(LIVE_PREFIX)
_SECOND = 1000
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE


@dataclass(frozen=True)
class Bucket:
    """Leads first reached within [low_ms, high_ms) after they arrived (high None: no upper bound)."""

    label: str
    low_ms: int
    high_ms: int | None

    def holds(self, ms: int) -> bool:
        return ms >= self.low_ms and (self.high_ms is None or ms < self.high_ms)


BUCKETS: tuple[Bucket, ...] = (
    Bucket("< 1 min", 0, _MINUTE),
    Bucket("1–5 min", _MINUTE, 5 * _MINUTE),
    Bucket("5–15 min", 5 * _MINUTE, 15 * _MINUTE),
    Bucket("15–60 min", 15 * _MINUTE, _HOUR),
    Bucket("1–4 h", _HOUR, 4 * _HOUR),
    Bucket("4–24 h", 4 * _HOUR, 24 * _HOUR),
    Bucket("> 1 day", 24 * _HOUR, None),
)


def speeds_by_location(db: Database, tenant_id: str, day_from: date, day_to: date) -> dict[str, list[int]]:
    """Each location's speed-to-lead values (ms, sorted) for leads received in [day_from, day_to] (local days)."""
    first = arguments.day(day_from, "day_from")
    last = arguments.day(day_to, "day_to")
    if last < first:
        raise InvalidQuery(f"day_to ({last}) is before day_from ({first})")
    with db.transaction() as cur:
        cur.execute(
            f"SELECT location_id, speed_to_lead_ms FROM {_TABLE} "
            "WHERE tenant_id = %s AND day >= %s AND day <= %s AND speed_to_lead_ms IS NOT NULL",
            [arguments.tenant(tenant_id), first, last],
        )
        rows = cur.fetchall()
    found: dict[str, list[int]] = defaultdict(list)
    for location_id, ms in rows:
        found[location_id].append(int(ms))
    return {location: sorted(values) for location, values in sorted(found.items())}


def median_ms(sorted_values: Sequence[int]) -> int | None:
    """The nearest-rank median (the funnel's p50 rule), None when there are no values."""
    return percentile(list(sorted_values), 50)


def distribution(values: Sequence[int]) -> list[tuple[Bucket, int]]:
    """How many values fall in each bucket, in bucket order (every bucket listed, even when empty)."""
    counts = [0] * len(BUCKETS)
    for value in values:
        if value < 0:
            raise ValueError(f"a speed-to-lead cannot be negative, got {value} ms")
        counts[next(i for i, bucket in enumerate(BUCKETS) if bucket.holds(value))] += 1
    return list(zip(BUCKETS, counts, strict=True))
