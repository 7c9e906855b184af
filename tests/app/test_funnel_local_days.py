"""The funnel counts each lead on the date it arrived on its location's clocks, not the UTC date.

A shop manager in Los Angeles looking at "today" expects the lead that came in at 18:00 (01:00 UTC
tomorrow) in today's bar. The zone comes from the lead's `TouchPointSchedule.Started` (the log, not
the configuration), so a rebuild from the log gives the very same rows, whichever of the lead's
registration and its schedule's start the projection sees first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.support.leads import a_lead

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.console.dashboard import tenant_today
from leadorch.app.projections.funnel import FUNNEL_DAILY, FUNNEL_LEADS
from leadorch.app.projections.rebuild import rebuild
from leadorch.app.projections.registry import all_projections
from leadorch.app.projections.tables import LIVE_PREFIX
from leadorch.app.projections.verify import verify
from leadorch.app.projections.wiring import catch_up
from leadorch.app.readmodels.funnel import FunnelDay, funnel
from leadorch.app.settings import load_settings
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule

LOS_ANGELES = "America/Los_Angeles"
TOKYO = "Asia/Tokyo"
JUNE_2 = date(2025, 6, 2)
LA_EVENING = datetime(2025, 6, 2, 18, 0, tzinfo=ZoneInfo(LOS_ANGELES))  # 01:00 UTC on June 3
TOKYO_LATE = datetime(2025, 6, 2, 23, 30, tzinfo=ZoneInfo(TOKYO))  # 14:30 UTC on June 2
TOKYO_MORNING = datetime(2025, 6, 2, 8, 30, tzinfo=ZoneInfo(TOKYO))  # 23:30 UTC on June 1


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    built = bootstrap(
        load_settings({}, database_url=database_url), clock=AdjustableClock(datetime(2025, 7, 1, tzinfo=UTC))
    )
    yield built
    built.close()


def register(order: str, location: str, at: datetime) -> Lead:
    """Maria's lead for `order` at `location`, arriving at `at`."""
    return a_lead(
        order=order, location_id=location, email=f"maria.{order}@example.com", at=at.astimezone(UTC)
    ).registered()


def start_schedule(lead: Lead, time_zone: str) -> TouchPointSchedule:
    """`lead`'s schedule in `time_zone`, started when the lead arrived."""
    return a_lead(time_zone=time_zone).schedule_of(lead, at=lead.received_at)


def arrive(container: Container, order: str, location: str, at: datetime, time_zone: str) -> Lead:
    """A lead and its schedule saved in one transaction, as ingestion saves them."""
    lead = register(order, location, at)
    container.store.save(lead, start_schedule(lead, time_zone))
    return lead


def received_by_day(container: Container, location: str) -> dict[date, int]:
    days = funnel(container.db, "tint-co", location, date(2025, 5, 1), date(2025, 6, 30))
    return {day.day: day.received for day in days}


def everything(container: Container) -> list[FunnelDay]:
    return funnel(container.db, "tint-co", None, date(2025, 5, 1), date(2025, 6, 30))


def stored_days(container: Container) -> list[tuple[object, ...]]:
    """The rows of both funnel tables as stored (zero rows included), to compare live and rebuilt."""
    with container.db.transaction() as cur:
        cur.execute(f"SELECT * FROM {FUNNEL_DAILY.physical(LIVE_PREFIX)} ORDER BY location_id, day")
        daily = [tuple(row) for row in cur.fetchall()]
        cur.execute(f"SELECT * FROM {FUNNEL_LEADS.physical(LIVE_PREFIX)} ORDER BY lead_id")
        return daily + [tuple(row) for row in cur.fetchall()]


def test_a_lead_arriving_at_six_pm_in_los_angeles_counts_on_that_los_angeles_date(
    container: Container,
) -> None:
    arrive(container, "o1", "san-diego", LA_EVENING, LOS_ANGELES)
    catch_up(container)

    assert LA_EVENING.astimezone(UTC).date() == date(2025, 6, 3)
    assert received_by_day(container, "san-diego") == {JUNE_2: 1}


def test_leads_arriving_late_and_early_in_tokyo_count_on_their_tokyo_dates(container: Container) -> None:
    arrive(container, "o1", "shinjuku", TOKYO_LATE, TOKYO)
    arrive(container, "o2", "shinjuku", TOKYO_MORNING, TOKYO)
    catch_up(container)

    assert TOKYO_MORNING.astimezone(UTC).date() == date(2025, 6, 1)
    assert received_by_day(container, "shinjuku") == {JUNE_2: 2}


