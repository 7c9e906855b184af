"""Crash and resume: a projection stopped mid-stream (a batch that fails, a process killed) resumes where
its last committed batch ended and ends with exactly the tables a clean rebuild gives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.support.projection_history import write_history

from leadorch.app.bootstrap import Container
from leadorch.app.projections.batch import Batch
from leadorch.app.projections.daemon import ProjectionDaemon
from leadorch.app.projections.leads import LeadsProjection
from leadorch.app.projections.registry import all_projections
from leadorch.app.projections.runner import ProjectionFailed, ReadModelRunner
from leadorch.app.projections.verify import verify
from leadorch.domain.lead import Lead

ROOT = Path(__file__).resolve().parents[2]


class FailingLeads(LeadsProjection):
    """The leads read model, failing once: on the `fail_on`-th lead registration it handles."""

    def __init__(self, fail_on: int) -> None:
        super().__init__()
        self.fail_on = fail_on
        self.seen = 0

    def handler_for(self, event_type: type) -> Callable[[Any, Batch], None] | None:
        handler = super().handler_for(event_type)
        if event_type is not Lead.Registered or handler is None:
            return handler
        registered = handler

        def failing_once(event: Any, batch: Batch) -> None:
            self.seen += 1
            if self.seen == self.fail_on:
                raise RuntimeError("disk full")
            registered(event, batch)

        return failing_once


def test_a_batch_that_fails_changes_nothing_and_a_restart_resumes_after_the_last_good_one(
    history_container: Container,
) -> None:
    head = write_history(history_container, leads=8)
    failing = ReadModelRunner(
        history_container.db, history_container.store, [FailingLeads(fail_on=5)], batch_size=40
    )

    with pytest.raises(
        ProjectionFailed, match=r"read model leads failed on event #\d+ \(Lead.Registered of .*disk full"
    ):
        failing.catch_up()

    stopped_at = failing.positions()["leads"]
    assert 0 < stopped_at < head
    assert stopped_at % 40 == 0  # only whole batches were committed
    registered_before = [
        n
        for n in history_container.store.recorder.select_notifications(start=1, limit=stopped_at)
        if n.topic.endswith("Lead.Registered")
    ]
    with history_container.db.transaction() as cur:
        cur.execute("SELECT COUNT(*) FROM rm_leads")
        assert cur.fetchone() == (len(registered_before),)
    assert len(registered_before) < 5  # the fifth registration's batch left no trace

    ReadModelRunner(history_container.db, history_container.store, all_projections()).catch_up()

    assert verify(history_container.db, history_container.store, all_projections()) == []


def test_a_projection_process_killed_mid_stream_resumes_to_the_same_tables_as_a_clean_rebuild(
    history_container: Container, database_url: str
) -> None:
    head = write_history(history_container, leads=8)
    script = (
        "import time, sys\n"
        "from leadorch.app.bootstrap import bootstrap\n"
        "from leadorch.app.settings import load_settings\n"
        "from leadorch.app.projections.registry import all_projections\n"
        "from leadorch.app.projections.runner import ReadModelRunner\n"
        f"c = bootstrap(load_settings({{}}, database_url={database_url!r}))\n"
        "r = ReadModelRunner(c.db, c.store, all_projections(), batch_size=5)\n"
        "r.catch_up(progress=lambda position, head: time.sleep(0.01))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT)
    try:
        runner = ReadModelRunner(history_container.db, history_container.store, all_projections())
        deadline = time.monotonic() + 30
        while min(runner.positions().values()) < head // 3:
            assert process.poll() is None, "the projection process ended before it was killed"
            assert time.monotonic() < deadline, "the projection process made no progress"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(10)
    killed_at = runner.positions()

    assert all(0 < position < head for position in killed_at.values())

    runner.catch_up()

    assert runner.lag() == dict.fromkeys(killed_at, 0)
    assert verify(history_container.db, history_container.store, all_projections()) == []


def test_the_daemon_survives_a_failing_batch_and_resumes_once_the_cause_is_gone(
    history_container: Container,
) -> None:
    write_history(history_container, leads=4)
    flaky = FailingLeads(fail_on=2)
    runner = ReadModelRunner(history_container.db, history_container.store, [flaky], batch_size=1000)
    daemon = ProjectionDaemon(runner, poll_interval=0.05)
    daemon.start()
    try:
        _wait_until(lambda: flaky.seen >= 2)
        _wait_until(lambda: daemon.last_error is None and daemon.lag() == {"leads": 0})
    finally:
        daemon.stop()

    assert verify(history_container.db, history_container.store, all_projections()) == []


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not become true in time"
        time.sleep(0.02)
