"""Which worker processes are alive: each beats into `worker_beats`, and a lease names its worker.

A lease (an inbox claim, a tenant's poll lock, a touch claim) used to be the only sign of life: a worker
SIGKILLed while holding one kept it until the lease ran out, 5 or 10 minutes later. Now every process
that runs worker threads has a `worker_id`, writes its last beat every `BEAT_EVERY`, and records its id
on the leases it takes; a lease whose worker has not beaten for `DEAD_AFTER` may be taken over at once,
while a lease of a live worker is respected until it ends. The lease keeps its length as the upper
bound, so a lease with no known worker (taken by a process that runs no worker) behaves as before.

Beats are wall-clock time (`SystemClock`), not the container's clock: the demo moves its clock forward
by days, and that must not make the worker that moved it look dead to itself. Workers on several hosts
compare their own clocks with each other's beats, so hosts are assumed to keep time by NTP (skew far
below the 15 s between `BEAT_EVERY` and `DEAD_AFTER`).

A worker that stops gracefully deletes its row once its jobs in flight have finished: its leases (it
gave each back already, or its job outlived the shutdown bound) may be taken over without waiting.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

from leadorch.adapters.clocks import SystemClock
from leadorch.app.db import Database
from leadorch.ports.clock import Clock

log = logging.getLogger(__name__)

SCHEMA: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS worker_beats (
        worker_id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        beat_at TEXT NOT NULL
    )
    """,
]

BEAT_EVERY = timedelta(seconds=5)
"""How often a worker writes its beat: one small UPDATE, cheap even on SQLite's single writer."""
DEAD_AFTER = timedelta(seconds=20)
"""A worker silent this long is gone. Four missed beats: a busy database or a long GC pause does not
make a live worker look dead, and with the relay's 5 s interval a dead worker's delivery is taken over
well within a minute."""
FORGOTTEN_AFTER = timedelta(days=1)
"""Rows of workers dead this long are deleted when a worker starts (one row per process ever started)."""


def beat_text(moment: datetime) -> str:
    """The stored form of a beat: UTC with microseconds and `Z`, whose text order is time order."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def owner_gone_sql(column: str) -> str:
    """A SQL condition: `column` names a worker with no beat at or after the one `%s` parameter it takes
    (pass `WorkerLiveness.dead_before()`). A lease with no owner (NULL) is never gone by this test."""
    return (
        f"({column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM worker_beats"
        f" WHERE worker_beats.worker_id = {column} AND worker_beats.beat_at >= %s))"
    )


class WorkerLiveness:
    """This process's worker id and heartbeat, and whether another worker is alive.

    `worker_id` is None until `start()` (or `register()`): a process that runs no worker (the API beside
    Redis-backed workers, an operator command) takes leases that name no owner.
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.worker_id: str | None = None
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self) -> str:
        """Take a worker id and write its first beat (before any lease can name it); forget long-dead ones."""
        worker_id = uuid.uuid4().hex
        now = self.clock.now()
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM worker_beats WHERE beat_at < %s", (beat_text(now - FORGOTTEN_AFTER),))
            cur.execute(
                "INSERT INTO worker_beats (worker_id, host, pid, started_at, beat_at) VALUES (%s, %s, %s, %s, %s)",
                (worker_id, socket.gethostname(), os.getpid(), beat_text(now), beat_text(now)),
            )
        self.worker_id = worker_id
        return worker_id

    def beat(self) -> None:
        """Record that this worker is alive now."""
        if self.worker_id is None:
            raise RuntimeError("a worker beats only after register()")
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE worker_beats SET beat_at = %s WHERE worker_id = %s",
                (beat_text(self.clock.now()), self.worker_id),
            )

    def start(self) -> None:
        """Register and beat every `BEAT_EVERY` on a thread of its own until `stop()`."""
        if self._thread is not None:
            return
        self.register()
        self._stop_event.clear()
        self._thread = threading.Thread(target=self._run, name="leadorch-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and delete this worker's row: call once its jobs in flight have finished."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop_event.set()
        thread.join(timeout=5)
        try:
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM worker_beats WHERE worker_id = %s", (self.worker_id,))
        except Exception:  # the database going away at shutdown: the row simply ages out
            log.warning("worker %s could not delete its beat", self.worker_id, exc_info=True)
        self.worker_id = None

    def _run(self) -> None:
        failing = False
        while not self._stop_event.wait(BEAT_EVERY.total_seconds()):
            try:
                self.beat()
                if failing:
                    log.info("worker %s beats again", self.worker_id)
                failing = False
            except Exception:  # a database restart: beat again next time; say so once
                if not failing:
                    log.warning("worker %s could not write its beat", self.worker_id, exc_info=True)
                failing = True

    # ------------------------------------------------------------------------------------- reads

    def dead_before(self) -> str:
        """The parameter for `owner_gone_sql`: a worker whose last beat is older than this is gone."""
        return beat_text(self.clock.now() - DEAD_AFTER)

    def is_alive(self, worker_id: str) -> bool:
        """Whether `worker_id` has beaten within `DEAD_AFTER` (a deleted or unknown worker is not)."""
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT 1 FROM worker_beats WHERE worker_id = %s AND beat_at >= %s",
                (worker_id, self.dead_before()),
            )
            return cur.fetchone() is not None
