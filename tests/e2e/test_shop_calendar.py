"""The shop's own ShopMonkey calendar in every slot the chat offers or books, end to end.

PostgreSQL, the workers (in-memory broker), the ShopMonkey stand-in on a real socket (as treacherous as
ShopMonkey: recurring blocks only through `search_replacement`, its paging traps, filters ignored) and
the chat over HTTP. The demo shop opens Friday 27 November 2026 09:00–18:00 (San Diego, UTC-8); the
customer asks on Wednesday 25th at 09:30 for the Premium Tint Package (two hours).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.conftest import shared_fixtures_dir
from tests.support.chat_world import LOCATION, MANAGER_EMAIL, TIME_ZONE, ChatWorld, chat_servers
from tests.support.services import create_database, drop_database

from leadorch.adapters.shopmonkey_webhook import sign_delivery
from leadorch.app.config.demo_seed import DEMO_CRM_LOCATION
from leadorch.domain.values import LeadStatus

PACIFIC = ZoneInfo(TIME_ZONE)
PREMIUM_HOURS = timedelta(hours=2)
MINA = "5f1b2c3d4e5f607182930t01"
GUS = "5f1b2c3d4e5f607182930t02"
SECRET = "whsec_bGVhZG9yY2gtZml4dHVyZS1zZWNyZXQtMzItYnl0ZXMh"


@pytest.fixture(scope="module")
def servers(pg_admin_url: str) -> Iterator[ChatWorld]:
    url = create_database(pg_admin_url)
    try:
        with chat_servers(url, workers=True) as servers:
            yield servers
    finally:
        drop_database(pg_admin_url, url)


@pytest.fixture
def world(servers: ChatWorld) -> ChatWorld:
    world = servers.fresh_tenant()
    # One bay, so one appointment at the shop fills a time.
    world.container.config.update_location(world.tenant_id, LOCATION, capacity=1, actor="test")
    return world


def friday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 27, hour, minute, tzinfo=PACIFIC)


def wire(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def fixture_row(name: str) -> dict[str, Any]:
    """A row of the fixtures' day (Tuesday 24th) by its name, with the demo store's location."""
    listed = json.loads((shared_fixtures_dir() / "appointment-list.json").read_text())["data"]
    pages = json.loads((shared_fixtures_dir() / "appointment-search-replacement.json").read_text())["pages"]
    rows = [*listed, *(row for page in pages for row in page["data"])]
    row = copy.deepcopy(next(row for row in rows if row["name"] == name))
    row["locationId"] = DEMO_CRM_LOCATION
    return row


def staff_book(world: ChatWorld, ident: str, start: datetime, length: timedelta, **changes: Any) -> None:
    """Staff put an appointment on the shop's calendar in ShopMonkey (a phone booking)."""
    row = fixture_row("Ceramic tint - phone booking")
    row.update(id=ident, startDate=wire(start), endDate=wire(start + length), **changes)
    world.shopmonkey.add_appointment(row)


def daily_lunch(world: ChatWorld) -> None:
    """The technicians' recurring lunch, 12:00–13:00 every day (hidden from ShopMonkey's list)."""
    world.shopmonkey.add_appointment(fixture_row("Lunch"))


def friday_slots(world: ChatWorld) -> list[time]:
    location = world.container.config.location(world.tenant_id, LOCATION)
    found = world.container.booking.open_slots(
        world.tenant_id, location, PREMIUM_HOURS, friday(0), friday(0) + timedelta(days=1)
    )
    return [slot.astimezone(PACIFIC).time() for slot in found]


def offered(reply: dict[str, Any]) -> list[datetime]:
    """The starts of the slot buttons a reply shows, in the shop's local time."""
    return [datetime.fromisoformat(slot["start"]) for slot in reply.get("slots") or []]


def test_a_phone_booking_and_a_recurring_lunch_block_are_never_offered(world: ChatWorld) -> None:
    staff_book(world, "phone-booking-fri", friday(9), PREMIUM_HOURS)
    daily_lunch(world)

    world.say("How much for the premium package?")
    times = world.say("what times do you have Friday?")
    at_lunch = world.say("Book Fri Nov 27, 12:00 PM (2026-11-27T12:00:00-08:00)")
    world.settle()

    # 09:00–11:00 is the phone booking; a two-hour visit from 10:30 to 12:30 would run into lunch.
    assert friday_slots(world) == [time(h, m) for h in range(13, 17) for m in (0, 30)][:7]  # 13:00–16:00
    assert offered(times) and all(start.time() >= time(13) for start in offered(times))
    assert "already taken" in at_lunch["text"] and "appointment" not in at_lunch
    assert world.lead().status is not LeadStatus.BOOKED
    assert world.crm_appointments() == []


def test_a_slot_staff_took_seconds_before_the_customer_picked_it_is_refused_with_alternatives(
    world: ChatWorld,
) -> None:
    world.say("How much for the premium package?")
    times = world.say("what times do you have Friday?")
    chosen = times["slots"][1]
    taken_at = datetime.fromisoformat(chosen["start"])
    staff_book(world, "phone-booking-just-now", taken_at, PREMIUM_HOURS)  # the phone rang meanwhile

    refused = world.say(f"Book {chosen['label']} ({chosen['start']})")
    world.settle()

    assert "already taken" in refused["text"] and "appointment" not in refused
    alternatives = offered(refused)
    assert alternatives and taken_at not in alternatives
    assert world.lead().status is not LeadStatus.BOOKED
    assert world.crm_appointments() == []
    assert list(world.shopmonkey.appointments) == ["phone-booking-just-now"]

    rebooked = world.say(f"Book {refused['slots'][0]['label']} ({refused['slots'][0]['start']})")
    world.settle()
    assert rebooked["appointment"]["label"] == refused["slots"][0]["label"]
    assert len(world.crm_appointments()) == 1


