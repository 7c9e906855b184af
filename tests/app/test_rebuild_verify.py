"""Read models are a pure function of the log: incremental processing, a rebuild from zero and the
aggregates themselves all agree, on SQLite and on PostgreSQL.

The history is long and random: leads arrive around US daylight-saving changes with random sending
windows, plans and time zones (the domain's hypothesis strategies), and live their lives through the
real domain commands (`bench/histories.py`), interleaved in time order. Projections catch up at random
moments with random batch sizes while the history is being written.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from bench.histories import LeadRecord, LeadSetup, interleaved, save_whole_lives
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.domain.strategies import instants_around_dst, sending_windows, touch_plans, zone_names

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.cli import main
from leadorch.app.projections.rebuild import rebuild
from leadorch.app.projections.registry import all_projections
from leadorch.app.projections.runner import ReadModelRunner
from leadorch.app.projections.verify import verify
from leadorch.app.readmodels.appointments import appointments_of_lead
from leadorch.app.readmodels.conversations import conversation
from leadorch.app.readmodels.due_touches import due_touches
from leadorch.app.readmodels.funnel import funnel
from leadorch.app.readmodels.ingest_log import ingest_log
from leadorch.app.readmodels.leads import get_lead
from leadorch.app.settings import load_settings
from leadorch.domain.intake import OrderIntake
from leadorch.domain.lead import Lead
from leadorch.domain.values import Channel

FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    built = bootstrap(load_settings({}, database_url=database_url), clock=AdjustableClock(FAR_FUTURE))
    yield built
    built.close()


@st.composite
def lead_setups(draw: st.DrawFn, *, min_leads: int, max_leads: int) -> list[LeadSetup]:
    """Leads drawn with the domain's strategies: arrivals around DST changes, windows, plans, zones."""
    count = draw(st.integers(min_leads, max_leads))
    setups = []
    for serial in range(1, count + 1):
        reach = draw(st.sampled_from([(True, True), (True, True), (True, False), (False, True)]))
        setups.append(
            LeadSetup(
                serial=serial,
                arrival=draw(instants_around_dst()),
                location_id=draw(st.sampled_from(["san-diego", "brooklyn"])),
                time_zone=draw(zone_names()),
                window=draw(sending_windows()),
                plan=draw(touch_plans()),
                email=reach[0],
                sms=reach[1],
            )
        )
    return setups


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    setups=lead_setups(min_leads=15, max_leads=25),
    rng=st.randoms(use_true_random=False),
    batch_size=st.integers(1, 300),
)
def test_a_long_random_history_gives_the_same_read_models_incrementally_and_rebuilt(
    container: Container, setups: list[LeadSetup], rng: random.Random, batch_size: int
) -> None:
    tenant = f"tenant-{uuid.uuid4().hex[:8]}"  # each example writes a fresh tenant into the same store
    setups = [replace(setup, tenant_id=tenant) for setup in setups]
    live = ReadModelRunner(container.db, container.store, all_projections(), batch_size=batch_size)
    records: list[LeadRecord] = []
    unsaved: dict[object, object] = {}

    def save_now_and_then_and_sometimes_project(changed: list[object]) -> None:
        unsaved.update((aggregate.id, aggregate) for aggregate in changed)  # type: ignore[attr-defined]
        if rng.random() < 0.25:  # several steps of several leads in one transaction, like concurrent work
            container.store.save(*unsaved.values())  # type: ignore[arg-type]
            unsaved.clear()
            if rng.random() < 0.5:
                live.step()

    interleaved(setups, rng, save_now_and_then_and_sometimes_project, records)
    container.store.save(*unsaved.values())  # type: ignore[arg-type]
    live.catch_up()

    assert verify(container.db, container.store, all_projections()) == []
    _assert_read_models_match_the_aggregates(container, tenant, records)

    rebuild(container.db, container.store, all_projections())

    assert verify(container.db, container.store, all_projections()) == []
    _assert_read_models_match_the_aggregates(container, tenant, records)


