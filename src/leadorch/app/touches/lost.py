"""Leads whose whole cadence went out without any answer become *lost*, after a grace period.

The grace leaves time for an answer to the last touch. Marking the lead lost also closes its schedule
(`Stopped`), so the next run does not find it again. A late reply still re-engages a lost lead.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.leads.use_cases import LOST_REASON
from leadorch.app.touches.work_lists import finished_schedules
from leadorch.domain.errors import DomainError
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import DEFAULT_LOST_GRACE, TouchPointSchedule

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)


def mark_lost_leads(container: Container, *, grace: timedelta = DEFAULT_LOST_GRACE) -> int:
    """Mark lost every lead whose cadence finished more than `grace` ago; returns how many."""
    store: EventStore = container.store
    now = container.clock.now()
    lost = 0
    for ref in finished_schedules(container.db, now - grace):

        def command(ref_id: str = ref.schedule_id, tenant_id: str = ref.tenant_id) -> tuple[bool, list[Any]]:
            schedule = store.load(UUID(ref_id), TouchPointSchedule, tenant_id)
            if not schedule.is_lost_due(now, grace):
                return False, []
            lead = store.load(UUID(schedule.lead_id), Lead, tenant_id)
            try:
                lead.mark_lost(reason=LOST_REASON, at=now)
            except DomainError as refused:  # the customer responded, or the shop took over
                schedule.stop(reason=f"finished; not lost: {refused}", now=now)
                return False, [schedule]
            schedule.stop(reason="the lead was marked lost", now=now)
            return True, [lead, schedule]

        try:
            if store.decide(command):
                lost += 1
        except NotFound:
            continue
    if lost:
        log.info("marked %d leads lost", lost)
    return lost