def test_with_shopmonkey_unreachable_no_time_is_offered_and_the_team_is_asked_to_call_back(
    world: ChatWorld,
) -> None:
    world.say("How much for the premium package?")
    world.shopmonkey.rate_limit_next("/v3/appointment/search*", times=1_000, retry_after="3600")
    try:
        asked = world.say("what times do you have Friday?")
        booking = world.say("Book Fri Nov 27, 1:00 PM (2026-11-27T13:00:00-08:00)")
    finally:
        world.shopmonkey.clear_faults()
    world.settle()

    for reply in (asked, booking):
        assert "can't see the shop's calendar" in reply["text"], reply["text"]
        assert "call you back" in reply["text"] and "+16195550100" in reply["text"]
        assert not reply.get("slots") and "appointment" not in reply
    assert asked["handoff"] is True
    assert world.lead().status is not LeadStatus.BOOKED
    assert world.crm_appointments() == []
    alerts = [m for m in world.emails_to(MANAGER_EMAIL) if "calendar" in m.text]
    assert alerts and "call the customer back" in alerts[0].text


def test_with_bookable_technicians_a_chat_booking_goes_to_one_who_is_free_with_technician_ids(
    world: ChatWorld,
) -> None:
    world.container.config.update_location(
        world.tenant_id, LOCATION, technician_ids=[GUS, MINA], actor="test"
    )
    world.shopmonkey.add_fixture_calendar(shared_fixtures_dir())  # lunch for both, Gus's office time
    staff_book(world, "phone-booking-fri", friday(9), PREMIUM_HOURS)  # Mina, 09:00–11:00

    free_before = friday_slots(world)
    world.say("How much for the premium package?")
    world.say("what times do you have Friday?")
    booked = world.say("Book Fri Nov 27, 3:00 PM (2026-11-27T15:00:00-08:00)")
    world.settle()

    # 10:30–12:30 is gone (both at lunch); 09:00 is Gus's while Mina has the phone booking.
    afternoon = [time(h, m) for h in range(13, 17) for m in (0, 30)][:7]  # 13:00–16:00
    assert free_before == [time(9), time(9, 30), time(10), *afternoon]
    # Mina now has 15:00–17:00 and Gus his office time: only 13:00–15:00 is left in the afternoon.
    assert friday_slots(world) == [time(9), time(9, 30), time(10), time(13)]
    assert booked["appointment"]["label"] == "Fri Nov 27, 3:00 PM PST"
    (at_shop,) = world.crm_appointments()
    # Gus is listed first but has office time from 15:00 (a recurring block the list hides): Mina.
    assert at_shop["technicianIds"] == [MINA] and "technicianId" not in at_shop
    (create,) = [
        r
        for r in world.shopmonkey.requests_to("/v3/appointment", "POST")
        if r.json["metadata"]["leadorchAppointmentId"] == booked["appointment"]["id"]
    ]
    assert create.json["technicianIds"] == [MINA]


def calendar_reads(world: ChatWorld) -> int:
    return len(world.shopmonkey.requests_to("/v3/appointment/search", "POST"))


def test_one_calendar_read_serves_a_chat_turn_and_a_booking_reads_it_again(world: ChatWorld) -> None:
    world.say("How much for the premium package?")
    before = calendar_reads(world)

    times = world.say("what times do you have Friday?")
    after_asking = calendar_reads(world)
    world.say("what times do you have Friday?")
    after_asking_again = calendar_reads(world)
    world.say(f"Book {times['slots'][0]['label']} ({times['slots'][0]['start']})")
    world.settle()
    after_booking = calendar_reads(world)
    world.say("what times do you have Friday?")

    assert after_asking - before == 1
    assert after_asking_again == after_asking  # within the cache's life: no new read
    assert after_booking - after_asking_again == 1  # the claim's own read, whatever the cache holds
    assert calendar_reads(world) - after_booking == 1  # our write dropped the cached day


def test_a_staff_change_shopmonkey_announces_by_webhook_is_seen_at_once(world: ChatWorld) -> None:
    world.container.config.set_crm_credentials(world.tenant_id, webhook_secret=SECRET, actor="test")
    world.shopmonkey.take_webhook_events()
    world.say("How much for the premium package?")
    times = world.say("what times do you have Friday?")
    taken = datetime.fromisoformat(times["slots"][0]["start"])
    row = fixture_row("Ceramic tint - phone booking")
    row.update(id="staff-just-now", startDate=wire(taken), endDate=wire(taken + PREMIUM_HOURS))
    world.shopmonkey.staff_add_appointment(row)

    for event in world.shopmonkey.take_webhook_events():
        body = json.dumps(event).encode()
        headers = sign_delivery(SECRET, body, msg_id="msg_calendar_000001", timestamp=world.clock.now())
        answer = world.client.post(f"/webhooks/shopmonkey/{world.tenant_id}", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
    again = world.say("what times do you have Friday?")

    assert taken not in offered(again)
    assert taken.time() not in friday_slots(world)
