"""The touch engine's background jobs, as the Dramatiq runtime binds them (see `app/worker/runtime.py`).

Ticker choice: a periodic tick (every `tick_interval_seconds`, at most 10 s) reads the `due_touches`
read model and enqueues a dispatch per due touch, rather than delayed Redis messages: the event store
stays the only memory of what is due, and the tick is stateless, so Redis can be flushed or restarted
without losing a touch.
"""

from __future__ import annotations

from typing import Any

from leadorch.app.touches.dispatch import dispatch_touch
from leadorch.app.touches.lost import mark_lost_leads
from leadorch.app.touches.sweep import sweep_stale_claims
from leadorch.app.touches.tick import DISPATCH_ACTOR, tick_due_touches, tick_interval
from leadorch.app.worker.specs import ActorSpec, PeriodicSpec

SWEEP_INTERVAL_SECONDS = 60.0
LOST_INTERVAL_SECONDS = 300.0


def _dispatch(container: Any, tenant_id: str, schedule_id: str) -> None:
    dispatch_touch(container, tenant_id, schedule_id)


def _tick(container: Any) -> None:
    tick_due_touches(container)


def _sweep(container: Any) -> None:
    sweep_stale_claims(container)


def _lost(container: Any) -> None:
    mark_lost_leads(container)


ACTORS = [
    # Time limit above the slowest dispatch (2 channels x 3 attempts x 10 s timeout) and below the
    # stale-claim age, so a live dispatch is never swept as uncertain.
    ActorSpec(DISPATCH_ACTOR, _dispatch, max_retries=3, time_limit_ms=90_000),
    ActorSpec("tick_due_touches", _tick, max_retries=0, time_limit_ms=60_000),
    ActorSpec("sweep_stale_claims", _sweep, max_retries=0, time_limit_ms=120_000),
    ActorSpec("mark_lost_leads", _lost, max_retries=0, time_limit_ms=120_000),
]

PERIODIC = [
    PeriodicSpec("tick_due_touches", tick_interval),
    PeriodicSpec("sweep_stale_claims", lambda _settings: SWEEP_INTERVAL_SECONDS),
    PeriodicSpec("mark_lost_leads", lambda _settings: LOST_INTERVAL_SECONDS),
]
