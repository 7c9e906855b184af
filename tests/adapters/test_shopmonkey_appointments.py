"""Putting our bookings on the shop's ShopMonkey calendar, moving them and taking them off."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from tests.conftest import shared_fixtures_dir

from leadorch.adapters.shopmonkey import ShopMonkeyCrm
from leadorch.adapters.standins.server import serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.ports.crm import CrmAppointment, CrmAppointmentRequest, CrmNotFound, CrmUnavailable

CUSTOMER_ID = "66a1f0c1b7e4d9a1c2f3e3a9"
VEHICLE_ID = "66a1f0c1b7e4d9a1c2f3e3b2"
ORDER_ID = "66a1f0c2b7e4d9a1c2f3e401"
LOCATION_ID = "6198139a5391fa197fac13e7"
START = datetime(2026, 11, 24, 17, tzinfo=UTC)


@pytest.fixture
def fake() -> FakeShopMonkey:
    return FakeShopMonkey.from_fixtures(shared_fixtures_dir())


@pytest.fixture
def url(fake: FakeShopMonkey) -> Iterator[str]:
    server = serve_in_thread(fake)
    yield server.url
    server.stop()


@pytest.fixture
async def crm(fake: FakeShopMonkey, url: str) -> AsyncIterator[ShopMonkeyCrm]:
    async with ShopMonkeyCrm(fake.api_key, url, timeout=5.0) as client:
        yield client


def the_fixture_booking(**changes: object) -> CrmAppointmentRequest:
    fields: dict[str, object] = {
        "customer_id": CUSTOMER_ID,
        "vehicle_id": VEHICLE_ID,
        "order_id": ORDER_ID,
        "location_id": LOCATION_ID,
        "start": START,
        "end": START + timedelta(hours=3),
        "name": "Ultimate Tint Package - Maya Ortega",
        "color": "blue",
        "note": "Booked online via chat",
        "technician_ids": ("5f1b2c3d4e5f607182930t01",),
        "our_id": "0d6f3c9e-2b5a-4d8e-9a61-3f7c2e1b8a40",
    }
    return CrmAppointmentRequest(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_the_create_request_has_exactly_shopmonkeys_shape(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    expected = json.loads((shared_fixtures_dir() / "appointment-create-request.json").read_text())

    await crm.create_appointment(the_fixture_booking())

    [request] = fake.requests_to("/v3/appointment", "POST")
    assert request.json == expected
    assert list(request.json) == list(expected)
    assert request.headers["content-type"] == "application/json"


@pytest.mark.anyio
async def test_a_created_appointment_comes_back_with_its_id_and_lands_on_the_order(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    appointment = await crm.create_appointment(the_fixture_booking())

    assert appointment.id in fake.appointments
    assert (appointment.start, appointment.end) == (START, START + timedelta(hours=3))
    assert (appointment.order_id, appointment.customer_id, appointment.vehicle_id) == (
        ORDER_ID,
        CUSTOMER_ID,
        VEHICLE_ID,
    )
    assert (await crm.get_order(ORDER_ID)).appointment_dates == ["2026-11-24T17:00:00.000Z"]


@pytest.mark.anyio
async def test_optional_fields_are_left_out_and_times_are_sent_in_utc(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    pacific = timezone(timedelta(hours=-8))
    request = the_fixture_booking(
        order_id=None,
        location_id=None,
        note=None,
        technician_ids=(),
        our_id=None,
        start=datetime(2026, 11, 24, 9, 0, 0, 250000, tzinfo=pacific),
        end=datetime(2026, 11, 24, 11, 30, tzinfo=pacific),
    )

    await crm.create_appointment(request)

    [sent] = fake.requests_to("/v3/appointment", "POST")
    assert sent.json == {
        "customerId": CUSTOMER_ID,
        "vehicleId": VEHICLE_ID,
        "startDate": "2026-11-24T17:00:00.250Z",
        "endDate": "2026-11-24T19:30:00.000Z",
        "allDay": False,
        "name": "Ultimate Tint Package - Maya Ortega",
        "color": "blue",
        # never left to ShopMonkey's defaults: we send our own confirmation and reminder
        "sendConfirmation": False,
        "sendReminder": False,
        "useEmail": False,
        "useSMS": False,
    }


@pytest.mark.anyio
async def test_the_documented_create_response_maps_to_an_appointment() -> None:
    """Decoded from ShopMonkey's documented answer byte for byte (an httpx transport plays the server)."""
    answer = (shared_fixtures_dir() / "appointment-create-response.json").read_bytes()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=answer))

    async with ShopMonkeyCrm("key", "https://api.example.test", transport=transport) as crm:
        appointment = await crm.create_appointment(the_fixture_booking())

    assert appointment == CrmAppointment(
        id="66a2aa01b7e4d9a1c2f3f001",
        start=START,
        end=START + timedelta(hours=3),
        name="Ultimate Tint Package - Maya Ortega",
        order_id=ORDER_ID,
        customer_id=CUSTOMER_ID,
        vehicle_id=VEHICLE_ID,
        location_id=LOCATION_ID,
        note="Booked online via chat",
        confirmation_status="NoResponse",
        confirmed=False,
        pending_confirmation=False,
        technician_ids=("5f1b2c3d4e5f607182930t01",),
        our_id="0d6f3c9e-2b5a-4d8e-9a61-3f7c2e1b8a40",
        confirmation="no_response",
        # The documented create answer has `updatedDate: null`: the version is the creation.
        updated_date=datetime(2026, 11, 21, 10, 3, 11, tzinfo=UTC),
    )


