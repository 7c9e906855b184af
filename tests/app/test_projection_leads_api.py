"""`GET /api/tenants/{tenant}/leads` and `/leads/{id}`: the lead list and one lead, from the read model,
for the operator's token or the tenant's own token only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from litestar.testing import TestClient
from tests.support.leads import a_lead

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.http.app import create_app
from leadorch.app.projections.wiring import catch_up
from leadorch.app.settings import load_settings
from leadorch.domain.lead import Lead
from leadorch.domain.values import Vehicle

ARRIVAL = datetime(2025, 6, 2, 17, 0, tzinfo=UTC)
ADMIN = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    built = bootstrap(
        load_settings({}, database_url=database_url, admin_token="test-admin-token"),
        clock=AdjustableClock(ARRIVAL),
    )
    yield built
    built.close()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(container)) as test_client:
        yield test_client


def register(container: Container, tenant: str, order: str, first: str, at: datetime) -> Lead:
    lead = a_lead(
        tenant_id=tenant,
        order=order,
        customer=f"c-{order}",
        first_name=first,
        email=f"{first.lower()}@example.com",
        vehicle=Vehicle(2022, "Tesla", "Model 3"),
        services=("Windshield Ceramic",),
        sms_consent=False,
        at=at,
    ).registered()
    container.store.save(lead)
    return lead


def test_the_lead_list_and_a_lead_come_from_the_read_model(container: Container, client: TestClient) -> None:  # type: ignore[type-arg]
    container.config.create_tenant("tint-co", name="Tint Co", actor="test")
    maria = register(container, "tint-co", "o1", "Maria", ARRIVAL)
    register(container, "tint-co", "o2", "Mateo", ARRIVAL + timedelta(minutes=5))
    catch_up(container)

    page = client.get("/api/tenants/tint-co/leads", params={"search": "mat", "limit": 10}, headers=ADMIN)
    one = client.get(f"/api/tenants/tint-co/leads/{maria.id}", headers=ADMIN)

    assert page.status_code == 200
    assert [lead["first_name"] for lead in page.json()["items"]] == ["Mateo"]
    assert (page.json()["limit"], page.json()["offset"]) == (10, 0)
    assert one.status_code == 200
    body = one.json()
    assert (body["lead_id"], body["status"], body["sms_consent"], body["services"]) == (
        str(maria.id),
        "new",
        False,
        ["Windshield Ceramic"],
    )
    assert body["received_at"] == "2025-06-02T17:00:00Z"


def test_a_tenant_token_sees_only_its_own_leads(container: Container, client: TestClient) -> None:  # type: ignore[type-arg]
    config = container.config
    own = config.create_tenant("tint-co", name="Tint Co", actor="test").api_token
    other = config.create_tenant("other-co", name="Other Co", actor="test").api_token
    maria = register(container, "tint-co", "o1", "Maria", ARRIVAL)
    register(container, "other-co", "o1", "Olga", ARRIVAL)
    catch_up(container)

    mine = client.get("/api/tenants/tint-co/leads", headers={"Authorization": f"Bearer {own}"})
    theirs = client.get("/api/tenants/tint-co/leads", headers={"Authorization": f"Bearer {other}"})
    cross = client.get(
        f"/api/tenants/other-co/leads/{maria.id}", headers={"Authorization": f"Bearer {other}"}
    )
    missing = client.get(f"/api/tenants/tint-co/leads/{UUID(int=9)}", headers=ADMIN)

    assert [lead["first_name"] for lead in mine.json()["items"]] == ["Maria"]
    assert theirs.status_code == 404
    assert cross.status_code == 404
    assert missing.status_code == 404
    assert client.get("/api/tenants/tint-co/leads").status_code == 401


def test_bad_list_parameters_are_refused_naming_what_is_wrong(
    container: Container, client: TestClient
) -> None:  # type: ignore[type-arg]
    container.config.create_tenant("tint-co", name="Tint Co", actor="test")

    bad_status = client.get("/api/tenants/tint-co/leads", params={"status": "asleep"}, headers=ADMIN)
    bad_limit = client.get("/api/tenants/tint-co/leads", params={"limit": 0}, headers=ADMIN)

    assert bad_status.status_code == 400
    assert "status must be one of new, contacting, engaged" in bad_status.json()["detail"]
    assert bad_limit.status_code == 400
    assert "limit" in str(bad_limit.json())
