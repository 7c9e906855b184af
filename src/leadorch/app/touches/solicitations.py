"""Solicitations to a number from other cadences: what the cap counts beyond the schedule's own texts.

Florida's and Oklahoma's cap is per number, not per lead: a customer who asked twice (two orders, two
leads) has two cadences texting one phone. The schedule knows its own texts; this adds those of the
tenant's (the solicitor's) other leads with the same number: which leads from the `leads` read model
(by number), their texts from their schedules in the event store, so a text claimed a moment ago counts
even before any read model shows it. Appointment notices and answers are not cadence touches (they are
not solicitations), so they are not counted. Two workers claiming for one number at the same instant
can still each miss the other's claim; the cadence's one-touch-a-day rule keeps that rare.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from leadorch.app.eventstore.store import NotFound
from leadorch.app.projections.leads import LEADS
from leadorch.app.projections.tables import LIVE_PREFIX
from leadorch.domain import ids
from leadorch.domain.schedule import TouchPointSchedule

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

_LEADS = LEADS.physical(LIVE_PREFIX)
LOOK_BACK = timedelta(hours=24)


def other_solicitations(
    container: Container, *, tenant_id: str, lead_id: str, phone: str | None, now: datetime
) -> list[datetime]:
    """When other leads' cadences of `tenant_id` texted `phone` in the `LOOK_BACK` before `now`."""
    if not phone:
        return []
    with container.db.transaction() as cur:
        cur.execute(
            f"SELECT lead_id FROM {_LEADS} WHERE phone = %s AND tenant_id = %s AND lead_id <> %s",
            (phone, tenant_id, lead_id),
        )
        others = [row[0] for row in cur.fetchall()]
    sent: list[datetime] = []
    for other in others:
        try:
            schedule = container.store.load(ids.schedule_id(UUID(other)), TouchPointSchedule, tenant_id)
        except (NotFound, ValueError):
            continue
        sent += [moment for moment in schedule.solicitations() if moment > now - LOOK_BACK]
    return sorted(sent)
