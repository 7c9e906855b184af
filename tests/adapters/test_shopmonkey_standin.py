"""The ShopMonkey stand-in keeps ShopMonkey's contract and its known traps, so pollers meet them in tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.conftest import shared_fixtures_dir

from leadorch.adapters.standins.server import serve_in_thread
from leadorch.adapters.standins.shopmonkey import BUNDLED_FIXTURES, FakeShopMonkey

ORDER_ID = "66a1f0c2b7e4d9a1c2f3e401"
T0 = datetime(2026, 11, 21, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def fake() -> FakeShopMonkey:
    company = FakeShopMonkey.from_fixtures(shared_fixtures_dir(), shuffle_pages=False)
    template = company.orders[ORDER_ID]
    for n in range(150):
        company.add_order(
            {**template, "id": f"order{n:03d}", "updatedDate": stamp(T0 + timedelta(minutes=n))}
        )
    return company


@pytest.fixture
def client(fake: FakeShopMonkey) -> Iterator[httpx.Client]:
    server = serve_in_thread(fake)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {fake.api_key}"}) as http:
        yield http
    server.stop()


def orders(client: httpx.Client, **params: Any) -> dict[str, Any]:
    query = {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in params.items()}
    response = client.get("/v3/order", params=query)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_a_bare_gte_on_updated_date_filters(client: httpx.Client) -> None:
    page = orders(client, where={"updatedDate": {"gte": stamp(T0 + timedelta(minutes=140))}}, limit=100)
    assert [row["id"] for row in page["data"]] == [f"order{n}" for n in range(140, 150)]
    assert page["meta"] == {"total": 10, "hasMore": False}


def test_lte_bounds_the_window_from_above(client: httpx.Client) -> None:
    window = {"gte": stamp(T0 + timedelta(minutes=10)), "lte": stamp(T0 + timedelta(minutes=12))}
    page = orders(client, where={"updatedDate": window})
    assert [row["id"] for row in page["data"]] == ["order010", "order011", "order012"]


@pytest.mark.parametrize(
    "where",
    [{"updatedDate": {"$gte": "2030-01-01T00:00:00.000Z"}}, {"modifiedSince": "2030-01-01T00:00:00.000Z"}],
    ids=["dollar-operator", "unknown-field"],
)
def test_dollar_operators_and_unknown_filters_are_silently_ignored(
    client: httpx.Client, where: dict[str, Any]
) -> None:
    page = orders(client, where=where, limit=100)
    assert page["meta"]["total"] == 152


def test_limit_is_silently_capped_at_100_and_skip_pages(client: httpx.Client) -> None:
    first = orders(client, limit=500, orderby={"id": "asc"})
    rest = orders(client, limit=500, skip=100, orderby={"id": "asc"})
    assert (len(first["data"]), first["meta"]["hasMore"]) == (100, True)
    assert (len(rest["data"]), rest["meta"]["hasMore"]) == (52, False)
    ids = [row["id"] for row in first["data"] + rest["data"]]
    assert ids == sorted(ids) and len(set(ids)) == 152


def test_shuffled_pages_make_identical_calls_disagree(fake: FakeShopMonkey, client: httpx.Client) -> None:
    fake.shuffle_pages = True
    seen = {tuple(row["id"] for row in orders(client, limit=100)["data"]) for _ in range(3)}
    assert len(seen) > 1


def test_a_wrong_key_gets_401_in_the_error_envelope(client: httpx.Client) -> None:
    response = client.get(f"/v3/order/{ORDER_ID}", headers={"Authorization": "Bearer wrong"})
    assert (response.status_code, response.json()["success"]) == (401, False)


def test_an_unknown_id_gets_404(client: httpx.Client) -> None:
    response = client.get("/v3/vehicle/nope")
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")


def test_an_appointment_needs_name_and_color(client: httpx.Client) -> None:
    response = client.post("/v3/appointment", json={"customerId": "c", "vehicleId": "v", "startDate": "x"})
    assert response.status_code == 400
    assert "endDate, name, color" in response.json()["message"]


def test_delete_without_a_json_body_is_refused(client: httpx.Client) -> None:
    created = client.post(
        "/v3/appointment",
        json={
            "customerId": "c",
            "vehicleId": "v",
            "startDate": "s",
            "endDate": "e",
            "name": "n",
            "color": "red",
        },
    ).json()["data"]
    assert client.delete(f"/v3/appointment/{created['id']}").status_code == 400
    assert client.request("DELETE", f"/v3/appointment/{created['id']}", json={}).status_code == 200


def test_faults_apply_to_matching_paths_then_clear(fake: FakeShopMonkey, client: httpx.Client) -> None:
    fake.fail_next("/v3/customer/*", times=2, status=503)
    fake.rate_limit_next("/v3/vehicle/*", retry_after="9")

    statuses = [client.get("/v3/customer/66a1f0c1b7e4d9a1c2f3e3a9").status_code for _ in range(3)]
    limited = client.get("/v3/vehicle/66a1f0c1b7e4d9a1c2f3e3b2")
    after = client.get("/v3/vehicle/66a1f0c1b7e4d9a1c2f3e3b2")

    assert statuses == [503, 503, 200]
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "9")
    assert after.status_code == 200


def test_every_request_is_recorded(fake: FakeShopMonkey, client: httpx.Client) -> None:
    client.post("/v3/appointment?dryRun=1", json={"customerId": "c"})
    [request] = fake.requests
    assert (request.method, request.path, request.query, request.json) == (
        "POST",
        "/v3/appointment",
        {"dryRun": "1"},
        {"customerId": "c"},
    )
    assert request.headers["authorization"] == f"Bearer {fake.api_key}"


def test_staff_edits_move_updated_date_forward() -> None:
    fake_clock = FakeShopMonkey.from_fixtures(shared_fixtures_dir(), clock=lambda: T0 + timedelta(days=3))
    changed = fake_clock.update_order(ORDER_ID, messageCount=1)
    assert (changed["messageCount"], changed["updatedDate"]) == (1, "2026-11-24T00:00:00.000Z")


def test_the_bundled_copy_seeds_the_same_company_as_the_shared_fixtures() -> None:
    bundled = FakeShopMonkey.from_fixtures(BUNDLED_FIXTURES)
    shared = FakeShopMonkey.from_fixtures(shared_fixtures_dir())
    assert (bundled.orders, bundled.customers, bundled.vehicles, bundled.services) == (
        shared.orders,
        shared.customers,
        shared.vehicles,
        shared.services,
    )


def test_a_missing_fixtures_directory_is_named(tmp_path: Any) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        FakeShopMonkey.from_fixtures(tmp_path / "nowhere")
