"""How the ShopMonkey adapter behaves when ShopMonkey fails, throttles, stalls or breaks its contract."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from tests.conftest import shared_fixtures_dir

from leadorch.adapters.shopmonkey import ShopMonkeyCrm
from leadorch.adapters.standins.server import free_port, serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.ports.crm import (
    CrmAppointmentRequest,
    CrmAuthError,
    CrmContractError,
    CrmNotFound,
    CrmUnavailable,
)

pytestmark = pytest.mark.anyio

ORDER_ID = "66a1f0c2b7e4d9a1c2f3e401"
CUSTOMER_ID = "66a1f0c1b7e4d9a1c2f3e3a9"
CUSTOMER_PATH = f"/v3/customer/{CUSTOMER_ID}"


class RecordedSleep:
    """Stands in for asyncio.sleep: remembers each requested delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def fake() -> FakeShopMonkey:
    return FakeShopMonkey.from_fixtures(shared_fixtures_dir())


@pytest.fixture
def url(fake: FakeShopMonkey) -> Iterator[str]:
    server = serve_in_thread(fake)
    yield server.url
    server.stop()


@pytest.fixture
def sleep() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
async def crm(fake: FakeShopMonkey, url: str, sleep: RecordedSleep) -> AsyncIterator[ShopMonkeyCrm]:
    async with ShopMonkeyCrm(fake.api_key, url, timeout=2.0, max_retries=4, sleep=sleep) as client:
        yield client


def booking() -> CrmAppointmentRequest:
    start = datetime(2026, 11, 24, 17, tzinfo=UTC)
    return CrmAppointmentRequest(
        customer_id=CUSTOMER_ID,
        vehicle_id="66a1f0c1b7e4d9a1c2f3e3b2",
        order_id=ORDER_ID,
        start=start,
        end=start + timedelta(hours=3),
        name="Ultimate Tint Package - Maya Ortega",
    )


async def test_server_errors_are_retried_with_exponential_backoff(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey, sleep: RecordedSleep
) -> None:
    fake.fail_next(CUSTOMER_PATH, times=2, status=503)

    customer = await crm.get_customer(CUSTOMER_ID)

    assert customer.first_name == "Maya"
    assert sleep.delays == [0.5, 1.0]
    assert len(fake.requests_to(CUSTOMER_PATH)) == 3


async def test_a_server_that_keeps_failing_is_unavailable_after_the_last_retry(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey, sleep: RecordedSleep
) -> None:
    fake.fail_next(CUSTOMER_PATH, times=10)

    with pytest.raises(CrmUnavailable, match=r"after 5 attempts \(last: HTTP 500"):
        await crm.get_customer(CUSTOMER_ID)

    assert sleep.delays == [0.5, 1.0, 2.0, 4.0]
    assert len(fake.requests_to(CUSTOMER_PATH)) == 5


async def test_a_slow_answer_times_out_and_is_retried(
    fake: FakeShopMonkey, url: str, sleep: RecordedSleep
) -> None:
    fake.add_latency(CUSTOMER_PATH, 0.4)

    async with ShopMonkeyCrm(fake.api_key, url, timeout=0.1, max_retries=1, sleep=sleep) as crm:
        with pytest.raises(CrmUnavailable, match="ReadTimeout"):
            await crm.get_customer(CUSTOMER_ID)

    assert sleep.delays == [0.5]


async def test_a_refused_connection_is_retried_then_unavailable(
    fake: FakeShopMonkey, sleep: RecordedSleep
) -> None:
    nobody_listening = f"http://127.0.0.1:{free_port()}"

    async with ShopMonkeyCrm(fake.api_key, nobody_listening, max_retries=2, sleep=sleep) as crm:
        with pytest.raises(CrmUnavailable, match="ConnectError"):
            await crm.get_vehicle("66a1f0c1b7e4d9a1c2f3e3b2")

    assert sleep.delays == [0.5, 1.0]


async def test_rate_limiting_waits_as_long_as_retry_after_asks(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey, sleep: RecordedSleep
) -> None:
    fake.rate_limit_next("/v3/order", retry_after="7")

    page = await crm.list_orders(datetime(2026, 1, 1, tzinfo=UTC))

    assert len(page.orders) == 2
    assert sleep.delays == [7.0]


async def test_retry_after_may_be_an_http_date(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey, sleep: RecordedSleep
) -> None:
    fake.rate_limit_next(
        CUSTOMER_PATH, retry_after=format_datetime(datetime.now(UTC) + timedelta(seconds=30), True)
    )

    await crm.get_customer(CUSTOMER_ID)

    [delay] = sleep.delays
    assert 25.0 < delay <= 30.0


async def test_a_rate_limit_longer_than_we_will_wait_is_unavailable_at_once(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey, sleep: RecordedSleep
) -> None:
    fake.rate_limit_next(CUSTOMER_PATH, retry_after="3600")

    with pytest.raises(CrmUnavailable, match="asked to wait 3600 s"):
        await crm.get_customer(CUSTOMER_ID)

    assert sleep.delays == []


async def test_an_unknown_customer_is_not_found_and_not_retried(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    with pytest.raises(CrmNotFound, match="no customer"):
        await crm.get_customer("000000000000000000000000")

    assert len(fake.requests_to("/v3/customer/*")) == 1


async def test_a_wrong_api_key_is_an_auth_error(fake: FakeShopMonkey, url: str, sleep: RecordedSleep) -> None:
    async with ShopMonkeyCrm("not-the-key", url, sleep=sleep) as crm:
        with pytest.raises(CrmAuthError, match="401"):
            await crm.get_order(ORDER_ID)

    assert sleep.delays == []


async def test_malformed_json_is_a_contract_error(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    fake.malformed_next(CUSTOMER_PATH)

    with pytest.raises(CrmContractError, match="not valid JSON"):
        await crm.get_customer(CUSTOMER_ID)


async def test_a_retyped_field_is_a_contract_error_naming_it(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    fake.update_order(ORDER_ID, messageCount="three")

    with pytest.raises(CrmContractError, match=r"\$\.data\.messageCount"):
        await crm.get_order(ORDER_ID)


async def test_a_missing_field_in_a_listing_is_a_contract_error_naming_it(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    row = copy.deepcopy(fake.orders[ORDER_ID])
    del row["status"]
    fake.add_order(row)

    with pytest.raises(CrmContractError, match=r"`status`.*\$\.data\[0\]"):
        await crm.list_orders(datetime(2026, 1, 1, tzinfo=UTC))


async def test_a_failed_booking_is_not_retried_so_it_cannot_book_twice(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey, sleep: RecordedSleep
) -> None:
    fake.fail_next("/v3/appointment", status=502, method="POST")

    with pytest.raises(CrmUnavailable, match="not retried, it may have been applied"):
        await crm.create_appointment(booking())

    assert len(fake.requests_to("/v3/appointment", "POST")) == 1
    assert sleep.delays == []


async def test_a_rate_limited_booking_is_retried_because_it_was_never_applied(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey, sleep: RecordedSleep
) -> None:
    fake.rate_limit_next("/v3/appointment", retry_after="1", method="POST")

    appointment = await crm.create_appointment(booking())

    assert appointment.order_id == ORDER_ID
    assert sleep.delays == [1.0]
    assert len(fake.appointments) == 1


async def test_a_bad_id_is_refused_before_any_request(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    with pytest.raises(ValueError, match="customer id"):
        await crm.get_customer("../order")

    assert fake.requests == []


def test_an_empty_api_key_is_refused() -> None:
    with pytest.raises(ValueError, match="api_key"):
        ShopMonkeyCrm("  ")
