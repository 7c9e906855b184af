"""The touch engine's background jobs, as the Dramatiq runtime binds them (see `app/worker/runtime.py`).

Ticker choice: a periodic tick (every `tick_interval_seconds`, at most 10 s) reads the `due_touches`
read model and enqueues a dispatch per due touch, rather than delayed Redis messages: the event store
stays the only memory of what is due, and the tick is stateless, so Redis can be flushed or restarted
without losing a touch.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from leadorch.app.touches.dispatch import dispatch_touch
from leadorch.app.touches.lost import mark_lost_leads
from leadorch.app.touches.settle import settle_waiting_emails
from leadorch.app.touches.sweep import sweep_stale_claims
from leadorch.app.touches.tick import TICK_BATCH, tick_interval
from leadorch.app.touches.work_lists import due_touches
from leadorch.app.worker.enqueue import enqueue
from leadorch.app.worker.specs import ActorSpec, PeriodicSpec

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 10.0
"""Often enough that a dead worker's claim (gone 20 s after its last beat) is swept within a minute;
each run reads only the claims in flight, a handful while all is well."""
LOST_INTERVAL_SECONDS = 300.0
EMAIL_WAIT_INTERVAL_SECONDS = 60.0
"""How often uncertain emails whose wait for SendGrid's events is over are settled (`EMAIL_EVENT_WAIT`)."""


def _dispatch(container: Container, tenant_id: str, schedule_id: str) -> None:
    dispatch_touch(container, tenant_id, schedule_id)


def tick_due_touches(container: Container, *, limit: int = TICK_BATCH) -> int:
    """Enqueue `dispatch_touch` for every due touch (up to `limit`); returns how many were enqueued."""
    recent = container.recently_enqueued
    now = container.clock.now()
    enqueued = 0
    for due in due_touches(container.db, now, limit):
        if not recent.first_time((due.schedule_id, due.due_at.isoformat()), time.monotonic()):
            continue
        enqueue(container, DISPATCH_TOUCH, due.tenant_id, due.schedule_id)
        enqueued += 1
    if enqueued:
        log.info("enqueued %d due touches", enqueued)
    return enqueued


def _tick(container: Container) -> None:
    tick_due_touches(container)


def _sweep(container: Container) -> None:
    sweep_stale_claims(container)


def _lost(container: Container) -> None:
    mark_lost_leads(container)


def _waiting_emails(container: Container) -> None:
    settle_waiting_emails(container)


# Time limit above the slowest dispatch (2 channels x 3 attempts x 10 s timeout) and below the
# stale-claim age, so a live dispatch is never swept as uncertain.
DISPATCH_TOUCH = ActorSpec("dispatch_touch", _dispatch, max_retries=3, time_limit_ms=90_000)
TICK_DUE_TOUCHES = ActorSpec("tick_due_touches", _tick, max_retries=0, time_limit_ms=60_000)
SWEEP_STALE_CLAIMS = ActorSpec("sweep_stale_claims", _sweep, max_retries=0, time_limit_ms=120_000)
MARK_LOST_LEADS = ActorSpec("mark_lost_leads", _lost, max_retries=0, time_limit_ms=120_000)
SETTLE_WAITING_EMAILS = ActorSpec(
    "settle_waiting_emails", _waiting_emails, max_retries=0, time_limit_ms=120_000
)

ACTORS = [DISPATCH_TOUCH, TICK_DUE_TOUCHES, SWEEP_STALE_CLAIMS, MARK_LOST_LEADS, SETTLE_WAITING_EMAILS]

PERIODIC = [
    PeriodicSpec(TICK_DUE_TOUCHES.name, tick_interval),
    PeriodicSpec(SWEEP_STALE_CLAIMS.name, lambda _settings: SWEEP_INTERVAL_SECONDS),
    PeriodicSpec(MARK_LOST_LEADS.name, lambda _settings: LOST_INTERVAL_SECONDS),
    PeriodicSpec(SETTLE_WAITING_EMAILS.name, lambda _settings: EMAIL_WAIT_INTERVAL_SECONDS),
]
