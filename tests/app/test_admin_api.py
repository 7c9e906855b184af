"""The admin API over HTTP: who may do what, tenant isolation, secrets that never come back, the audit.

Probes use another tenant's real token on this tenant's real ids: the answer is always 404 (or 403 for
operator-only endpoints) with no data in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.bootstrap import bootstrap
from leadorch.app.http.app import create_app
from leadorch.app.settings import load_settings

ADMIN_TOKEN = "operator-admin-token-0001"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
API_KEY = "sm_live_secret_key_42"
WEBHOOK_SECRET = "whsec_bGVhZG9yY2gtZml4dHVyZS1zZWNyZXQtMzItYnl0ZXMh"
START = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def _client(database_url: str) -> Iterator[TestClient[Any]]:
    container = bootstrap(
        load_settings({}, database_url=database_url, admin_token=ADMIN_TOKEN), clock=AdjustableClock(START)
    )
    with TestClient(create_app(container)) as test_client:
        yield test_client
    container.close()


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient[Any]]:
    """The API on the embedded store (the HTTP layer does not depend on the backend)."""
    yield from _client(sqlite_url)


@pytest.fixture
def client_on_each_backend(database_url: str) -> Iterator[TestClient[Any]]:
    """The API on SQLite, then on PostgreSQL: for the security properties."""
    yield from _client(database_url)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _create_tenant(client: TestClient[Any], tenant_id: str, **extra: Any) -> str:
    response = client.post(
        "/api/admin/tenants", json={"tenant_id": tenant_id, "name": tenant_id.title(), **extra}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    return str(response.json()["api_token"])


def _add_location(client: TestClient[Any], tenant_id: str, token: str, location_id: str, crm_id: str) -> None:
    response = client.post(
        f"/api/admin/tenants/{tenant_id}/locations",
        json={
            "location_id": location_id,
            "name": f"{tenant_id} {location_id}",
            "crm_location_id": crm_id,
            "time_zone": "America/Los_Angeles",
            "phone": "(619) 555-0100",
            "weekly_hours": {"mon": ["09:00-18:00"], "sat": ["10:00-16:00"]},
            "capacity": 2,
        },
        headers=_bearer(token),
    )
    assert response.status_code == 201, response.text


def test_tenant_lifecycle_through_the_api_never_returns_a_secret(
    client_on_each_backend: TestClient[Any],
) -> None:
    client = client_on_each_backend
    created = client.post(
        "/api/admin/tenants",
        json={
            "tenant_id": "tintworld",
            "name": "Tint World",
            "website_status_ids": ["wf-website"],
            "crm_api_key": API_KEY,
            "crm_webhook_secret": WEBHOOK_SECRET,
        },
        headers={**ADMIN, "X-Actor": "ana@operator"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["api_token"].startswith("lot_")
    assert body["tenant"]["demo_mode"] is True
    assert body["tenant"]["crm_api_key_set"] is True and body["tenant"]["crm_webhook_secret_set"] is True
    token = body["api_token"]

    responses = [
        created,
        client.get("/api/admin/tenants/tintworld", headers=_bearer(token)),
        client.get("/api/admin/tenants", headers=ADMIN),
        client.put(
            "/api/admin/tenants/tintworld/crm-credentials",
            json={"api_key": API_KEY + "-2"},
            headers=_bearer(token),
        ),
        client.get("/api/admin/tenants/tintworld/audit", headers=_bearer(token)),
        client.get("/api/admin/audit", headers=ADMIN),
    ]

    assert all(r.status_code == 200 or r.status_code == 201 for r in responses)
    for response in responses:
        assert API_KEY not in response.text
        assert "bGVhZG9yY2gtZml4dHVyZS1zZWNyZXQtMzItYnl0ZXMh" not in response.text
    audit = responses[4].json()
    assert [entry["action"] for entry in audit] == ["tenant.crm_credentials", "tenant.create"]
    assert audit[0]["changes"] == {"crm_api_key": "(changed)"}
    assert audit[0]["actor"] == "tenant-token:tintworld"
    assert audit[1]["actor"] == "ana@operator via admin-token"


def test_without_a_valid_token_everything_is_401(client: TestClient[Any]) -> None:
    _create_tenant(client, "tintworld")
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": f"Basic {ADMIN_TOKEN}"}):
        for method, path in (
            ("GET", "/api/admin/tenants"),
            ("GET", "/api/admin/tenants/tintworld"),
            ("GET", "/api/admin/tenants/tintworld/locations"),
            ("GET", "/api/admin/audit"),
        ):
            response = client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert "tintworld" not in response.text


def test_another_tenants_token_sees_nothing_of_this_tenant(client_on_each_backend: TestClient[Any]) -> None:
    client = client_on_each_backend
    token_a = _create_tenant(client, "tenant-a")
    token_b = _create_tenant(client, "tenant-b")
    _add_location(client, "tenant-a", token_a, "downtown", "crm-a-1")
    client.put(
        "/api/admin/tenants/tenant-a/locations/downtown/staff/Ana",
        json={"email": "ana@a.example.com"},
        headers=_bearer(token_a),
    )
    b = _bearer(token_b)

    probes = [
        client.get("/api/admin/tenants/tenant-a", headers=b),
        client.patch("/api/admin/tenants/tenant-a", json={"name": "Mine now"}, headers=b),
        client.put("/api/admin/tenants/tenant-a/demo-mode", json={"enabled": False}, headers=b),
        client.post("/api/admin/tenants/tenant-a/allow-list", json={"address": "x@b.example.com"}, headers=b),
        client.put("/api/admin/tenants/tenant-a/crm-credentials", json={"api_key": "stolen"}, headers=b),
        client.post("/api/admin/tenants/tenant-a/api-token", headers=b),
        client.get("/api/admin/tenants/tenant-a/audit", headers=b),
        client.get("/api/admin/tenants/tenant-a/catalog", headers=b),
        client.get("/api/admin/tenants/tenant-a/locations", headers=b),
        client.get("/api/admin/tenants/tenant-a/locations/downtown", headers=b),
        client.put(
            "/api/admin/tenants/tenant-a/locations/downtown/hours", json={"weekly_hours": {}}, headers=b
        ),
        client.delete("/api/admin/tenants/tenant-a/locations/downtown/staff/Ana", headers=b),
        # tenant A's location id under tenant B's own path is simply not there
        client.get("/api/admin/tenants/tenant-b/locations/downtown", headers=b),
    ]

    assert [p.status_code for p in probes] == [404] * len(probes)
    for probe in probes:
        assert (
            "crm-a-1" not in probe.text and "a.example.com" not in probe.text and "Tenant-A" not in probe.text
        )
    operator_only = [client.get("/api/admin/tenants", headers=b), client.get("/api/admin/audit", headers=b),
                     client.post("/api/admin/tenants", json={"tenant_id": "evil", "name": "Evil"}, headers=b)]  # fmt: skip
    assert [r.status_code for r in operator_only] == [403, 403, 403]
    assert "tenant-a" not in "".join(r.text for r in operator_only)

    after = client.get("/api/admin/tenants/tenant-a", headers=_bearer(token_a)).json()
    assert (after["name"], after["demo_mode"], after["crm_api_key_set"]) == ("Tenant-A", True, False)


def test_unknown_tenant_is_404_even_for_the_operator(client: TestClient[Any]) -> None:
    response = client.get("/api/admin/tenants/ghost/locations", headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["detail"] == "tenant 'ghost' not found"


def test_locations_hours_holidays_window_staff_and_prices(client: TestClient[Any]) -> None:
    token = _create_tenant(client, "tintworld")
    auth = _bearer(token)
    _add_location(client, "tintworld", token, "san-diego", "crm-sd")
    base = "/api/admin/tenants/tintworld/locations/san-diego"

    hours = client.put(
        f"{base}/hours", json={"weekly_hours": {"Monday": ["13:00-18:00", "09:00-12:00"]}}, headers=auth
    )
    holiday = client.put(f"{base}/exceptions/2026-12-25", json={"note": "Christmas"}, headers=auth)
    window = client.put(
        f"{base}/sending-window",
        json={"start": "10:00", "end": "19:00", "days": ["mon", "sat"]},
        headers=auth,
    )
    staff = client.put(
        f"{base}/staff/Ana Ruiz", json={"phone": "619 555 0101", "alerts": ["handoff"]}, headers=auth
    )
    updated = client.patch(
        base,
        json={
            "capacity": 3,
            "min_lead_minutes": 60,
            "technician_ids": ["tech-mina"],
            "booking_horizon_days": 30,
            "assistant_answers_messages": False,
        },
        headers=auth,
    )

    assert [r.status_code for r in (hours, holiday, window, staff, updated)] == [200] * 5
    location = client.get(base, headers=auth).json()
    assert location["weekly_hours"] == {"mon": ["09:00-12:00", "13:00-18:00"]}
    assert location["exceptions"] == [{"day": "2026-12-25", "hours": [], "note": "Christmas"}]
    assert location["window"] == {"start": "10:00", "end": "19:00", "days": ["mon", "sat"]}
    assert location["staff"] == [
        {"name": "Ana Ruiz", "email": None, "phone": "+16195550101", "alerts": ["handoff"]}
    ]
    assert (location["capacity"], location["min_lead_minutes"]) == (3, 60)
    assert location["technician_ids"] == ["tech-mina"]
    assert location["booking_horizon_days"] == 30
    assert location["assistant_answers_messages"] is False
    assert client.delete(f"{base}/exceptions/2026-12-25", headers=auth).json()["exceptions"] == []
    listed = client.get("/api/admin/tenants/tintworld/locations", headers=auth).json()
    assert [loc["location_id"] for loc in listed] == ["san-diego"]


def test_catalog_lists_effective_prices_and_a_location_can_override_one(client: TestClient[Any]) -> None:
    token = _create_tenant(client, "tintworld")
    auth = _bearer(token)
    _add_location(client, "tintworld", token, "san-diego", "crm-sd")
    container = client.app.state["container"]
    from leadorch.ports.crm import CrmService

    container.config.upsert_crm_services(
        "tintworld",
        [CrmService(id="cs-1", name="Ultimate", price_cents=60000, duration_minutes=180, bookable=True,
                    deleted=False, location_id="crm-sd")],
        START,
    )  # fmt: skip

    price = client.put(
        "/api/admin/tenants/tintworld/locations/san-diego/prices/cs-1",
        json={"price_cents": 55000},
        headers=auth,
    )
    assert price.status_code == 200
    assert (price.json()["price_cents"], price.json()["base_price_cents"]) == (55000, 60000)
    at_location = client.get(
        "/api/admin/tenants/tintworld/catalog", params={"location_id": "san-diego"}, headers=auth
    )
    tenant_wide = client.get("/api/admin/tenants/tintworld/catalog", headers=auth)
    assert [(e["service_id"], e["price_cents"], e["price_overridden"]) for e in at_location.json()] == [
        ("cs-1", 55000, True)
    ]
    assert [(e["service_id"], e["price_cents"]) for e in tenant_wide.json()] == [("cs-1", 60000)]
    cleared = client.delete("/api/admin/tenants/tintworld/locations/san-diego/prices/cs-1", headers=auth)
    assert cleared.json()["price_cents"] == 60000


def test_bad_input_is_a_clear_4xx_naming_the_problem(client: TestClient[Any]) -> None:
    token = _create_tenant(client, "tintworld")
    auth = _bearer(token)

    bad_zone = client.post(
        "/api/admin/tenants/tintworld/locations",
        json={"location_id": "x", "name": "X", "crm_location_id": "c", "time_zone": "Mars/Base"},
        headers=auth,
    )
    bad_slug = client.post("/api/admin/tenants", json={"tenant_id": "Tint World", "name": "x"}, headers=ADMIN)
    duplicate = client.post("/api/admin/tenants", json={"tenant_id": "tintworld", "name": "x"}, headers=ADMIN)
    bad_body = client.put("/api/admin/tenants/tintworld/demo-mode", json={"enabled": "maybe"}, headers=auth)
    bad_plan = client.put(
        "/api/admin/tenants/tintworld/touch-plan",
        json={"touches": [{"number": 2, "day": 0, "channels": ["sms"]}]},
        headers=auth,
    )
    bad_template = client.put(
        "/api/admin/tenants/tintworld/templates",
        json={"templates": {"1": {"sms": "Hi {{ nme }}"}}},
        headers=auth,
    )

    assert (bad_zone.status_code, bad_zone.json()["detail"]) == (
        422,
        "time zone 'Mars/Base' is not an IANA time zone name such as 'America/Los_Angeles'",
    )
    assert bad_slug.status_code == 422 and "must be a slug" in bad_slug.json()["detail"]
    assert duplicate.status_code == 409 and "already exists" in duplicate.json()["detail"]
    assert bad_body.status_code == 400 and "enabled" in bad_body.text
    assert bad_plan.status_code == 422 and "numbered 1, 2, 3" in bad_plan.json()["detail"]
    assert bad_template.status_code == 422 and "unknown field 'nme'" in bad_template.json()["detail"]


def test_a_tenant_turns_the_assistant_off_for_texts_and_emails_and_sets_the_live_conversation(
    client: TestClient[Any],
) -> None:
    auth = _bearer(_create_tenant(client, "tintworld"))

    updated = client.patch(
        "/api/admin/tenants/tintworld",
        json={"assistant_answers_messages": False, "live_conversation_minutes": 30},
        headers=auth,
    )
    too_short = client.patch(
        "/api/admin/tenants/tintworld", json={"live_conversation_minutes": 0}, headers=auth
    )
    not_a_flag = client.patch(
        "/api/admin/tenants/tintworld", json={"assistant_answers_messages": "nope"}, headers=auth
    )

    assert updated.status_code == 200
    assert (updated.json()["assistant_answers_messages"], updated.json()["live_conversation_minutes"]) == (
        False,
        30,
    )
    assert too_short.status_code == 422 and "live conversation minutes" in too_short.json()["detail"]
    assert not_a_flag.status_code == 400 and "assistant_answers_messages" in not_a_flag.text
    assert client.get("/api/admin/tenants/tintworld", headers=auth).json()["live_conversation_minutes"] == 30


def test_a_tenant_token_cannot_turn_demo_mode_off_and_the_operator_confirms_with_the_tenants_id(
    client: TestClient[Any],
) -> None:
    token = _create_tenant(client, "tintworld")
    url = "/api/admin/tenants/tintworld/demo-mode"

    refused = client.put(url, json={"enabled": False, "confirm": "tintworld"}, headers=_bearer(token))
    assert refused.status_code == 403
    assert "only the operator (the admin token) can turn demo mode off" in refused.json()["detail"]
    unconfirmed = client.put(url, json={"enabled": False}, headers=ADMIN)
    assert unconfirmed.status_code == 422
    assert "confirm with the tenant's id ('tintworld')" in unconfirmed.json()["detail"]
    assert client.get("/api/admin/tenants/tintworld", headers=ADMIN).json()["demo_mode"] is True

    done = client.put(
        url, json={"enabled": False, "confirm": "tintworld"}, headers={**ADMIN, "X-Actor": "Ana"}
    )
    assert done.status_code == 200 and done.json()["demo_mode"] is False
    latest = client.get("/api/admin/tenants/tintworld/audit", headers=ADMIN).json()[0]
    assert (latest["action"], latest["actor"]) == ("tenant.demo_mode.off", "Ana via admin-token")
    # The tenant may always turn it back on: that only holds messages back.
    assert client.put(url, json={"enabled": True}, headers=_bearer(token)).json()["demo_mode"] is True


def test_demo_mode_allow_list_plan_templates_and_token_rotation(client: TestClient[Any]) -> None:
    token = _create_tenant(client, "tintworld")
    auth = _bearer(token)
    base = "/api/admin/tenants/tintworld"

    allowed = client.post(f"{base}/allow-list", json={"address": "Maya.Ortega@example.com"}, headers=auth)
    assert allowed.json()["allow_list"] == ["maya.ortega@example.com"]
    assert (
        client.delete(f"{base}/allow-list/maya.ortega@example.com", headers=auth).json()["allow_list"] == []
    )
    off = {"enabled": False, "confirm": "tintworld"}
    assert client.put(f"{base}/demo-mode", json=off, headers=ADMIN).json()["demo_mode"] is False
    plan = client.put(
        f"{base}/touch-plan", json={"touches": [{"number": 1, "day": 0, "channels": ["sms"]}]}, headers=auth
    )
    assert plan.json()["custom_touch_plan"] == [{"number": 1, "day": 0, "channels": ["sms"]}]
    templates = client.put(
        f"{base}/templates", json={"templates": {"1": {"sms": "Hi {{ first_name }}!"}}}, headers=auth
    )
    assert templates.json()["templates"] == {"1": {"sms": "Hi {{ first_name }}!"}}

    rotated = client.post(f"{base}/api-token", headers=auth)
    assert rotated.status_code == 201
    assert client.get(base, headers=auth).status_code == 401
    assert client.get(base, headers=_bearer(rotated.json()["api_token"])).status_code == 200
    actions = [e["action"] for e in client.get(f"{base}/audit", headers=ADMIN).json()]
    assert actions[:6] == [
        "tenant.api_token.rotate",
        "tenant.templates",
        "tenant.touch_plan",
        "tenant.demo_mode.off",
        "tenant.allow_list.remove",
        "tenant.allow_list.add",
    ]


def test_the_openapi_schema_describes_the_admin_bodies_exactly(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()

    assert "/api/admin/tenants/{tenant_id}/locations/{location_id}/sending-window" in schema["paths"]
    tenant = schema["components"]["schemas"]["TenantConfig"]
    assert "crm_api_key_set" in tenant["properties"]
    assert not any(
        name == "crm_api_key" or "secret" in name
        for name in tenant["properties"]
        if name != "crm_webhook_secret_set"
    )
