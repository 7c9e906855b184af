"""Closing claims nobody confirmed: the worker died between claiming a touch and recording its outcome.

Such a touch may or may not have reached the provider, so it is marked *uncertain* and never claimed
again: a lost message is better than a doubled one. A late Twilio status callback for it, or a person
(`resolve_uncertain`), settles what happened. A claim only counts as stale well after the longest a
live dispatch can take (provider timeouts x retries, bounded by the actor's time limit).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.observability.metrics import TOUCHES
from leadorch.app.touches.work_lists import schedules_in_flight
from leadorch.domain.schedule import TouchPointSchedule

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

STALE_CLAIM_AFTER = timedelta(minutes=5)


def sweep_stale_claims(container: Container, *, older_than: timedelta = STALE_CLAIM_AFTER) -> int:
    """Mark every claim older than `older_than` uncertain; returns how many were marked."""
    store: EventStore = container.store
    marked = 0
    now = container.clock.now()
    for ref in schedules_in_flight(container.db):

        def command(
            ref_id: str = ref.schedule_id, tenant_id: str = ref.tenant_id
        ) -> tuple[frozenset[str], list[Any]]:
            schedule = store.load(UUID(ref_id), TouchPointSchedule, tenant_id)
            claimed = schedule.claimed
            if claimed is None or claimed.claimed_at > now - older_than:
                return frozenset(), []
            schedule.mark_uncertain(touch_number=claimed.touch_number, now=now)
            return frozenset(str(channel) for channel in claimed.channels), [schedule]

        try:
            channels = store.decide(command)
            if channels:
                marked += 1
                for channel in channels:
                    TOUCHES.labels(channel=channel, outcome="uncertain").inc()
                log.warning(
                    "touch of schedule %s claimed but never confirmed: marked uncertain", ref.schedule_id
                )
        except NotFound:
            continue
    return marked
