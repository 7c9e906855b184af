"""Concurrent writers on one aggregate, on PostgreSQL, through separate event-store connections (as
separate processes would): exactly one save of a version wins, the loser retries from a fresh load
and both changes survive; a writer that keeps losing gives up with `ConcurrencyConflict`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from tests.support.leads import AT, a_lead

from leadorch.app.eventstore.store import ConcurrencyConflict, EventStore, open_event_store
from leadorch.domain import ids
from leadorch.domain.lead import Lead


@pytest.fixture
def stores(pg_url: str) -> Iterator[Callable[[], EventStore]]:
    """Opens independent event stores on one database (each with its own connections)."""
    opened: list[EventStore] = []

    def open_one() -> EventStore:
        store = open_event_store(pg_url)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


def run_together(*commands: Callable[[], object]) -> list[object]:
    results: list[object] = [None] * len(commands)

    def run(index: int) -> None:
        try:
            results[index] = commands[index]()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_writers_on_one_lead_both_succeed_because_the_loser_retries_from_a_fresh_load(
    stores: Callable[[], EventStore],
) -> None:
    lead = a_lead().registered()
    stores().save(lead)
    both_loaded = threading.Barrier(2, timeout=10)
    attempts: dict[str, int] = {"staff": 0, "assistant": 0}

    def flag(store: EventStore, who: str) -> Callable[[], None]:
        def command() -> list[Lead]:
            attempts[who] += 1
            current = store.load(lead.id, Lead, "tint-co")
            current.flag_for_staff(reason=f"asked by {who}", at=AT + timedelta(minutes=1))
            if attempts[who] == 1:
                both_loaded.wait()  # both hold version 1 before either saves
            return [current]

        return lambda: store.run(command)

    results = run_together(flag(stores(), "staff"), flag(stores(), "assistant"))

    assert results == [None, None]
    assert sorted(attempts.values()) == [1, 2]  # one won at once, the other lost once and retried
    final = stores().load(lead.id, Lead, "tint-co")
    assert final.version == 3
    assert sorted(final.staff_flags) == ["asked by assistant", "asked by staff"]


def test_importing_the_same_order_twice_at_once_makes_one_lead(stores: Callable[[], EventStore]) -> None:
    both_decided = threading.Barrier(2, timeout=10)
    created: list[bool] = []

    def import_order(store: EventStore) -> Callable[[], None]:
        def command() -> list[Lead]:
            if store.exists(ids.lead_id("tint-co", "o-7")):
                created.append(False)
                return []
            lead = a_lead(order="o-7").registered()
            if not created:
                both_decided.wait()
            created.append(True)
            return [lead]

        return lambda: store.run(command)

    assert run_together(import_order(stores()), import_order(stores())) == [None, None]

    assert created.count(True) == 2  # both decided to create...
    assert created.count(False) == 1  # ...the loser's retry found the winner's lead
    assert list(stores().events.get(ids.lead_id("tint-co", "o-7")))[-1].originator_version == 1


def test_a_writer_that_keeps_losing_gives_up_with_a_concurrency_conflict(
    stores: Callable[[], EventStore],
) -> None:
    lead = a_lead().registered()
    loser, rival = stores(), stores()
    loser.save(lead)
    attempts = 0

    def always_overtaken() -> list[Lead]:
        nonlocal attempts
        attempts += 1
        mine = loser.load(lead.id, Lead, "tint-co")
        mine.flag_for_staff(reason="mine", at=AT)
        theirs = rival.load(lead.id, Lead, "tint-co")
        theirs.flag_for_staff(reason=f"theirs {attempts}", at=AT)
        rival.save(theirs)  # another process gets in first, every time
        return [mine]

    with pytest.raises(ConcurrencyConflict, match="gave up after 3 conflicting attempts"):
        loser.run(always_overtaken, attempts=3)

    assert attempts == 3
    assert [f for f in stores().load(lead.id, Lead, "tint-co").staff_flags] == [
        "theirs 1",
        "theirs 2",
        "theirs 3",
    ]
