"""The sending rules end to end: PostgreSQL, Dramatiq worker threads, the Twilio and SendGrid stand-ins,
a fake clock and a tick 5 seconds after every due time.

A San Diego shop (09:00–20:00 Pacific) and customers with a Miami number: Florida allows 08:00–20:00
Eastern and at most 3 solicitations per 24 hours to one number. Every message's send records why it was
allowed, and the audit says it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from tests.support.cadence_driver import CadenceDriver, running_worker
from tests.support.touch_world import TouchWorld, touch_world

from leadorch.app.audit import lead_history, render_text
from leadorch.domain.cadence import DEFAULT_PLAN
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel

PACIFIC, EASTERN = ZoneInfo("America/Los_Angeles"), ZoneInfo("America/New_York")
MIAMI_NUMBER = "+13055550142"
# Monday 2 June 2025, 19:00 in San Diego: 22:00 in Miami, after both windows for the customer.
MONDAY_7PM_PACIFIC = datetime(2025, 6, 2, 19, 0, tzinfo=PACIFIC).astimezone(UTC)
FIVE_SECONDS = timedelta(seconds=5)


@pytest.fixture
def world(pg_url: str) -> Iterator[TouchWorld]:
    with touch_world(pg_url, start=MONDAY_7PM_PACIFIC, time_zone="America/Los_Angeles") as world:
        world.phone = MIAMI_NUMBER
        yield world


@pytest.fixture
def driver(world: TouchWorld) -> Iterator[CadenceDriver]:
    with running_worker(world, threads=1) as driver:
        driver.tick_latency = FIVE_SECONDS
        yield driver


def texts_sent(schedule: TouchPointSchedule) -> list[datetime]:
    return [
        touch.claimed_at
        for touch in schedule.touches
        if touch.claimed_at is not None and touch.outcomes.get(Channel.SMS) is TouchOutcome.SENT
    ]


def test_miami_numbers_at_a_san_diego_shop_get_nothing_outside_florida_hours_nor_more_than_3_a_day(
    world: TouchWorld, driver: CadenceDriver
) -> None:
    """Four quotes from one Miami number (four leads, four cadences): the cap counts them together."""
    schedules = []
    for minute in range(4):
        world.clock.advance(timedelta(minutes=minute and 1))
        schedules.append(world.new_lead(email=f"miami.{minute}@example.com")[1])
    driver.run_days(DEFAULT_PLAN.touches[-1].day + 8)
    sent_at: list[datetime] = []
    for schedule_id in schedules:
        schedule = world.schedule(schedule_id)
        assert schedule.is_finished, schedule.touches
        for touch in schedule.touches:
            assert touch.claimed_at is not None
            eastern = touch.claimed_at.astimezone(EASTERN).time()
            assert time(8) <= eastern <= time(20), (touch.number, touch.claimed_at.astimezone(EASTERN))
        sent_at += texts_sent(schedule)
    assert len(world.texts_to(MIAMI_NUMBER)) == len(sent_at)
    for moment in sent_at:
        in_24_hours = [s for s in sent_at if moment - timedelta(hours=24) < s <= moment]
        assert len(in_24_hours) <= 3, (moment, sorted(in_24_hours))


def test_an_evening_lead_with_a_5_second_tick_gets_every_touch_on_its_planned_day(
    world: TouchWorld, driver: CadenceDriver
) -> None:
    world.phone = "+16195550142"  # a San Diego number: only the shop's window binds
    world.clock.advance(timedelta(hours=1, minutes=30))  # 20:30 Pacific: the window has closed
    arrival = world.clock.now()
    _, schedule_id = world.new_lead()
    driver.run_days(DEFAULT_PLAN.touches[-1].day + 3)
    schedule = world.schedule(schedule_id)
    assert schedule.is_finished
    days = [
        (touch.claimed_at.astimezone(PACIFIC).date() - arrival.astimezone(PACIFIC).date()).days
        for touch in schedule.touches
        if touch.claimed_at
    ]
    # Touch 1 waits for the morning (day 1), so touch 2 goes a day later; every other touch on its day.
    assert days == [1, 2, *[touch.day for touch in DEFAULT_PLAN.touches[2:]]]
    assert not [
        e
        for e in world.container.store.events.get(UUID(schedule_id))
        if isinstance(e, TouchPointSchedule.TouchRescheduled)
    ]


def test_the_audit_says_why_each_text_was_allowed(pg_url: str) -> None:
    at_16_58 = MONDAY_7PM_PACIFIC - timedelta(hours=2, minutes=2)  # 19:58 in Miami
    with touch_world(pg_url, start=at_16_58, time_zone="America/Los_Angeles") as world:
        world.phone = MIAMI_NUMBER
        lead_id, schedule_id = world.new_lead()
        world.catch_up()
        world.dispatch(schedule_id)
        check_the_proof(world, lead_id, schedule_id)


def check_the_proof(world: TouchWorld, lead_id: str, schedule_id: str) -> None:
    sent = [
        e
        for e in world.container.store.events.get(UUID(schedule_id))
        if isinstance(e, TouchPointSchedule.TouchSent)
    ]
    text = next(e for e in sent if e.channel == "sms")
    proof = text.allowed_by
    assert proof is not None
    assert proof["recipient"]["state"] == "FL" and proof["recipient_zones_used"] == ["America/New_York"]
    assert [row["local_time"][11:16] for row in proof["legal_hours"]] == ["19:58", "19:58"]
    assert proof["location_window"]["local_time"][11:16] == "16:58"
    assert proof["cap"]["count_with_this_one"] == 1 and proof["consent"]["granted"] is True
    audit = render_text(lead_history(world.container.store, lead_id, tenant_id=world.tenant_id))
    assert "allowed: rules " in audit and "FL-501.059 08:00–20:00 (America/New_York: 19:58)" in audit
    assert "solicitation 1 of 3 in 24 h" in audit
