"""Drives a lead's cadence through the real worker path with a fake clock: tick, wait, jump to the next due.

The tick (`tick_due_touches`) finds due touches in the read model and enqueues `dispatch_touch` on the
runtime's broker (Redis, or the in-memory one), the runtime's worker threads dispatch them, and the
driver waits for the queue to drain. Between ticks it moves the clock to the next due time (plus a few
minutes of tick latency) instead of stepping through every hour, so a 30-day cadence takes seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from dramatiq.brokers.stub import StubBroker

from leadorch.app.readmodels.due_touches import due_touches
from leadorch.app.touches.actors import tick_due_touches
from leadorch.app.worker.runtime import Runtime, build_runtime
from tests.support.touch_world import TouchWorld

TICK_LATENCY = timedelta(minutes=3)


@dataclass
class CadenceDriver:
    world: TouchWorld
    runtime: Runtime
    tick_latency: timedelta = TICK_LATENCY
    """How late after a due time each tick comes (production ticks every 5 s)."""

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until every queued job ran, then bring the read models up to date."""
        if isinstance(self.runtime.broker, StubBroker):
            # `Runtime.join` calls a `join_all` the StubBroker does not have; join its queue directly.
            self.runtime.broker.join("default", timeout=int(timeout * 1000))
        else:
            self.runtime.broker.join("default", timeout=int(timeout * 1000))  # type: ignore[attr-defined]
        self.world.catch_up()

    def tick(self) -> int:
        self.world.catch_up()
        enqueued = tick_due_touches(self.world.container)
        self.settle()
        return enqueued

    def next_due(self) -> datetime | None:
        horizon = self.world.clock.now() + timedelta(days=400)
        rows = [
            row
            for row in due_touches(self.world.container.db, horizon, 500)
            if row.tenant_id == self.world.tenant_id
        ]
        return min((row.due_at for row in rows), default=None)

    def run_until(self, end: datetime) -> None:
        """Tick at every due time up to `end` (each a few minutes late, like a real ticker), then at `end`."""
        clock = self.world.clock
        while True:
            self.tick()
            due = self.next_due()
            if due is None or due + self.tick_latency > end:
                break
            clock.advance(max(due + self.tick_latency - clock.now(), timedelta()))
        if clock.now() < end:
            clock.advance(end - clock.now())
            self.tick()

    def run_days(self, days: float) -> None:
        self.run_until(self.world.clock.now() + timedelta(days=days))

    def wait_for(self, condition: object, timeout: float = 10.0) -> float:
        """Seconds until `condition()` held (raises after `timeout`)."""
        started = time.monotonic()
        while not condition():  # type: ignore[operator]
            if time.monotonic() - started > timeout:
                raise AssertionError(f"condition not met within {timeout} s")
            time.sleep(0.005)
        return time.monotonic() - started


@contextmanager
def running_worker(world: TouchWorld, *, threads: int = 2) -> Iterator[CadenceDriver]:
    """The world's runtime (Redis when the settings name it, else in-memory) with worker threads running."""
    runtime = build_runtime(world.container)
    runtime.start_worker(threads=threads, scheduler=False)
    try:
        yield CadenceDriver(world, runtime)
    finally:
        runtime.stop()
