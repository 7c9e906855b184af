"""The event store: one `eventsourcing` Application holding every aggregate of every tenant.

One application (not one per aggregate type) so that a use case touching a lead, its schedule and an
appointment saves all their new events in one atomic transaction, with optimistic concurrency on each.
`DATABASE_URL` picks the library's persistence module; the code path is the same for both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Recording, Transcoder

from leadorch.app.db import postgres_env
from leadorch.app.eventstore.codec import build_transcoder
from leadorch.app.settings import sqlite_path

log = logging.getLogger(__name__)

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")


class NotFound(LookupError):
    """No such aggregate for this tenant (another tenant's ids look exactly like missing ones)."""


class ConcurrencyConflict(RuntimeError):
    """A command kept losing optimistic-concurrency races and gave up."""


class EventStore(Application[UUID]):
    """The application whose recorder is the event log every read model is projected from."""

    name = "leadorch"

    def __init__(self, env: dict[str, str] | None = None, *, codec: str = "msgspec") -> None:
        self._codec = codec
        self.after_save: list[Callable[[list[Recording[UUID]]], None]] = []
        super().__init__(env)

    def construct_transcoder(self) -> Transcoder:
        return build_transcoder(self._codec)

    def load(self, aggregate_id: UUID, cls: type[A], tenant_id: str) -> A:
        """Load one aggregate, checking it belongs to `tenant_id` (tenant first, always)."""
        try:
            aggregate = self.repository.get(aggregate_id, projector_func=_replay)
        except AggregateNotFoundError:
            raise NotFound(f"{cls.__name__} {aggregate_id} not found") from None
        if not isinstance(aggregate, cls) or getattr(aggregate, "tenant_id", None) != tenant_id:
            raise NotFound(f"{cls.__name__} {aggregate_id} not found")
        return aggregate

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's `save`, minus its runtime `Protocol` checks on every object saved.

        Those checks (`isinstance` against runtime-checkable protocols) cost more than encoding the
        events; everything saved here is one of our `Aggregate`s (or None, skipped), so the events are
        collected from it directly. Recording, snapshots and notification are the library's own.
        """
        aggregates = [obj for obj in objs if obj is not None]
        if not all(isinstance(obj, Aggregate) for obj in aggregates):
            return super().save(*objs, **kwargs)  # anything else: the library's general path
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in aggregates:
            processing_event.events.extend(obj.collect_events())
            processing_event.aggregates[obj.id] = obj
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """The library's after-save hook: the one place that reacts to saved events (`after_save`).

        `bootstrap()` hangs the projections' wake-up here, so read models follow a save within
        milliseconds. A reaction's failure is logged and never undoes or fails the save: it is committed.
        """
        for reaction in self.after_save:
            try:
                reaction(recordings)
            except Exception:
                log.exception("a reaction to saved events failed; the events are saved")

    def exists(self, aggregate_id: UUID) -> bool:
        return bool(list(self.events.get(aggregate_id, lte=1)))

    def run(self, command: Callable[[], Sequence[Aggregate | None]], *, attempts: int = 5) -> None:
        """Run `command` (load, decide, return the aggregates to save) with optimistic concurrency.

        A lost race (another writer saved the same aggregate version first) retries the whole command
        from a fresh load, a bounded number of times, then raises `ConcurrencyConflict`.
        """
        for attempt in range(attempts):
            aggregates = command()
            try:
                self.save(*aggregates)
                return
            except IntegrityError:
                if attempt == attempts - 1:
                    break
                time.sleep(0.002 * (2**attempt))
        raise ConcurrencyConflict(f"gave up after {attempts} conflicting attempts")

    def decide(self, command: Callable[[], tuple[R, Iterable[Aggregate | None]]], *, attempts: int = 5) -> R:
        """Like `run`, for commands that also return a result."""
        result: list[R] = []

        def wrapped() -> Sequence[Aggregate | None]:
            value, aggregates = command()
            result[:] = [value]
            return list(aggregates)

        self.run(wrapped, attempts=attempts)
        return result[0]


def _replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's projector without its per-event runtime `Protocol` check (costly on every load):
    our stored events are always the library's own mutable-aggregate events."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def event_store_env(database_url: str) -> dict[str, str]:
    if database_url.startswith("sqlite:///"):
        path = sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    env = postgres_env(database_url)
    # No pre-ping: it costs a round trip per call, and the library retries a call whose connection broke.
    env.update(
        {
            "POSTGRES_POOL_SIZE": "10",
            "POSTGRES_MAX_OVERFLOW": "10",
            "APPLICATION_RECORDER_TOPIC": "leadorch.app.eventstore.recorder:GroupCommitRecorder",
        }
    )
    return env


def memory_event_store(*, codec: str = "msgspec") -> EventStore:
    """An event store in this process's memory (the library's POPO persistence): for decision tests only."""
    return EventStore({"PERSISTENCE_MODULE": "eventsourcing.popo"}, codec=codec)


def open_event_store(
    database_url: str, *, codec: str = "msgspec", attempts: int = 5, **extra_env: Any
) -> EventStore:
    """Open the store, creating its tables if missing.

    Processes starting together (the API and the workers) create the same tables and functions at the
    same moment; PostgreSQL then refuses all but one ("tuple concurrently updated"). The losers simply
    try again: by then the schema exists.
    """
    env = event_store_env(database_url)
    env.update({k: str(v) for k, v in extra_env.items()})
    for attempt in range(attempts):
        try:
            return EventStore(env, codec=codec)
        except Exception as exc:  # the library wraps the driver's error; look at what it says
            if attempt == attempts - 1 or not _lost_a_schema_race(exc):
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _lost_a_schema_race(exc: BaseException) -> bool:
    text = f"{exc} {exc.__cause__}"
    return "concurrently" in text or "already exists" in text
