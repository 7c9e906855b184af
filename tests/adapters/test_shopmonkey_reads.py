"""Reading orders, customers, vehicles and the service menu from ShopMonkey, over a real socket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from tests.conftest import shared_fixtures_dir

from leadorch.adapters.shopmonkey import ShopMonkeyCrm
from leadorch.adapters.standins.server import serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.ports.crm import CrmConsentRecord, CrmCustomer, CrmOrder, CrmService, CrmVehicle

pytestmark = pytest.mark.anyio

LEAD_ORDER_ID = "66a1f0c2b7e4d9a1c2f3e401"
CUSTOMER_ID = "66a1f0c1b7e4d9a1c2f3e3a9"
VEHICLE_ID = "66a1f0c1b7e4d9a1c2f3e3b2"
LOCATION_ID = "6198139a5391fa197fac13e7"


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


def numbered_order(fake: FakeShopMonkey, n: int, updated: datetime) -> dict[str, object]:
    row = dict(fake.orders[LEAD_ORDER_ID])
    row["id"] = f"66a1f0c2b7e4d9a1c2f{n:05d}"
    row["updatedDate"] = updated.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return row


async def test_an_order_maps_every_field_the_lead_rule_reads(crm: ShopMonkeyCrm) -> None:
    order = await crm.get_order(LEAD_ORDER_ID)

    assert order == CrmOrder(
        id=LEAD_ORDER_ID,
        location_id=LOCATION_ID,
        company_id="5f1b2c3d4e5f60718293a4b5",
        customer_id=CUSTOMER_ID,
        vehicle_id=VEHICLE_ID,
        workflow_status_id="619813fb2c9c3e8ce527be48",
        status="Estimate",
        authorized=False,
        message_count=0,
        name="New Quote - Website",
        appointment_dates=[],
        invoiced=False,
        paid=False,
        created_date=datetime(2026, 11, 20, 17, 42, 5, 118000, tzinfo=UTC),
        updated_date=datetime(2026, 11, 20, 17, 42, 5, 118000, tzinfo=UTC),
        complaint="Customer requested a quote online: Ceramic tint, all windows except windshield.",
        number=10482,
        generated_vehicle_name="2024 Toyota Camry SE",
    )


async def test_listing_orders_asks_with_a_bare_gte_filter_sorted_by_lowercase_orderby(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    page = await crm.list_orders(datetime(2026, 11, 20, 9, 30, tzinfo=UTC), skip=0, limit=100)

    assert [o.id for o in page.orders] == [LEAD_ORDER_ID, "66a1f0c2b7e4d9a1c2f3e4ff"]
    assert (page.has_more, page.total) == (False, 2)
    [request] = fake.requests_to("/v3/order", "GET")
    assert json.loads(request.query["where"]) == {"updatedDate": {"gte": "2026-11-20T09:30:00.000Z"}}
    assert json.loads(request.query["orderby"]) == {"updatedDate": "asc"}
    assert "orderBy" not in request.query  # ShopMonkey ignores the camelCase key in a query string
    assert (request.query["limit"], request.query["skip"]) == ("100", "0")
    assert request.headers["authorization"] == f"Bearer {fake.api_key}"


async def test_the_updated_since_filter_is_sent_in_utc(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    pacific = datetime(2026, 11, 20, 1, 30, tzinfo=UTC).astimezone(tz=None)
    await crm.list_orders(pacific)

    [request] = fake.requests_to("/v3/order")
    assert json.loads(request.query["where"])["updatedDate"]["gte"] == "2026-11-20T01:30:00.000Z"


async def test_a_page_reports_whether_more_orders_follow(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    start = datetime(2026, 11, 21, tzinfo=UTC)
    for n in range(130):
        fake.add_order(numbered_order(fake, n, start + timedelta(minutes=n)))

    first = await crm.list_orders(start, limit=100)
    second = await crm.list_orders(start, skip=100, limit=100)

    assert (len(first.orders), first.has_more, first.total) == (100, True, 130)
    assert (len(second.orders), second.has_more) == (30, False)
    assert {o.id for o in first.orders}.isdisjoint({o.id for o in second.orders})


@pytest.mark.parametrize(
    ("kwargs", "complaint"),
    [
        ({"updated_since": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"updated_since": datetime(2026, 1, 1, tzinfo=UTC), "limit": 101}, "limit"),
        ({"updated_since": datetime(2026, 1, 1, tzinfo=UTC), "limit": 0}, "limit"),
        ({"updated_since": datetime(2026, 1, 1, tzinfo=UTC), "skip": -1}, "skip"),
    ],
)
async def test_listing_orders_rejects_bad_paging_arguments(
    crm: ShopMonkeyCrm, kwargs: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        await crm.list_orders(**kwargs)  # type: ignore[arg-type]


async def test_a_customer_comes_with_primary_contacts_normalised(crm: ShopMonkeyCrm) -> None:
    customer = await crm.get_customer(CUSTOMER_ID)

    assert customer == CrmCustomer(
        id=CUSTOMER_ID,
        first_name="Maya",
        last_name="Ortega",
        email="maya.ortega@example.com",
        phone="+16195550142",
        email_subscribed=True,
        sms_subscribed=True,
        preferred_contact_method="SMS",
        marketing_opt_in=True,
        email_consent_record=CrmConsentRecord(
            source="shopmonkey",
            fields={
                "emails[0].id": "66a1f0c1b7e4d9a1c2f3e3aa",
                "emails[0].primary": True,
                "emails[0].subscribed": True,
                "preferredContactMethod": "SMS",
                "marketingOptIn": True,
            },
        ),
        sms_consent_record=CrmConsentRecord(
            source="shopmonkey",
            fields={
                "phoneNumbers[0].id": "66a1f0c1b7e4d9a1c2f3e3ab",
                "phoneNumbers[0].type": "Mobile",
                "phoneNumbers[0].primary": True,
                "phoneNumbers[0].optIn": True,
                "phoneNumbers[0].optInVerifiedDate": "2026-11-20T17:42:04.551Z",
                "preferredContactMethod": "SMS",
                "marketingOptIn": True,
            },
            verified_at=datetime(2026, 11, 20, 17, 42, 4, 551000, tzinfo=UTC),
        ),
    )


async def test_a_vehicle_is_year_make_model_submodel(crm: ShopMonkeyCrm) -> None:
    assert await crm.get_vehicle(VEHICLE_ID) == CrmVehicle(
        id=VEHICLE_ID, year=2024, make="Toyota", model="Camry", submodel="SE"
    )


async def test_services_carry_price_and_labor_duration(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    services = await crm.list_services(LOCATION_ID)

    assert [(s.name, s.price_cents, s.duration_minutes, s.bookable) for s in services] == [
        ("Ultimate Tint Package", 60000, 180, True),
        ("Supreme Tint Package", 45000, 150, True),
        ("Premium Tint Package", 30000, 120, True),
        ("Windshield Ceramic Tint", 24900, 90, False),
        ("Front Two Windows Tint", 10900, 60, False),
        ("Tint Removal", 12900, 90, False),
    ]
    [request] = fake.requests_to("/v3/canned_service")
    assert request.query["locationId"] == LOCATION_ID


@pytest.mark.parametrize(
    ("labors", "minutes"),
    [
        ([{"hours": 1.1}], 75),
        ([{"hours": 0.5}, {"hours": 0.3}], 60),
        ([{"hours": 0.25}], 15),
        ([{"hours": None}, {"name": "no hours"}], 0),
        (None, 0),
    ],
)
async def test_service_duration_is_labor_time_rounded_up_to_the_quarter_hour(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey, labors: object, minutes: int
) -> None:
    fake.services.clear()
    fake.add_service(
        {"id": "svc1", "name": "Odd job", "totalCents": 100, "bookable": True, "labors": labors, "extra": 1}
    )

    [service] = await crm.list_services()

    assert service == CrmService(
        id="svc1",
        name="Odd job",
        price_cents=100,
        duration_minutes=minutes,
        bookable=True,
        deleted=False,
        location_id=None,
    )


async def test_a_long_service_menu_is_read_across_pages(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    for n in range(230):
        fake.add_service({"id": f"extra{n:03d}", "name": f"Extra {n}", "totalCents": n, "bookable": False})

    services = await crm.list_services()

    assert len(services) == 236
    assert len({s.id for s in services}) == 236
    assert [r.query["skip"] for r in fake.requests_to("/v3/canned_service")] == ["0", "100", "200"]