def _assert_read_models_match_the_aggregates(
    container: Container, tenant: str, records: list[LeadRecord]
) -> None:
    db = container.db
    expected_due = {}
    for record in records:
        lead, schedule = record.lead, record.schedule
        if lead is None:
            assert get_lead(db, tenant, str(record.intake.id)) is None
            continue
        assert schedule is not None
        view = get_lead(db, tenant, str(lead.id))
        assert view is not None
        assert view.status == lead.status.value
        assert view.email_consent == lead.consent[Channel.EMAIL]
        assert view.sms_consent == lead.consent[Channel.SMS]
        assert view.email == lead.contact.email
        assert view.appointment_id == lead.appointment_id
        assert view.automation_paused == lead.automation_paused
        assert view.next_touch_due_at == schedule.next_due_at
        assert view.touches_sent == schedule.sent_count
        if schedule.next_due_at is not None:
            expected_due[str(schedule.id)] = (schedule.next_touch_number, schedule.next_due_at)
        chat = conversation(db, tenant, str(lead.id))
        if record.conversation is not None:
            assert chat is not None
            assert chat.conversation_id == str(record.conversation.id)
            assert chat.customer_messages == record.conversation.customer_messages
            assert chat.handoffs == record.conversation.handoffs
            assert [m.text for m in chat.messages if m.channel == "chat" and m.author == "customer"] == [
                entry.text for entry in record.conversation.entries if type(entry).__name__ == "CustomerLine"
            ]
        shown = {a.appointment_id: a for a in appointments_of_lead(db, tenant, str(lead.id))}
        assert set(shown) == {str(a.id) for a in record.appointments}
        for appointment in record.appointments:
            assert shown[str(appointment.id)].status == appointment.status.value
            assert shown[str(appointment.id)].start_at == appointment.start
            assert (shown[str(appointment.id)].crm_sync == "pending") == appointment.needs_crm_sync

    due = {
        t.schedule_id: (t.touch_number, t.due_at)
        for t in due_touches(db, FAR_FUTURE, 500)
        if t.tenant_id == tenant
    }
    assert due == expected_due

    days = (
        funnel(db, tenant, None, date(2024, 1, 1), date(2025, 2, 1))
        + funnel(db, tenant, None, date(2025, 2, 2), date(2026, 3, 1))
        + funnel(db, tenant, None, date(2026, 3, 2), date(2027, 1, 1))
    )
    leads = [record.lead for record in records if record.lead is not None]
    assert sum(day.received for day in days) == len(leads)
    assert sum(day.lost for day in days) == sum(
        1 for lead in leads if _ever(container, lead.id, Lead.MarkedLost)
    )
    booked = sum(1 for lead in leads if _ever(container, lead.id, Lead.AppointmentBooked))
    assert sum(day.booked for day in days) == booked
    assert sum(day.contacted for day in days) == sum(1 for lead in leads if lead.contacted_at is not None)

    seen = sum(
        1
        for record in records
        for event in container.store.events.get(record.intake.id)
        if isinstance(event, OrderIntake.OrderVersionSeen)
    )
    assert len(ingest_log(container.db, tenant, 500)) == seen


def _ever(container: Container, aggregate_id: object, event_type: type) -> bool:
    return any(isinstance(event, event_type) for event in container.store.events.get(aggregate_id))


# ------------------------------------------------------------------------------------ the commands


