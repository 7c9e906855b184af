"""Group commit: concurrent writers share transactions, yet each gets back exactly its own outcome.

The combiners (threads: `GroupCommit`; an event loop: `GroupCommitWriter`) are exercised with a recording `commit_batch` (what a transaction would do), then the event
store's recorder on real PostgreSQL: many threads saving at once are committed in fewer transactions,
every event gets its notification id, and a save that loses an optimistic-concurrency race inside a
batch fails alone while the others in its batch are stored.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest
from eventsourcing.persistence import IntegrityError
from tests.support.leads import AT, a_lead

from leadorch.app.eventstore.recorder import GroupCommitRecorder
from leadorch.app.eventstore.store import open_event_store
from leadorch.app.group_commit import GroupCommit, GroupCommitWriter


class Refused(Exception):
    pass


def run_threads(count: int, target: object) -> list[object]:
    results: list[object] = [None] * count
    start = threading.Barrier(count, timeout=10)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = target(index)  # type: ignore[operator]
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a writer never came back"
    return results


def test_each_writer_gets_its_own_result_and_concurrent_writers_share_batches() -> None:
    batches: list[list[int]] = []

    def commit_batch(items: Sequence[int]) -> list[int | BaseException]:
        batches.append(list(items))
        time.sleep(0.01)  # a transaction's round trips: others queue meanwhile
        return [item * 10 for item in items]

    group = GroupCommit[int, int](commit_batch)
    results = run_threads(24, lambda i: group.submit(i))

    assert results == [i * 10 for i in range(24)]
    assert sorted(item for batch in batches for item in batch) == list(range(24)), "each item once"
    assert len(batches) < 24, "writers arriving together must share transactions"
    assert group.requests == 24 and group.batches == len(batches)


def test_an_outcome_that_is_an_exception_is_raised_by_its_own_writer_only() -> None:
    def commit_batch(items: Sequence[int]) -> list[int | BaseException]:
        return [Refused(f"item {item}") if item % 3 == 0 else item for item in items]

    group = GroupCommit[int, int](commit_batch)
    results = run_threads(12, lambda i: group.submit(i))

    for index, result in enumerate(results):
        if index % 3 == 0:
            assert isinstance(result, Refused) and str(result) == f"item {index}"
        else:
            assert result == index


def test_a_failing_batch_fails_each_of_its_writers_and_the_next_batch_still_runs() -> None:
    calls = 0

    def commit_batch(items: Sequence[int]) -> list[int | BaseException]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise Refused("the database went away")
        return list(items)

    group = GroupCommit[int, int](commit_batch)
    with pytest.raises(Refused, match="went away"):
        group.submit(1)
    assert group.submit(2) == 2


def test_batches_never_exceed_their_limit() -> None:
    sizes: list[int] = []

    def commit_batch(items: Sequence[int]) -> list[int | BaseException]:
        sizes.append(len(items))
        time.sleep(0.005)
        return list(items)

    group = GroupCommit[int, int](commit_batch, max_batch=3)
    assert run_threads(16, lambda i: group.submit(i)) == list(range(16))
    assert max(sizes) <= 3


def test_the_postgres_store_group_commits_concurrent_saves_with_their_own_notification_ids(
    pg_url: str,
) -> None:
    store = open_event_store(pg_url)
    try:
        recorder = store.recorder
        assert isinstance(recorder, GroupCommitRecorder)
        leads = [a_lead(order=f"o-{i}").registered() for i in range(32)]

        def save(index: int) -> list[int]:
            recordings = store.save(leads[index])
            return [r.notification.id for r in recordings]

        results = run_threads(32, save)

        ids = [i for result in results for i in result]  # type: ignore[union-attr]
        assert len(ids) == len(set(ids)) == 32, results
        for index, result in enumerate(results):
            (notification_id,) = result  # type: ignore[misc]
            stored = store.recorder.select_notifications(start=notification_id, limit=1)[0]
            assert stored.originator_id == leads[index].id, "each save got its own event's id"
        assert recorder.group.requests >= 32
        assert store.repository.get(leads[7].id).crm_order_id == "o-7"
    finally:
        store.close()


def test_a_save_that_loses_a_race_inside_a_batch_fails_alone(pg_url: str) -> None:
    store = open_event_store(pg_url)
    try:
        recorder = store.recorder
        assert isinstance(recorder, GroupCommitRecorder)
        winner, others = (
            a_lead(order="o-win").registered(),
            [a_lead(order=f"o-{i}").registered() for i in range(3)],
        )
        store.save(winner)
        stale = store.repository.get(winner.id)
        fresh = store.repository.get(winner.id)
        fresh.record_reply(channel="sms", text="yes please", at=AT)
        store.save(fresh)
        stale.record_reply(channel="email", text="saved second", at=AT)
        mapper = store.mapper
        conflicting = [mapper.to_stored_event(e) for e in stale.collect_events()]
        fine = [[mapper.to_stored_event(e) for e in other.collect_events()] for other in others]

        outcomes = recorder._commit_batch([fine[0], conflicting, fine[1], fine[2]])

        assert isinstance(outcomes[1], IntegrityError)
        for index in (0, 2, 3):
            assert not isinstance(outcomes[index], BaseException) and len(outcomes[index]) == 1
        for other in others:
            assert store.repository.get(other.id).crm_order_id == other.crm_order_id
    finally:
        store.close()


# ------------------------------------------------------------------- the event loop's writer


def test_the_writer_settles_each_awaiting_request_with_its_own_outcome_in_shared_batches() -> None:
    batches: list[list[int]] = []

    def commit_batch(items: Sequence[int]) -> list[int | BaseException]:
        batches.append(list(items))
        time.sleep(0.005)
        return [Refused(str(item)) if item == 7 else item * 2 for item in items]

    writer = GroupCommitWriter[int, int](commit_batch)

    async def submit_all() -> list[object]:
        return await asyncio.gather(*(writer.submit(i) for i in range(40)), return_exceptions=True)

    try:
        results = asyncio.run(submit_all())
    finally:
        writer.close()

    assert [r for i, r in enumerate(results) if i != 7] == [i * 2 for i in range(40) if i != 7]
    assert isinstance(results[7], Refused)
    assert sorted(item for batch in batches for item in batch) == list(range(40))
    assert len(batches) < 40 and writer.requests == 40


def test_a_failing_batch_is_raised_to_each_of_its_requests_and_the_writer_goes_on() -> None:
    calls = 0

    def commit_batch(items: Sequence[int]) -> list[int | BaseException]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise Refused("connection lost")
        return list(items)

    writer = GroupCommitWriter[int, int](commit_batch)

    async def two_requests() -> tuple[object, object]:
        first = await asyncio.gather(writer.submit(1), return_exceptions=True)
        return first[0], await writer.submit(2)

    try:
        failed, succeeded = asyncio.run(two_requests())
    finally:
        writer.close()
    assert isinstance(failed, Refused) and succeeded == 2


def test_a_closed_writer_refuses_new_work_after_committing_what_it_had() -> None:
    committed: list[int] = []
    writer = GroupCommitWriter[int, int](lambda items: committed.extend(items) or list(items))
    assert asyncio.run(writer.submit(5)) == 5
    writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(writer.submit(6))
    assert committed == [5]
