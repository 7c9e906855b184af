"""API fuzzing: every operation of the app's own OpenAPI document, with generated inputs, authenticated as
the operator, answers without a server error and with a response that matches its documented schema.

Schemathesis reads `/schema/openapi.json` from the running app (so a new endpoint is fuzzed without
touching this file) and Hypothesis draws a bounded number of examples per operation. (Each operation
runs as its own Hypothesis test inside one pytest test: schemathesis's lazy pytest integration does not
work with the pytest this project pins.) Half of the cases
aim at a tenant, location and lead that exist, so the fuzzing reaches past the 404 for unknown ids.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from tests.support.leads import a_lead

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.http.app import create_app
from leadorch.app.settings import load_settings
from leadorch.domain.values import Vehicle

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

ADMIN_TOKEN = "fuzz-admin-token-0123456789"
TENANT = "acme"
LOCATION = "downtown"
START = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
EXAMPLES_PER_OPERATION = 15
# Known ids the generated cases are steered to, half of the time (by a stable hash of the case).
_KNOWN: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzz_container(request: pytest.FixtureRequest) -> Iterator[Container]:
    from tests.support.services import create_database, drop_database

    admin = request.getfixturevalue("pg_admin_url")
    url = create_database(admin)
    container = bootstrap(
        load_settings({}, database_url=url, admin_token=ADMIN_TOKEN), clock=AdjustableClock(START)
    )
    service = container.config
    service.create_tenant(TENANT, name="Acme Tint", actor="fuzz")
    service.add_location(
        TENANT,
        LOCATION,
        name="Acme Downtown",
        crm_location_id="crm-downtown",
        time_zone="America/Chicago",
        phone="+15125550100",
        weekly_hours={"mon": ["09:00-18:00"]},
        actor="fuzz",
    )
    lead = a_lead(
        tenant_id=TENANT,
        location_id=LOCATION,
        order="order-1",
        customer="customer-1",
        first_name="Jane",
        last_name="Doe",
        email="jane@example.com",
        phone="+15125550123",
        vehicle=Vehicle(2021, "Toyota", "Camry"),
        services=("Ceramic Tint",),
        at=START,
    ).registered()
    container.store.save(lead)
    _KNOWN.update(tenant_id=TENANT, location_id=LOCATION, lead_id=str(lead.id))
    try:
        yield container
    finally:
        container.close()
        drop_database(admin, url)


def _steer(case: Any) -> None:
    """Point half of the cases at ids that exist, so handlers run past their lookups."""
    params = case.path_parameters or {}
    if zlib.crc32(repr(sorted(params.items())).encode()) % 2:
        for name, value in _KNOWN.items():
            if name in params:
                params[name] = value


def _fuzz(operation: Any) -> str | None:
    """Run the bounded examples of one operation; the first failure's description, or None."""
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: Any) -> None:
        _steer(case)
        response = case.call(headers=auth)
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance], headers=auth
        )

    try:
        run()
    except Exception as failure:  # every check failure, reported per operation below
        return f"{operation.method.upper()} {operation.path}: {failure}"
    return None


def test_every_operation_answers_without_server_errors_and_within_its_schema(
    fuzz_container: Container,
) -> None:
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(fuzz_container))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30, "the OpenAPI document lost its operations"
    failures = [failure for operation in operations if (failure := _fuzz(operation)) is not None]
    assert not failures, "\n\n".join(failures)
