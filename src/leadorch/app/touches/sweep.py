"""Closing claims nobody confirmed: the worker died between claiming a touch and recording its outcome.

Such a touch may or may not have reached the provider, so it is marked *uncertain* and never claimed
again by the cadence: a doubled message is worse than a late one. Each channel it left open is then
settled by its provider (`settle.settle_uncertain`, one settler per channel): a text Twilio says it
took is recorded sent, one it says it never took is re-sent once, and an unanswered question (and,
until SendGrid is asked, every email) stays uncertain, for a late status callback or a person
(`resolve_uncertain`) to settle.

When a claim counts as stale: as soon as the worker that claimed it is known to be gone (it stopped
beating, `claim_workers.py` over `app/worker/liveness.py`), so a killed worker's touch is settled within
a minute; otherwise (its worker still beats, or is not known) only after `STALE_CLAIM_AFTER`, well after
the longest a live dispatch can take (provider timeouts x retries, cut off by the actor's time limit),
so a live dispatch is never swept.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.observability.metrics import TOUCHES
from leadorch.app.touches.claim_workers import ClaimWorkers
from leadorch.app.touches.dispatch import CHANNEL_ORDER
from leadorch.app.touches.settle import settle_uncertain
from leadorch.app.touches.work_lists import schedules_in_flight
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.touches import ClaimedTouch
from leadorch.domain.values import Channel

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

STALE_CLAIM_AFTER = timedelta(minutes=5)
"""The bound for a claim whose worker still beats or is unknown: past the dispatch's own time limit."""


def sweep_stale_claims(container: Container, *, older_than: timedelta = STALE_CLAIM_AFTER) -> int:
    """Mark uncertain every claim older than `older_than`, or whose worker is gone, and settle each of
    its channels with the provider (`settle.settle_uncertain`); returns how many claims were marked."""
    store: EventStore = container.store
    marked = 0
    now = container.clock.now()
    workers = ClaimWorkers(container.db)
    workers.prune(now=now)

    def given_up(claimed: ClaimedTouch) -> bool:
        too_old = claimed.claimed_at <= now - older_than
        return too_old or workers.worker_gone(claimed.claim_id, container.liveness)

    for ref in schedules_in_flight(container.db):

        def command(
            ref_id: str = ref.schedule_id, tenant_id: str = ref.tenant_id
        ) -> tuple[tuple[frozenset[str], ClaimedTouch | None], list[Any]]:
            schedule = store.load(UUID(ref_id), TouchPointSchedule, tenant_id)
            claimed = schedule.claimed
            if claimed is None or not given_up(claimed):
                return (frozenset(), None), []
            pending = schedule.history[claimed.touch_number].pending_channels
            schedule.mark_uncertain(touch_number=claimed.touch_number, now=now)
            return (frozenset(str(channel) for channel in pending), claimed), [schedule]

        try:
            channels, claimed = store.decide(command)
        except NotFound:
            continue
        if claimed is None or not channels:
            continue
        marked += 1
        for channel in channels:
            TOUCHES.labels(channel=channel, outcome="uncertain").inc()
        log.warning("touch of schedule %s claimed but never confirmed: marked uncertain", ref.schedule_id)
        for channel in sorted(channels, key=lambda name: CHANNEL_ORDER.index(Channel(name))):
            try:
                settle_uncertain(container, ref.tenant_id, claimed, Channel(channel))
            except Exception:  # it stays uncertain, shown to staff; the other schedules are still swept
                log.exception("settling touch %d on %s failed", claimed.touch_number, channel)
    return marked