@pytest.mark.anyio
async def test_moving_an_appointment_puts_the_new_times(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    created = await crm.create_appointment(the_fixture_booking())
    later = START + timedelta(days=1)

    moved = await crm.update_appointment(
        created.id, the_fixture_booking(start=later, end=later + timedelta(hours=3))
    )

    assert (moved.id, moved.start, moved.end) == (created.id, later, later + timedelta(hours=3))
    [put] = fake.requests_to(f"/v3/appointment/{created.id}", "PUT")
    assert put.json is not None
    assert (put.json["startDate"], put.json["endDate"]) == (
        "2026-11-25T17:00:00.000Z",
        "2026-11-25T20:00:00.000Z",
    )
    assert (await crm.get_order(ORDER_ID)).appointment_dates == ["2026-11-25T17:00:00.000Z"]


@pytest.mark.anyio
async def test_cancelling_sends_delete_with_an_empty_json_body(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    created = await crm.create_appointment(the_fixture_booking())

    await crm.delete_appointment(created.id)

    [delete] = fake.requests_to(f"/v3/appointment/{created.id}", "DELETE")
    assert (delete.body, delete.headers["content-type"]) == (b"{}", "application/json")
    assert fake.appointments == {}
    assert (await crm.get_order(ORDER_ID)).appointment_dates == []


@pytest.mark.anyio
async def test_moving_or_cancelling_an_unknown_appointment_is_not_found(crm: ShopMonkeyCrm) -> None:
    with pytest.raises(CrmNotFound, match="appointment"):
        await crm.update_appointment("000000000000000000000000", the_fixture_booking())
    with pytest.raises(CrmNotFound, match="appointment"):
        await crm.delete_appointment("000000000000000000000000")


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"end": START}, "end .* is not after start"),
        ({"start": datetime(2026, 11, 24, 17)}, "timezone-aware"),
        ({"color": "pink"}, "color 'pink'"),
        ({"name": "  "}, "name must not be blank"),
        ({"customer_id": ""}, "customer_id"),
        ({"vehicle_id": ""}, "vehicle_id"),
    ],
)
def test_a_booking_request_names_what_is_wrong_with_it(changes: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        the_fixture_booking(**changes)


def stored_appointment(ident: str, order_id: str | None) -> dict[str, object]:
    return {
        "id": ident,
        "orderId": order_id,
        "customerId": CUSTOMER_ID,
        "vehicleId": VEHICLE_ID,
        "startDate": "2026-11-24T17:00:00.000Z",
        "endDate": "2026-11-24T20:00:00.000Z",
        "name": "Tint",
        "color": "blue",
    }


@pytest.mark.anyio
async def test_an_orders_appointments_are_read_across_pages_and_no_other_orders(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    for n in range(105):
        fake.appointments[f"a{n:03d}"] = stored_appointment(f"a{n:03d}", ORDER_ID)
    for n in range(3):
        fake.appointments[f"b{n:03d}"] = stored_appointment(f"b{n:03d}", "another-order")

    found = await crm.appointments_on_order(ORDER_ID)

    assert sorted(a.id for a in found) == [f"a{n:03d}" for n in range(105)]
    assert {a.order_id for a in found} == {ORDER_ID}
    lists = fake.requests_to("/v3/appointment", "GET")
    assert [(r.query["skip"], r.query["limit"]) for r in lists] == [("0", "100"), ("100", "100")]
    assert json.loads(lists[0].query["where"]) == {"orderId": ORDER_ID}
    # Sorted with the lowercase key: ShopMonkey ignores camelCase `orderBy` in a query string.
    assert [json.loads(r.query["orderby"]) for r in lists] == [{"id": "asc"}] * 2
    assert all("orderBy" not in r.query for r in lists)


@pytest.mark.anyio
async def test_an_order_filter_shopmonkey_ignored_is_applied_on_our_side() -> None:
    """ShopMonkey answers an unknown or ignored `where` with every row: the adapter must not trust it."""
    rows = [stored_appointment("mine", ORDER_ID), stored_appointment("theirs", "another-order")]
    rows.append(stored_appointment("unlinked", None))
    answer = json.dumps({"success": True, "data": rows, "meta": {"total": 3, "hasMore": False}})
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=answer.encode()))

    async with ShopMonkeyCrm("key", "https://api.example.test", transport=transport) as crm:
        found = await crm.appointments_on_order(ORDER_ID)

    assert [a.id for a in found] == ["mine"]


