"""Reading the shop's ShopMonkey calendar for a location and a time range, whatever its API hides.

The fixture day is Tuesday 24 November 2026 at the demo store (San Diego, UTC-8): a phone booking with
Mina 09:00–11:00, lunch for Mina and Gus 12:00–13:00 (recurring, daily), a walk-in with no technician
13:30–15:00 and Gus's office time 15:00–17:30 (recurring, weekdays). The list and `/search` hide the two
recurring blocks; only `search_replacement` shows them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from tests.conftest import shared_fixtures_dir

from leadorch.adapters.shopmonkey import ShopMonkeyCrm
from leadorch.adapters.standins.server import serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.ports.crm import CrmUnavailable

pytestmark = pytest.mark.anyio

LOCATION = "6198139a5391fa197fac13e7"
OTHER_LOCATION = "6198139a5391fa197fac1999"
MINA = "5f1b2c3d4e5f607182930t01"
GUS = "5f1b2c3d4e5f607182930t02"
PACIFIC = ZoneInfo("America/Los_Angeles")
DAY_START = datetime(2026, 11, 24, tzinfo=PACIFIC)
DAY_END = datetime(2026, 11, 25, tzinfo=PACIFIC)
PHONE_BOOKING = "66a3bb01b7e4d9a1c2f3f101"
WALK_IN = "66a3bb01b7e4d9a1c2f3f102"
LUNCH = "66a3bb01b7e4d9a1c2f3f1r1"
OFFICE_TIME = "66a3bb01b7e4d9a1c2f3f1r2"


def utc(hour: int, minute: int = 0, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def fake() -> FakeShopMonkey:
    fake = FakeShopMonkey.from_fixtures(shared_fixtures_dir())
    fake.add_fixture_calendar(shared_fixtures_dir())
    return fake


@pytest.fixture
def url(fake: FakeShopMonkey) -> Iterator[str]:
    server = serve_in_thread(fake)
    yield server.url
    server.stop()


@pytest.fixture
async def crm(fake: FakeShopMonkey, url: str) -> AsyncIterator[ShopMonkeyCrm]:
    async def no_wait(_: float) -> None:
        return None

    async with ShopMonkeyCrm(fake.api_key, url, timeout=5.0, max_retries=1, sleep=no_wait) as client:
        yield client


def staff_appointment(ident: str, start: datetime, end: datetime, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": ident,
        "locationId": LOCATION,
        "name": "Staff booking",
        "startDate": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "endDate": end.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "technicianIds": [MINA],
        "recurring": False,
    }
    return row | changes


# --- the port's answer ------------------------------------------------------------------------------


async def test_the_fixture_day_holds_the_bookings_and_both_recurring_blocks_each_once(
    crm: ShopMonkeyCrm,
) -> None:
    entries = await crm.calendar(LOCATION, DAY_START, DAY_END, technician_ids=[MINA, GUS])

    assert [(e.id, e.start, e.end, e.technician_ids, e.recurring) for e in entries] == [
        (PHONE_BOOKING, utc(17), utc(19), (MINA,), False),
        (LUNCH, utc(20), utc(21), (MINA, GUS), True),
        (WALK_IN, utc(21, 30), utc(23), (), False),
        (OFFICE_TIME, utc(23), utc(1, 30, day=25), (GUS,), True),
    ]


async def test_a_technicians_recurring_block_is_seen_only_when_the_technician_is_named(
    crm: ShopMonkeyCrm,
) -> None:
    # Mina is on the day's phone booking, so she is asked for anyway; Gus has only his office time.
    unnamed = await crm.calendar(LOCATION, DAY_START, DAY_END)
    named = await crm.calendar(LOCATION, DAY_START, DAY_END, technician_ids=[GUS])

    assert [e.id for e in unnamed] == [PHONE_BOOKING, LUNCH, WALK_IN]
    assert OFFICE_TIME in [e.id for e in named]


async def test_a_recurring_block_counts_on_every_day_of_a_longer_range(crm: ShopMonkeyCrm) -> None:
    # Its occurrences share the block's id: keeping rows "by id" alone would keep one lunch for the week.
    entries = await crm.calendar(
        LOCATION, DAY_START, DAY_START + timedelta(days=5), technician_ids=[MINA, GUS]
    )

    lunches = [e.start for e in entries if e.id == LUNCH]
    office = [e.start.astimezone(PACIFIC).strftime("%a") for e in entries if e.id == OFFICE_TIME]
    assert lunches == [utc(20, day=d) for d in (24, 25, 26, 27, 28)]
    assert office == ["Tue", "Wed", "Thu", "Fri"]  # weekdays only: Saturday the 28th has none


async def test_other_locations_and_other_days_are_dropped_whatever_the_filters_did(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    fake.add_appointment(staff_appointment("elsewhere-1", utc(18), utc(19), locationId=OTHER_LOCATION))
    fake.add_appointment(staff_appointment("tomorrow-1", utc(18, day=25), utc(19, day=25)))
    fake.add_appointment(
        staff_appointment("elsewhere-lunch", utc(20), utc(21), locationId=OTHER_LOCATION, recurring=True,
                          rruleset="DTSTART;TZID=America/Los_Angeles:20260105T120000\nRRULE:FREQ=DAILY")
    )  # fmt: skip

    entries = await crm.calendar(LOCATION, DAY_START, DAY_END, technician_ids=[MINA, GUS])

    assert {e.id for e in entries} == {PHONE_BOOKING, LUNCH, WALK_IN, OFFICE_TIME}


async def test_an_appointment_running_into_the_range_from_the_day_before_is_on_it(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    fake.add_appointment(staff_appointment("overnight", utc(1, day=24) - timedelta(hours=20), utc(18)))

    entries = await crm.calendar(LOCATION, DAY_START, DAY_END, technician_ids=[MINA, GUS])

    assert "overnight" in [e.id for e in entries]


async def test_a_busy_day_is_read_across_pages_and_each_row_is_kept_once(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    for n in range(130):
        start = utc(16) + timedelta(minutes=4 * n)
        fake.add_appointment(staff_appointment(f"busy-{n:03d}", start, start + timedelta(minutes=30)))

    entries = await crm.calendar(LOCATION, DAY_START, DAY_END, technician_ids=[MINA, GUS])

    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids)) == 134
    assert len(fake.requests_to("/v3/appointment/search", "POST")) == 2
    assert len(fake.requests_to("/v3/appointment/search_replacement", "POST")) == 2


async def test_our_own_appointments_carry_our_id(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    fake.add_appointment(
        staff_appointment("ours-1", utc(18), utc(19), metadata={"leadorchAppointmentId": "our-appointment"})
    )

    entries = await crm.calendar(LOCATION, DAY_START, DAY_END)

    assert {e.id: e.our_id for e in entries}["ours-1"] == "our-appointment"


# --- what goes on the wire ----------------------------------------------------------------------------


async def test_the_calendar_is_asked_for_with_local_bounds_and_the_technicians_named(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    await crm.calendar(LOCATION, DAY_START, DAY_END, technician_ids=[GUS])

    [search] = fake.requests_to("/v3/appointment/search", "POST")
    asked, then = fake.requests_to("/v3/appointment/search_replacement", "POST")
    assert search.json["where"] == {
        "locationId": LOCATION,
        "startDate": {"gte": "2026-11-22T08:00:00.000Z", "lte": "2026-11-25T08:00:00.000Z"},
    }
    assert asked.json == {
        "dateMin": "2026-11-24T00:00:00-08:00",
        "dateMax": "2026-11-25T00:00:00-08:00",
        "technicians": [GUS],  # as asked, at the same time as the search
        "limit": 100,
        "skip": 0,
    }
    assert then.json["technicians"] == [MINA]  # named by the day's phone booking, not asked for


async def test_with_the_technicians_known_the_calendar_is_one_round_trip(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    fake.add_latency("/v3/appointment/search*", 0.3)

    started = asyncio.get_running_loop().time()
    await crm.calendar(LOCATION, DAY_START, DAY_END, technician_ids=[MINA, GUS])
    took = asyncio.get_running_loop().time() - started

    assert len(fake.requests_to("/v3/appointment/search*", "POST")) == 2
    assert took < 0.55  # both answered in parallel: one 0.3 s wait, not two


async def test_a_calendar_that_keeps_failing_is_unavailable_not_empty(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    fake.fail_next("/v3/appointment/search_replacement", times=5, status=503)

    with pytest.raises(CrmUnavailable):
        await crm.calendar(LOCATION, DAY_START, DAY_END)


async def test_naive_or_empty_ranges_are_refused_before_any_request(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await crm.calendar(LOCATION, datetime(2026, 11, 24), datetime(2026, 11, 25))
    with pytest.raises(ValueError, match="not after start"):
        await crm.calendar(LOCATION, DAY_END, DAY_START)
    assert fake.requests == []


# --- the stand-in is as treacherous as ShopMonkey ------------------------------------------------------


def post(url: str, fake: FakeShopMonkey, path: str, body: object) -> dict[str, object]:
    response = httpx.post(f"{url}{path}", json=body, headers={"Authorization": f"Bearer {fake.api_key}"})
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def test_the_list_and_search_hide_recurring_blocks_but_hydrate_technicians(
    fake: FakeShopMonkey, url: str
) -> None:
    listed = httpx.get(f"{url}/v3/appointment", headers={"Authorization": f"Bearer {fake.api_key}"}).json()
    searched = post(url, fake, "/v3/appointment/search", {"where": {"locationId": LOCATION}, "limit": 100})

    for answer in (listed, searched):
        rows = answer["data"]
        assert isinstance(rows, list)
        assert {row["id"] for row in rows} == {PHONE_BOOKING, WALK_IN}
        phone = next(row for row in rows if row["id"] == PHONE_BOOKING)
        assert phone["technicians"] == [{"id": MINA, "firstName": "Mina", "lastName": "Vang"}]


def test_the_flat_list_ignores_a_start_date_filter_that_search_applies(
    fake: FakeShopMonkey, url: str
) -> None:
    fake.add_appointment(staff_appointment("next-week", utc(18, day=30), utc(19, day=30)))
    where = {"startDate": {"gte": "2026-11-24T08:00:00.000Z", "lte": "2026-11-25T08:00:00.000Z"}}

    listed = httpx.get(
        f"{url}/v3/appointment",
        params={"where": json.dumps(where)},
        headers={"Authorization": f"Bearer {fake.api_key}"},
    ).json()
    searched = post(url, fake, "/v3/appointment/search", {"where": where})

    assert "next-week" in {row["id"] for row in listed["data"]}
    assert "next-week" not in {row["id"] for row in searched["data"]}  # type: ignore[attr-defined]


def test_search_replacement_without_technicians_shows_only_the_unassigned_column(
    fake: FakeShopMonkey, url: str
) -> None:
    body = {"dateMin": "2026-11-24T00:00:00-08:00", "dateMax": "2026-11-24T23:59:59-08:00"}

    answer = post(url, fake, "/v3/appointment/search_replacement", body)

    assert [row["id"] for row in answer["data"]] == [WALK_IN]  # type: ignore[attr-defined]


def test_search_replacement_over_counts_and_repeats_a_row_on_its_last_page(
    fake: FakeShopMonkey, url: str
) -> None:
    body = {
        "dateMin": "2026-11-24T00:00:00-08:00",
        "dateMax": "2026-11-24T23:59:59-08:00",
        "technicians": [MINA, GUS],
        "limit": 3,
        "skip": 0,
    }

    first = post(url, fake, "/v3/appointment/search_replacement", body)
    last = post(url, fake, "/v3/appointment/search_replacement", body | {"skip": 3})

    assert [row["id"] for row in first["data"]] == [PHONE_BOOKING, LUNCH, WALK_IN]  # type: ignore[attr-defined]
    assert [row["id"] for row in last["data"]] == [OFFICE_TIME, WALK_IN]  # type: ignore[attr-defined]
    assert first["meta"] == {"total": 5, "hasMore": True}
    assert last["meta"] == {"total": 5, "hasMore": False}


def test_the_fixture_calendar_is_opt_in(fake: FakeShopMonkey) -> None:
    plain = FakeShopMonkey.from_fixtures(shared_fixtures_dir())

    assert plain.appointments == {}
    assert set(fake.appointments) == {PHONE_BOOKING, WALK_IN, LUNCH, OFFICE_TIME}
    assert fake.appointments[LUNCH]["recurring"] is True