@pytest.fixture
def history(container: Container, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Container:
    """A short history, projected, with the CLI pointed at the same database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    save_whole_lives(container.store, 6, start=datetime(2025, 3, 3, 16, tzinfo=UTC))
    ReadModelRunner(container.db, container.store, all_projections()).catch_up()
    return container


def test_verify_prints_every_difference_and_fails_until_a_rebuild_repairs_them_and_status_shows_no_lag(
    history: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    with history.db.transaction() as cur:
        cur.execute("SELECT lead_id, status FROM rm_leads ORDER BY lead_id")
        lead_id, status = cur.fetchall()[0]
        cur.execute("UPDATE rm_leads SET status = 'lost' WHERE lead_id = %s", [lead_id])
        cur.execute("SELECT schedule_id FROM rm_schedules ORDER BY schedule_id")
        (schedule_id,) = cur.fetchall()[0]
        cur.execute("DELETE FROM rm_schedules WHERE schedule_id = %s", [schedule_id])
        cur.execute(
            "INSERT INTO rm_funnel_daily (tenant_id, location_id, day, received) VALUES ('x', 'y', '2020-01-01', 1)"
        )

    assert main(["projections", "verify", "--quiet"]) == 1
    printed = capsys.readouterr().out
    assert f"leads[lead_id={lead_id}]: status: live 'lost' ≠ rebuilt '{status}'" in printed
    assert f"schedules[schedule_id={schedule_id}]: missing from the live table" in printed
    assert (
        "funnel_daily[tenant_id=x, location_id=y, day=2020-01-01]: in the live table but not in the replay"
        in printed
    )
    assert "3 difference(s)" in printed

    assert main(["projections", "rebuild"]) == 0
    rebuilt = capsys.readouterr()
    assert "rebuilt leads up to event #" in rebuilt.out
    assert "rebuild [" in rebuilt.err and "100%" in rebuilt.err  # the progress bar, on stderr

    assert main(["projections", "verify"]) == 0
    assert "no differences: leads, due_touches, appointments, funnel" in capsys.readouterr().out

    head = int(history.store.recorder.max_notification_id() or 0)
    assert main(["projections", "status"]) == 0
    status = capsys.readouterr().out
    assert f"event log head: #{head}" in status
    assert f"leads          at #{head:<10} lag 0" in status


def test_a_rebuild_leaves_the_live_tables_indexed_as_the_schema_makes_them_and_can_run_again(
    history: Container,
) -> None:
    made_by_the_schema = _live_indexes(history)

    rebuild(history.db, history.store, all_projections())
    rebuild(history.db, history.store, all_projections())

    assert _live_indexes(history) == made_by_the_schema
    assert verify(history.db, history.store, all_projections()) == []


def _live_indexes(container: Container) -> set[tuple[str, str]]:
    """(table, index) of every live read-model table, primary keys included."""
    if container.db.dialect == "postgres":
        sql = "SELECT tablename, indexname FROM pg_indexes"
    else:
        sql = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'"
    with container.db.transaction() as cur:
        cur.execute(sql)
        found = {(str(table), str(index)) for table, index in cur.fetchall() if str(table).startswith("rm_")}
    assert len(found) > 20  # every table's primary key and the indexes the queries need
    return found


def test_rebuilding_one_read_model_leaves_the_others_alone(
    history: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    with history.db.transaction() as cur:
        cur.execute("UPDATE rm_leads SET status = 'lost'")
        cur.execute("UPDATE rm_funnel_daily SET received = received + 1")

    assert main(["projections", "rebuild", "leads", "--quiet"]) == 0
    assert main(["projections", "verify", "leads", "funnel", "--quiet"]) == 1

    printed = capsys.readouterr().out
    assert "funnel_daily[" in printed
    assert "leads[" not in printed


def test_an_unknown_read_model_name_or_worker_count_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["projections", "rebuild", "leeds"]) == 2
    assert main(["projections", "verify", "leads", "leeds"]) == 2
    assert main(["projections", "rebuild", "--workers", "0"]) == 2

    errors = capsys.readouterr().err.splitlines()
    assert errors[0] == errors[1]
    assert errors[0].startswith("leadorch: error: no read model named leeds; known: leads, due_touches")
    assert errors[2] == "leadorch: error: --workers must be at least 1, not 0"
