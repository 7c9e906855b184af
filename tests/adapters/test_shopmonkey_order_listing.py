"""`list_orders_updated_since` reads ShopMonkey's whole order listing, over a real socket, whatever the
listing does: `limit` capped at 100, paging by `skip`, sorting only through lowercase `orderby`, an
ignored filter, and unsorted walks that repeat and miss rows between calls."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.conftest import shared_fixtures_dir

from leadorch.adapters.shopmonkey import ShopMonkeyCrm
from leadorch.adapters.standins.server import serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey

pytestmark = pytest.mark.anyio

TEMPLATE_ORDER = "66a1f0c2b7e4d9a1c2f3e401"
SINCE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class CarelessShopMonkey(FakeShopMonkey):
    """Answers order listings as if it understood neither the filter nor the sort."""

    def _list_orders(self, query: dict[str, str]) -> Any:
        return super()._list_orders({k: v for k, v in query.items() if k not in ("where", "orderby")})


def wire(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def add_orders(fake: FakeShopMonkey, count: int, *, first: datetime, prefix: str = "o") -> None:
    template = fake.orders[TEMPLATE_ORDER]
    for n in range(count):
        # Ids run against time, so an id-ordered walk and an updatedDate-ordered walk differ.
        updated = first + timedelta(minutes=n)
        fake.add_order({**template, "id": f"{prefix}-{count - n:04d}", "updatedDate": wire(updated)})


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> FakeShopMonkey:
    """An honest company unless the test asks for another kind (`indirect` parametrisation)."""
    kind: type[FakeShopMonkey] = getattr(request, "param", FakeShopMonkey)
    company = kind.from_fixtures(shared_fixtures_dir(), shuffle_pages=True, seed=3)
    for order_id in list(company.orders):
        if order_id != TEMPLATE_ORDER:
            del company.orders[order_id]
    company.orders[TEMPLATE_ORDER]["updatedDate"] = wire(SINCE - timedelta(days=3))
    return company


@pytest.fixture
def url(fake: FakeShopMonkey) -> Iterator[str]:
    server = serve_in_thread(fake)
    yield server.url
    server.stop()


@pytest.fixture
async def crm(fake: FakeShopMonkey, url: str) -> AsyncIterator[ShopMonkeyCrm]:
    async with ShopMonkeyCrm(fake.api_key, url, timeout=5.0) as client:
        yield client


@pytest.mark.parametrize(
    "fake", [FakeShopMonkey, CarelessShopMonkey], ids=["honest", "careless"], indirect=True
)
async def test_every_version_updated_since_comes_back_once_oldest_first(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    add_orders(fake, 250, first=SINCE)
    add_orders(fake, 30, first=SINCE - timedelta(days=2), prefix="old")  # before the window

    listing = await crm.list_orders_updated_since(SINCE)

    assert listing.complete
    assert [o.id for o in listing.orders] == [f"o-{250 - n:04d}" for n in range(250)]
    assert [o.updated_date for o in listing.orders] == sorted(o.updated_date for o in listing.orders)


async def test_an_honest_listing_is_walked_once_sorted_by_updated_date_in_pages_of_100(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    add_orders(fake, 250, first=SINCE)

    listing = await crm.list_orders_updated_since(SINCE)

    requests = fake.requests_to("/v3/order", "GET")
    assert [(r.query["skip"], r.query["limit"]) for r in requests] == [
        ("0", "100"),
        ("100", "100"),
        ("200", "100"),
    ]
    assert {json.dumps(json.loads(r.query["orderby"])) for r in requests} == {'{"updatedDate": "asc"}'}
    assert (listing.passes, listing.rows_returned) == (1, 250)


@pytest.mark.parametrize("fake", [CarelessShopMonkey], ids=["careless"], indirect=True)
async def test_a_listing_that_ignores_filter_and_sort_is_read_again_until_it_agrees_with_its_total(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    add_orders(fake, 120, first=SINCE)

    listing = await crm.list_orders_updated_since(SINCE)

    # Every pass returns the whole table (121 rows, shuffled per call): rows repeat and go missing.
    assert listing.passes > 1 and listing.rows_returned == 121 * listing.passes
    assert listing.complete
    assert len(listing.orders) == len({(o.id, o.updated_date) for o in listing.orders}) == 120
    assert TEMPLATE_ORDER not in {o.id for o in listing.orders}  # updated before the window: dropped


async def test_a_listing_that_never_agrees_with_its_total_is_reported_incomplete(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    original = fake._page

    def over_counted(rows: list[dict[str, Any]], query: dict[str, str]) -> Any:
        answer = original(rows, query)
        body = json.loads(answer.body)
        body["meta"]["total"] += 1  # one order the listing never shows
        answer.body = json.dumps(body).encode()
        return answer

    fake._page = over_counted  # type: ignore[method-assign]
    add_orders(fake, 120, first=SINCE)

    listing = await crm.list_orders_updated_since(SINCE)

    assert not listing.complete
    assert listing.passes == 5
    assert len(listing.orders) == 120
