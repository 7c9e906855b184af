"""An out-of-office email leaves the cadence running, end to end: PostgreSQL, Redis and the Dramatiq
worker threads, the app on a socket, SendGrid's Inbound Parse posting the email (the stand-in's
multipart form over HTTP), and a fake clock. The held touch and the rest of the plan go out after the
customer's return day, in order, one a day; a person's reply still stops everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from tests.support.cadence_driver import CadenceDriver, running_worker
from tests.support.inbound_mail import a_reply, an_out_of_office
from tests.support.redis_process import RedisProcess, redis_process
from tests.support.touch_world import TIME_ZONE, TouchWorld, touch_world

from leadorch.adapters.standins.sendgrid_parse import post_inbound_parse
from leadorch.adapters.standins.server import RunningServer, serve_in_thread
from leadorch.app.http.app import create_app
from leadorch.app.http.webhooks_sendgrid import inbound_parse_url
from leadorch.app.touches.actors import DISPATCH_TOUCH
from leadorch.domain.cadence import DEFAULT_PLAN
from leadorch.domain.values import LeadStatus

AUSTIN = ZoneInfo(TIME_ZONE)
JANE = "Jane Doe <jane.e2e@example.com>"


@pytest.fixture
def redis() -> Iterator[RedisProcess]:
    with redis_process() as server:
        yield server


@pytest.fixture
def world(pg_url: str, redis: RedisProcess) -> Iterator[TouchWorld]:
    with touch_world(pg_url, redis_url=redis.url) as world:
        world.email, world.phone = "jane.e2e@example.com", "+17375551234"
        yield world


@pytest.fixture
def driver(world: TouchWorld) -> Iterator[CadenceDriver]:
    with running_worker(world) as driver:
        yield driver


@pytest.fixture
def app_server(world: TouchWorld) -> Iterator[RunningServer]:
    server = serve_in_thread(create_app(world.container))
    try:
        yield server
    finally:
        server.stop()


def email_in(world: TouchWorld, app: RunningServer, message: object) -> dict[str, str]:
    url = inbound_parse_url(world.container).replace(world.container.settings.public_base_url, app.url)
    response = post_inbound_parse(url, message)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def first_touch(driver: CadenceDriver) -> tuple[str, str]:
    world = driver.world
    lead_id, schedule_id = world.new_lead()
    driver.runtime.send(DISPATCH_TOUCH.name, world.tenant_id, schedule_id)
    driver.wait_for(lambda: world.texts_to(world.phone))
    driver.settle()
    return lead_id, schedule_id


def test_an_out_of_office_holds_the_cadence_until_after_the_return_day_then_it_runs_to_the_end(
    driver: CadenceDriver, app_server: RunningServer
) -> None:
    world = driver.world
    lead_id, schedule_id = first_touch(driver)  # Monday 2 June 2025, 10:00 in Austin
    arrival = world.clock.now().astimezone(AUSTIN).date()

    answer = email_in(
        world, app_server, an_out_of_office("I'm out of the office until Friday, June 13.", sender=JANE)
    )
    driver.run_days(DEFAULT_PLAN.touches[-1].day + 14)

    assert answer["intent"] == "auto_reply"
    schedule = world.schedule(schedule_id)
    days = [record.claimed_at.astimezone(AUSTIN).date() for record in schedule.touches]
    assert [record.number for record in schedule.touches] == list(range(1, 14))
    assert days[0] == arrival and days[1] == date(2025, 6, 14), "touch 2 waits until after June 13"
    planned = [touch.day for touch in DEFAULT_PLAN.touches[1:]]
    assert [(b - a).days for a, b in pairwise(days[1:])] == [b - a for a, b in pairwise(planned)]
    assert schedule.is_finished and not schedule.is_stopped
    assert world.lead(lead_id).status is LeadStatus.CONTACTING  # not engaged: nobody answered
    assert len(world.emails_to(world.email)) == sum(1 for t in DEFAULT_PLAN.touches if "email" in t.channels)


def test_a_reply_after_an_out_of_office_still_stops_the_cadence(
    driver: CadenceDriver, app_server: RunningServer
) -> None:
    world = driver.world
    lead_id, schedule_id = first_touch(driver)
    email_in(world, app_server, an_out_of_office("I'm on vacation until June 6.", sender=JANE))

    driver.run_until(world.clock.now() + timedelta(days=5))
    answer = email_in(world, app_server, a_reply("Back now. Is Saturday morning open?", sender=JANE))
    driver.run_days(DEFAULT_PLAN.touches[-1].day)

    assert answer == {"status": "recorded", "intent": "message"}
    schedule = world.schedule(schedule_id)
    assert [record.number for record in schedule.touches] == [1, 2]  # touch 2 went out on June 7
    assert schedule.touches[1].claimed_at.astimezone(AUSTIN).date() == date(2025, 6, 7)
    assert schedule.is_stopped and world.lead(lead_id).status is LeadStatus.ENGAGED
