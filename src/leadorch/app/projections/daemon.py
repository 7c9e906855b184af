"""Keeps the read models following the log in the background of a process (API or worker).

One thread per process: it catches up, then sleeps until `wake()` (call it after saving events to
cut the latency) or the poll interval, whichever comes first; the poll is what notices events saved
by other processes. Several processes may run one each: the position locks make sure only one of them
applies any given batch. An error (database down, a handler bug) is logged and retried with back-off;
it never kills the thread, and the positions guarantee nothing was half-applied.
"""

from __future__ import annotations

import logging
import threading

from leadorch.app.observability.metrics import record_projection_lag
from leadorch.app.projections.runner import ReadModelRunner

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0


class ProjectionDaemon:
    """Runs `runner.catch_up()` on a background thread, woken by `wake()` or every `poll_interval`."""

    def __init__(self, runner: ReadModelRunner, *, poll_interval: float = 0.5) -> None:
        if poll_interval <= 0:
            raise ValueError(f"poll interval must be positive, not {poll_interval}")
        self.runner = runner
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="projections", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the batch in progress (it commits or rolls back whole) and end the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """New events were saved: catch up now rather than at the next poll."""
        self._wake.set()

    def catch_up(self) -> int:
        """Catch up synchronously on the calling thread (tests, CLI)."""
        return self.runner.catch_up()

    def lag(self) -> dict[str, int]:
        return self.runner.lag()

    def _run(self) -> None:
        backoff = self.poll_interval
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self._catch_up_until_stopped()
            except Exception as exc:
                self.last_error = str(exc)
                log.exception("projections could not catch up; retrying in %.1f s", backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            self.last_error = None
            backoff = self.poll_interval
            self._wake.wait(self.poll_interval)

    def _catch_up_until_stopped(self) -> None:
        while not self._stopping.is_set():
            step = self.runner.step()
            if step:
                record_projection_lag(self.runner.lag())  # after each batch: what is left behind
            if step == 0:  # nothing after the slowest position: every projection is at the head
                record_projection_lag({p.name: 0 for p in self.runner.projections})
                return