def test_the_schedule_seen_before_the_registration_gives_the_same_day_and_speed_to_lead(
    container: Container,
) -> None:
    lead = register("o1", "san-diego", LA_EVENING)
    schedule = start_schedule(lead, LOS_ANGELES)
    container.store.save(schedule, lead)  # the schedule's `Started` first in the log
    catch_up(container)
    due = schedule.next_due_at
    assert due == lead.received_at  # 18:00 is inside the sending window
    claimed = schedule.claim_next_touch(now=due, claim_id="c1")
    assert claimed is not None
    schedule.record_sent(
        touch_number=1,
        channel="email",
        provider_message_id="m-1",
        now=due + timedelta(seconds=7),
    )
    container.store.save(schedule)
    catch_up(container)

    [day] = everything(container)
    assert (day.day, day.received) == (JUNE_2, 1)
    assert day.speed_to_lead_p50_ms == 7_000  # the registration found its schedule's row and filled it


def test_a_lead_counted_before_its_schedule_is_seen_moves_with_its_stages_to_the_local_date(
    container: Container,
) -> None:
    lead = register("o1", "san-diego", LA_EVENING)
    lead.record_contacted(at=lead.received_at + timedelta(minutes=1))
    lead.opt_out(channel="sms", reason="STOP", at=lead.received_at + timedelta(minutes=2))
    container.store.save(lead)
    catch_up(container)
    assert [(d.day, d.received, d.contacted, d.opted_out) for d in everything(container)] == [
        (date(2025, 6, 3), 1, 1, 1)  # no zone seen yet: the UTC date
    ]

    container.store.save(start_schedule(lead, LOS_ANGELES))
    catch_up(container)

    assert [(d.day, d.received, d.contacted, d.opted_out) for d in everything(container)] == [
        (JUNE_2, 1, 1, 1)  # the UTC date's row, now all zeros, is not listed
    ]


def test_a_lead_without_a_schedule_still_counts_on_its_utc_date(container: Container) -> None:
    container.store.save(register("o1", "san-diego", LA_EVENING))
    catch_up(container)

    assert received_by_day(container, "san-diego") == {date(2025, 6, 3): 1}


def test_a_rebuild_from_the_log_gives_the_live_local_days_with_no_differences(container: Container) -> None:
    arrive(container, "o1", "san-diego", LA_EVENING, LOS_ANGELES)
    arrive(container, "o2", "shinjuku", TOKYO_LATE, TOKYO)
    arrive(container, "o3", "shinjuku", TOKYO_MORNING, TOKYO)
    late = register("o4", "san-diego", LA_EVENING + timedelta(hours=1))
    late.record_contacted(at=late.received_at + timedelta(minutes=1))
    container.store.save(late)
    catch_up(container)  # counted on its UTC date, then moved when its schedule comes
    container.store.save(start_schedule(late, LOS_ANGELES))
    catch_up(container)
    live_funnel, live_rows = everything(container), stored_days(container)

    assert verify(container.db, container.store, all_projections()) == []
    rebuild(container.db, container.store, all_projections())

    assert verify(container.db, container.store, all_projections()) == []
    assert everything(container) == live_funnel
    assert stored_days(container) == live_rows
    assert {(d.location_id, d.day): d.received for d in live_funnel} == {
        ("san-diego", JUNE_2): 2,
        ("shinjuku", JUNE_2): 2,
    }


def test_the_dashboards_today_is_the_newest_local_date_among_the_tenants_locations(
    container: Container,
) -> None:
    """At 20:00 UTC on 2 June it is already 3 June in Tokyo: a Tokyo lead of this morning must be in range."""
    service = container.config
    service.create_tenant("two-zones", name="Two Zones Tint", actor="test")
    service.create_tenant("no-shops", name="Not Open Yet", actor="test")
    for location, zone in (("la", LOS_ANGELES), ("tokyo", TOKYO)):
        service.add_location(
            "two-zones",
            location,
            name=location,
            crm_location_id=f"crm-{location}",
            time_zone=zone,
            actor="test",
        )
    clock = container.clock
    assert isinstance(clock, AdjustableClock)
    clock.set(datetime(2025, 6, 2, 20, 0, tzinfo=UTC))

    assert tenant_today(container, "two-zones") == date(2025, 6, 3)
    assert tenant_today(container, "no-shops") == date(2025, 6, 2)
