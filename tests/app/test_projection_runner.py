"""The runner applies every event exactly once: runners racing over the same read models never count
an event twice, catching up again changes nothing, and the background daemon follows new events."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.support.projection_history import START, read_model_tables, write_history

from leadorch.app.bootstrap import Container
from leadorch.app.projections import positions
from leadorch.app.projections.daemon import ProjectionDaemon
from leadorch.app.projections.registry import all_projections
from leadorch.app.projections.runner import ReadModelRunner
from leadorch.app.projections.verify import verify
from leadorch.app.readmodels.funnel import funnel

ROOT = Path(__file__).resolve().parents[2]


def test_catching_up_twice_applies_nothing_twice(history_container: Container) -> None:
    write_history(history_container, leads=6)
    runner = ReadModelRunner(history_container.db, history_container.store, all_projections(), batch_size=17)
    runner.catch_up()
    before = read_model_tables(history_container)

    assert runner.catch_up() == 0
    assert read_model_tables(history_container) == before


def test_runners_racing_over_the_same_read_models_never_count_an_event_twice(
    history_container: Container,
) -> None:
    write_history(history_container, leads=15)
    errors: list[BaseException] = []

    def race(batch_size: int) -> None:
        try:
            ReadModelRunner(
                history_container.db, history_container.store, all_projections(), batch_size=batch_size
            ).catch_up()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(size,)) for size in (7, 11, 13)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert verify(history_container.db, history_container.store, all_projections()) == []
    received = sum(
        day.received
        for day in funnel(history_container.db, "tint-co", None, START.date(), START.date().replace(month=3))
    )
    assert received == sum(1 for _ in _registered_leads(history_container))


def test_the_daemon_follows_new_events_when_woken_and_reports_its_lag(history_container: Container) -> None:
    runner = ReadModelRunner(history_container.db, history_container.store, all_projections())
    daemon = ProjectionDaemon(runner, poll_interval=30)
    daemon.start()
    try:
        head = write_history(history_container, leads=3)
        assert max(daemon.lag().values()) <= head
        daemon.wake()
        _wait_until(lambda: daemon.lag() == dict.fromkeys(daemon.lag(), 0))
    finally:
        daemon.stop()

    assert not daemon.running
    assert runner.positions() == dict.fromkeys(runner.positions(), head)


def test_a_new_read_model_starts_from_the_beginning_of_the_log(history_container: Container) -> None:
    head = write_history(history_container, leads=2)
    with history_container.db.transaction() as cur:
        positions.forget(cur, ["funnel"])

    runner = ReadModelRunner(history_container.db, history_container.store, all_projections())

    assert runner.positions()["funnel"] == 0
    assert runner.lag()["funnel"] == head


def _registered_leads(container: Container) -> Iterator[object]:
    for notification in container.store.recorder.select_notifications(start=1, limit=100_000):
        if notification.topic.endswith("Lead.Registered"):
            yield notification


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not become true in time"
        time.sleep(0.02)
