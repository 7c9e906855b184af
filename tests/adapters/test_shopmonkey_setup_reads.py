"""Reading the ShopMonkey company's setup: its locations (`GET /v3/location`) and its webhooks with their
error state (`GET /v3/webhook`), as the documented resources shape them, over a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from tests.conftest import shared_fixtures_dir

from leadorch.adapters.clocks import AdjustableClock
from leadorch.adapters.shopmonkey import ShopMonkeyCrm
from leadorch.adapters.standins.server import serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.ports.crm import CrmLocation, CrmWebhook

NOW = datetime(2026, 11, 22, 16, 20, tzinfo=UTC)


@pytest.fixture
def fake() -> FakeShopMonkey:
    return FakeShopMonkey.from_fixtures(shared_fixtures_dir(), clock=AdjustableClock(NOW).now)


@pytest.fixture
def url(fake: FakeShopMonkey) -> Iterator[str]:
    server = serve_in_thread(fake)
    yield server.url
    server.stop()


@pytest.fixture
async def crm(fake: FakeShopMonkey, url: str) -> AsyncIterator[ShopMonkeyCrm]:
    async with ShopMonkeyCrm(fake.api_key, url, timeout=5.0) as client:
        yield client


@pytest.mark.anyio
async def test_the_companys_locations_are_listed_across_pages(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    for n in range(104):
        fake.add_location({"id": f"loc{n:03d}", "name": f"Store {n}"})

    locations = await crm.list_locations()

    assert CrmLocation(id="6198139a5391fa197fac13e7", name="Demo Store") in locations
    assert len(locations) == 105
    assert [r.query["skip"] for r in fake.requests_to("/v3/location", "GET")] == ["0", "100"]


@pytest.mark.anyio
async def test_a_webhook_in_error_reads_with_its_message_and_since_when(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    healthy = fake.add_webhook("https://leads.example.com/ok")
    broken = fake.add_webhook("https://leads.example.com/broken", name="leads")
    fake.break_webhook(broken["id"], "too many failed deliveries")

    webhooks = {w.id: w for w in await crm.list_webhooks()}

    assert webhooks[healthy["id"]] == CrmWebhook(
        id=healthy["id"], name="leadorch", url="https://leads.example.com/ok", enabled=True, error=False
    )
    assert webhooks[broken["id"]] == CrmWebhook(
        id=broken["id"], name="leads", url="https://leads.example.com/broken", enabled=True, error=True,
        error_message="too many failed deliveries", error_date=NOW,
    )  # fmt: skip
