"""Dramatiq wiring: the broker, the actors bound to one container, and the worker threads.

Features declare their background jobs as plain functions `fn(container, *args)` in an `ACTORS` list of
`ActorSpec`s (`specs.py`), imported by name in `registry.py`; the runtime binds each to the container and
registers it as a Dramatiq actor on this runtime's broker. With `REDIS_URL` set the broker is Redis (API and worker are
separate processes); without it (the embedded default) Dramatiq's in-memory `StubBroker` is used and the
worker threads run inside the same process, so the demo needs no server.

Feeds (`registry.FEEDS`: factories of threads such as the inbox feed, which turns inbox commits into messages)
start with the worker threads and stop before them.

Periodic jobs (`PeriodicSpec`: due-touch tick, CRM poll, inbox relay, ...) are run by a `Scheduler`
thread that only *enqueues* messages; every job is safe to run twice, because two worker processes each
run a scheduler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, ShutdownNotifications, TimeLimit

from leadorch.app.worker import registry
from leadorch.app.worker.middleware import ActorFailureCounter, JobLogContext
from leadorch.app.worker.specs import ActorSpec, Feed, PeriodicSpec

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

IDLE_POLL_MS = 40

FeedFactory = Callable[["Container"], Feed | None]
"""Listed in `registry.FEEDS`: given the container (whose runtime this is), the feed to run, or None."""


@dataclass
class Runtime:
    container: Container
    broker: dramatiq.Broker
    actors: dict[str, dramatiq.Actor[Any, Any]]
    periodic: list[PeriodicSpec]
    in_process: bool
    feed_factories: list[FeedFactory] = field(default_factory=list)
    _worker: dramatiq.Worker | None = None
    _scheduler: Scheduler | None = None
    _feeds: list[Feed] = field(default_factory=list)
    _extra_threads: list[Any] = field(default_factory=list)

    def send(self, actor_name: str, *args: Any, **kwargs: Any) -> None:
        self.actors[actor_name].send(*args, **kwargs)

    def send_with_options(
        self, actor_name: str, *, args: tuple[Any, ...] = (), delay_ms: int | None = None
    ) -> None:
        self.actors[actor_name].send_with_options(args=args, delay=delay_ms)

    def start_worker(self, *, threads: int = 4, scheduler: bool = True) -> None:
        """Start consuming messages in this process (the worker process, or the embedded default).

        The heartbeat starts first: every lease a job of this process takes names a worker that beats.
        """
        self.container.liveness.start()
        # An idle Redis consumer polls with a backoff capped at `worker_timeout`: that cap is the latency a
        # new job can wait (twice for touch 1: ingestion, then dispatch), traded against idle polling.
        self._worker = dramatiq.Worker(self.broker, worker_threads=threads, worker_timeout=IDLE_POLL_MS)
        self._worker.start()
        if scheduler:
            self._scheduler = Scheduler(self)
            self._scheduler.start()
        for make in self.feed_factories:
            feed = make(self.container)
            if feed is not None:
                feed.start()
                self._feeds.append(feed)

    def join(self, *, timeout_ms: int = 30_000) -> None:
        """Wait until every queued message has been processed (in-memory broker: tests and the demo).

        Jobs may enqueue further jobs (a new lead enqueues its first touch), so the queues are joined
        until a full pass finds them all empty.
        """
        if not isinstance(self.broker, StubBroker) or self._worker is None:
            return
        while True:
            queues = sorted(self.broker.queues)
            for queue_name in queues:
                self.broker.join(queue_name, timeout=timeout_ms, fail_fast=False)
            self._worker.join()
            if (
                all(self.broker.queues[q].qsize() == 0 for q in queues)
                and sorted(self.broker.queues) == queues
            ):
                return

    def stop(self) -> None:
        """Take no new job (the one in flight finishes), then stop what sends to the broker, then it.

        The worker threads stop first: a feed can take a second to notice its stop, and a job it hands
        over meanwhile must wait in Redis for the next worker rather than start during shutdown.
        """
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._worker is not None:
            self._worker.stop(timeout=30_000)
        for feed in self._feeds:  # before the broker closes: they send to it
            feed.stop()
        self._feeds.clear()
        self.broker.close()
        if self._worker is not None:  # its jobs are over: its leases need not wait for it any longer
            self.container.liveness.stop()


class Scheduler(threading.Thread):
    """Enqueues each periodic job at its interval until stopped."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(name="leadorch-scheduler", daemon=True)
        self.runtime = runtime
        self._stop_event = threading.Event()

    def run(self) -> None:
        import time

        settings = self.runtime.container.settings
        next_due = {spec.actor_name: 0.0 for spec in self.runtime.periodic}
        while not self._stop_event.is_set():
            now = time.monotonic()
            for spec in self.runtime.periodic:
                if now >= next_due[spec.actor_name]:
                    try:
                        self.runtime.send(spec.actor_name)
                    except Exception:  # a broker outage must not kill the scheduler
                        log.exception("could not enqueue periodic job %s", spec.actor_name)
                    next_due[spec.actor_name] = now + spec.interval(settings)
            self._stop_event.wait(0.25)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def _middleware() -> list[Any]:
    # The observability middleware comes first: its before-hook runs first and its after-hooks last,
    # so every other middleware's log lines about a job carry the job's ids too.
    return [
        JobLogContext(),
        ActorFailureCounter(),
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(),
    ]


def build_broker(redis_url: str | None) -> dramatiq.Broker:
    if redis_url:
        return RedisBroker(url=redis_url, middleware=_middleware())  # type: ignore[no-untyped-call]
    return StubBroker(middleware=_middleware())


def build_runtime(container: Container, *, broker: dramatiq.Broker | None = None) -> Runtime:
    """Bind every declared actor to `container` on a fresh broker."""
    broker = broker or build_broker(container.settings.redis_url)
    if isinstance(broker, StubBroker):
        broker.emit_after("process_boot")
    actors: dict[str, dramatiq.Actor[Any, Any]] = {}
    for spec in registry.ACTORS:
        actors[spec.name] = _declare(broker, container, spec)
    runtime = Runtime(
        container=container,
        broker=broker,
        actors=actors,
        periodic=list(registry.PERIODIC),
        in_process=isinstance(broker, StubBroker),
        feed_factories=list(registry.FEEDS),
    )
    container.runtime = runtime
    return runtime


def _declare(broker: dramatiq.Broker, container: Container, spec: ActorSpec) -> dramatiq.Actor[Any, Any]:
    def bound(*args: Any, **kwargs: Any) -> None:
        spec.fn(container, *args, **kwargs)  # results are not kept: jobs record what they did as events

    bound.__name__ = spec.name
    bound.__module__ = spec.fn.__module__
    return dramatiq.Actor(
        bound,
        broker=broker,
        actor_name=spec.name,
        queue_name=spec.queue,
        priority=0,
        options={
            "max_retries": spec.max_retries,
            "min_backoff": spec.min_backoff_ms,
            "max_backoff": spec.max_backoff_ms,
            "time_limit": spec.time_limit_ms,
        },
    )
