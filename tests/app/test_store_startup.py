"""Processes that start together all open the event store, whoever creates its schema first."""

from __future__ import annotations

import threading

from leadorch.app.eventstore.store import EventStore, open_event_store


def test_many_processes_opening_a_fresh_postgres_store_at_once_all_succeed(pg_url: str) -> None:
    barrier = threading.Barrier(6)
    opened: list[EventStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        barrier.wait()
        try:
            opened.append(open_event_store(pg_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(opened) == 6
    for store in opened:
        assert store.recorder.max_notification_id() in (None, 0)