@pytest.mark.anyio
async def test_a_create_applied_but_answered_500_is_not_retried_and_can_be_found_again(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    fake.apply_then_fail_next("/v3/appointment", method="POST")

    with pytest.raises(CrmUnavailable, match="may have been applied"):
        await crm.create_appointment(the_fixture_booking(note="Booking reference: 42"))

    assert len(fake.requests_to("/v3/appointment", "POST")) == 1
    (found,) = await crm.appointments_on_order(ORDER_ID)
    assert (found.id, found.note, found.start) == (
        next(iter(fake.appointments)),
        "Booking reference: 42",
        START,
    )


@pytest.mark.anyio
async def test_an_order_id_that_is_not_one_is_refused(crm: ShopMonkeyCrm) -> None:
    with pytest.raises(ValueError, match="order id"):
        await crm.appointments_on_order(" ")


def changed_appointment(ident: str, *, created: str, updated: str | None) -> dict[str, object]:
    return {**stored_appointment(ident, ORDER_ID), "createdDate": created, "updatedDate": updated}


@pytest.mark.anyio
async def test_appointments_changed_since_a_moment_include_new_ones_never_updated(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    since = datetime(2026, 11, 22, tzinfo=UTC)
    fake.appointments["old"] = changed_appointment("old", created="2026-11-01T10:00:00.000Z", updated=None)
    fake.appointments["moved"] = changed_appointment(
        "moved", created="2026-11-01T10:00:00.000Z", updated="2026-11-22T16:20:00.000Z"
    )
    fake.appointments["new"] = changed_appointment("new", created="2026-11-22T09:00:00.000Z", updated=None)
    for n in range(120):  # more than a page of changes
        fake.appointments[f"p{n:03d}"] = changed_appointment(
            f"p{n:03d}", created=f"2026-11-23T10:{n // 60:02d}:{n % 60:02d}.000Z", updated=None
        )

    listing = await crm.list_appointments_changed_since(since)

    assert listing.complete
    assert [a.id for a in listing.appointments][:2] == ["new", "moved"]  # oldest version first
    assert len(listing.appointments) == 122 and "old" not in {a.id for a in listing.appointments}
    searches = fake.requests_to("/v3/appointment/search", "POST")
    assert [r.json["skip"] for r in searches] == [0, 100]
    assert searches[0].json["orderBy"] == {"createdDate": "asc"}  # a key that never moves mid-walk


@pytest.mark.anyio
async def test_a_changed_since_filter_shopmonkey_ignored_is_applied_on_our_side() -> None:
    rows = [
        changed_appointment("kept", created="2026-11-01T10:00:00.000Z", updated="2026-11-22T16:20:00.000Z"),
        changed_appointment("stale", created="2026-11-01T10:00:00.000Z", updated="2026-11-02T10:00:00.000Z"),
    ]
    answer = json.dumps({"success": True, "data": rows, "meta": {"total": 2, "hasMore": False}})
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=answer.encode()))

    async with ShopMonkeyCrm("key", "https://api.example.test", transport=transport) as crm:
        listing = await crm.list_appointments_changed_since(datetime(2026, 11, 22, tzinfo=UTC))

    assert [a.id for a in listing.appointments] == ["kept"]
