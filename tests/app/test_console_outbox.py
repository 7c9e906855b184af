"""The `outbox` read model: one row per message of every touch, agreeing with the schedules themselves,
and identical whether built event by event, in other batch sizes, or rebuilt from the whole log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from tests.app.test_console_world import ARRIVAL, AUSTIN, TENANT, ConsoleWorld, arrive, build_world

from leadorch.app.console.outbox import messages_of_lead, outbox_messages
from leadorch.app.projections.outbox import OUTBOX, OUTBOX_SCHEDULES, OutboxProjection
from leadorch.app.projections.rebuild import rebuild
from leadorch.app.projections.runner import ReadModelRunner
from leadorch.app.projections.tables import LIVE_PREFIX
from leadorch.app.projections.verify import verify
from leadorch.app.projections.wiring import catch_up
from leadorch.domain import ids
from leadorch.domain.schedule import TouchPointSchedule


@pytest.fixture
def world(database_url: str) -> Iterator[ConsoleWorld]:
    built = build_world(database_url)
    _more_history(built)
    yield built
    built.container.close()


def _more_history(world: ConsoleWorld) -> None:
    """A delivery report on a sent message, and a touch still in flight."""
    store = world.container.store
    jane = store.load(ids.schedule_id(world.leads["Jane"]), TouchPointSchedule, TENANT)
    jane.record_delivery(
        touch_number=1, channel="sms", status="delivered", now=ARRIVAL + timedelta(minutes=1)
    )
    jane.record_delivery(
        touch_number=1, channel="email", status="bounce", error_code="550", now=ARRIVAL + timedelta(minutes=2)
    )
    kim, kim_schedule = arrive(world, "Kim", "Lee", AUSTIN, ARRIVAL + timedelta(hours=2), order="1005")
    kim_schedule.claim_next_touch(now=ARRIVAL + timedelta(hours=2, seconds=5), claim_id="claim-kim-1")
    store.save(jane, kim, kim_schedule)
    catch_up(world.container)


def _table(world: ConsoleWorld, table: Any) -> list[tuple[Any, ...]]:
    with world.container.db.transaction() as cur:
        cur.execute(
            f"SELECT {', '.join(table.column_names)} FROM {table.physical(LIVE_PREFIX)} "
            f"ORDER BY {', '.join(table.key)}"
        )
        return [tuple(row) for row in cur.fetchall()]


def test_every_message_of_every_schedule_is_a_row_with_its_outcome(world: ConsoleWorld) -> None:
    store, db = world.container.store, world.container.db
    for name, lead_id in world.leads.items():
        schedule = store.load(ids.schedule_id(lead_id), TouchPointSchedule, TENANT)
        expected = {
            (record.number, str(channel)): (
                str(record.outcomes.get(channel, "in_flight")),
                record.provider_message_ids.get(channel),
                record.delivery.get(channel),
            )
            for record in schedule.touches
            for channel in record.channels
        }
        shown = {
            (m.touch_number, m.channel): (m.status, m.provider_message_id, m.delivery_status)
            for m in messages_of_lead(db, TENANT, lead_id)
        }
        assert shown == expected, name
    kim = messages_of_lead(db, TENANT, world.leads["Kim"])
    assert [(m.status, m.settled_at) for m in kim] == [("in_flight", None), ("in_flight", None)]
    jane = {m.channel: m for m in messages_of_lead(db, TENANT, world.leads["Jane"])}
    assert (jane["email"].delivery_status, jane["email"].delivery_error) == ("bounce", "550")
    assert messages_of_lead(db, "othertint", world.leads["Jane"]) == []


def test_the_tenant_outbox_is_newest_first_and_filters(world: ConsoleWorld) -> None:
    db = world.container.db
    everything = outbox_messages(db, TENANT)
    assert [m.claimed_at for m in everything] == sorted((m.claimed_at for m in everything), reverse=True)
    assert len(everything) == 11
    assert {m.lead_id for m in outbox_messages(db, TENANT, status="in_flight")} == {world.leads["Kim"]}
    assert len(outbox_messages(db, TENANT, channel="sms", location_id="dallas")) == 1
    assert [m.first_name for m in outbox_messages(db, TENANT, status="failed")] == ["Maria"]
    assert len(outbox_messages(db, TENANT, limit=3, offset=9)) == 2


def test_the_outbox_rebuilt_from_the_log_equals_the_one_built_as_events_arrived(world: ConsoleWorld) -> None:
    container = world.container
    live = (_table(world, OUTBOX), _table(world, OUTBOX_SCHEDULES))
    assert len(live[0]) == 11

    assert verify(container.db, container.store, [OutboxProjection()]) == []
    rebuild(container.db, container.store, [OutboxProjection()], batch_size=3)
    assert (_table(world, OUTBOX), _table(world, OUTBOX_SCHEDULES)) == live

    one_by_one = ReadModelRunner(
        container.db, container.store, [OutboxProjection()], prefix="scratch_one_", batch_size=1
    )
    one_by_one.reset()
    try:
        one_by_one.catch_up()
        with container.db.transaction() as cur:
            columns = ", ".join(OUTBOX.column_names)
            cur.execute(f"SELECT {columns} FROM scratch_one_outbox ORDER BY {', '.join(OUTBOX.key)}")
            assert [tuple(row) for row in cur.fetchall()] == live[0]
    finally:
        one_by_one.drop()
