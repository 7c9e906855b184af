"""The read-model queries the periodic touch jobs find their work with (never a scan of the event log).

Due touches come from the `due_touches` read model; claims in flight and finished cadences from its
`schedules` table (one row per schedule, kept by the same projection). Each job then loads the
aggregate itself and decides on its current state, so a read model that lags only delays work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadorch.app.db import Database
from leadorch.app.projections.due_touches import SCHEDULES
from leadorch.app.projections.outbox import OUTBOX
from leadorch.app.projections.tables import LIVE_PREFIX, instant
from leadorch.app.readmodels.due_touches import DueTouch, due_touches

_SCHEDULES = SCHEDULES.physical(LIVE_PREFIX)
_OUTBOX = OUTBOX.physical(LIVE_PREFIX)

__all__ = [
    "DueTouch",
    "ScheduleRef",
    "due_touches",
    "finished_schedules",
    "open_schedules_at",
    "schedules_in_flight",
    "uncertain_emails",
]


@dataclass(frozen=True)
class UncertainEmail:
    tenant_id: str
    schedule_id: str
    touch_number: int


def uncertain_emails(db: Database, *, claimed_before: datetime, limit: int = 200) -> list[UncertainEmail]:
    """Touch emails the outbox shows uncertain, claimed before `claimed_before`, oldest first."""
    with db.transaction() as cur:
        cur.execute(
            f"SELECT tenant_id, schedule_id, touch_number FROM {_OUTBOX} WHERE status = 'uncertain' "
            "AND channel = 'email' AND claimed_at <= %s ORDER BY claimed_at LIMIT %s",
            [instant(claimed_before), limit],
        )
        rows = cur.fetchall()
    return [UncertainEmail(tenant_id=row[0], schedule_id=row[1], touch_number=int(row[2])) for row in rows]


@dataclass(frozen=True)
class ScheduleRef:
    tenant_id: str
    schedule_id: str
    lead_id: str


def schedules_in_flight(db: Database, limit: int = 500) -> list[ScheduleRef]:
    """Schedules with a touch claimed and not yet resolved."""
    return _refs(db, "claimed_touch IS NOT NULL", [], limit)


def finished_schedules(db: Database, finished_before: datetime, limit: int = 500) -> list[ScheduleRef]:
    """Schedules whose every touch is done, still open (not stopped), finished before the given instant."""
    return _refs(
        db,
        "finished_at IS NOT NULL AND stop_reason IS NULL AND finished_at <= %s",
        [instant(finished_before)],
        limit,
    )


def open_schedules_at(
    db: Database, tenant_id: str, location_id: str, *, after: str = "", limit: int = 500
) -> list[ScheduleRef]:
    """The location's cadences still running (neither stopped nor finished; paused or with a touch in
    flight too), in schedule id order from after `after`: those a change of its sending terms reaches.

    Read only when a location's terms changed (rare), so it filters the table rather than keeping an
    index for it."""
    return _refs(
        db,
        "tenant_id = %s AND location_id = %s AND stop_reason IS NULL AND finished_at IS NULL "
        "AND schedule_id > %s",
        [tenant_id, location_id, after],
        limit,
    )


def _refs(db: Database, condition: str, params: list[object], limit: int) -> list[ScheduleRef]:
    with db.transaction() as cur:
        cur.execute(
            f"SELECT tenant_id, schedule_id, lead_id FROM {_SCHEDULES} WHERE {condition} "
            "ORDER BY schedule_id LIMIT %s",
            [*params, limit],
        )
        rows = cur.fetchall()
    return [ScheduleRef(tenant_id=row[0], schedule_id=row[1], lead_id=row[2]) for row in rows]
