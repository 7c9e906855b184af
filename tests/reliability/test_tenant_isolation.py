"""Tenant isolation: one tenant's token, ids or webhook secret never reach another tenant's data.

The probes are enumerated from the running app's routes and from the CLI's parser, so a new endpoint or
command is probed without editing this file (a CLI argument with no probe value fails the test, asking
for one). Every probe must be refused (401/403/404, or a CLI error) and its answer must carry none of
the other tenant's data.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from tests.support.leads import a_lead

from leadorch.adapters.clocks import AdjustableClock
from leadorch.adapters.shopmonkey_webhook import sign_delivery
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.http.app import create_app
from leadorch.app.ingestion.inbox import WebhookInbox
from leadorch.app.settings import load_settings
from leadorch.domain.values import Vehicle

pytestmark = pytest.mark.postgres

ADMIN_TOKEN = "isolation-admin-token-000"
NOW = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
ALPHA_SECRET = "whsec_" + "YWxwaGEtc2VjcmV0LWtleS0xMjM0NTY3ODkwMTIzNA=="
BRAVO_SECRET = "whsec_" + "YnJhdm8tc2VjcmV0LWtleS0xMjM0NTY3ODkwMTIzNA=="
# What must never appear in an answer to a bravo probe: alpha's names and its customer's contact details.
ALPHA_DATA = ("Alpha Tint", "Alpha Main Street", "Annabel", "annabel.alpha@example.com", "+15125550177")
# Routes authenticated by something other than a bearer token (provider signatures, chat links).
NOT_BEARER = re.compile(
    r"^/(webhooks|unsubscribe|chat|api/chat|api/demo|console|static|favicon|health|ready|metrics|schema)"
)


@dataclass
class Tenants:
    container: Container
    alpha_token: str
    bravo_token: str
    alpha_lead: str
    bravo_lead: str


def _tenant(container: Container, tenant_id: str, name: str, location: str, secret: str) -> str:
    service = container.config
    token = service.create_tenant(tenant_id, name=name, crm_webhook_secret=secret, actor="test").api_token
    service.add_location(
        tenant_id,
        location,
        name=f"{name.split()[0]} Main Street",
        crm_location_id=f"crm-{location}",
        time_zone="America/Chicago",
        phone="+15125550100",
        weekly_hours={"mon": ["09:00-18:00"]},
        actor="test",
    )
    return token


def _lead(container: Container, tenant_id: str, location: str, first: str, email: str, phone: str) -> str:
    lead = a_lead(
        tenant_id=tenant_id,
        location_id=location,
        order=f"order-{tenant_id}",
        customer=f"customer-{tenant_id}",
        first_name=first,
        last_name="Doe",
        email=email,
        phone=phone,
        vehicle=Vehicle(2021, "Toyota", "Camry"),
        services=("Ceramic Tint",),
        at=NOW,
    ).registered()
    container.store.save(lead)
    return str(lead.id)


@pytest.fixture(scope="module")
def tenants(request: pytest.FixtureRequest) -> Iterator[Tenants]:
    from tests.support.services import create_database, drop_database

    from leadorch.app.projections.wiring import catch_up

    admin = request.getfixturevalue("pg_admin_url")
    url = create_database(admin)
    container = bootstrap(
        load_settings({}, database_url=url, admin_token=ADMIN_TOKEN), clock=AdjustableClock(NOW)
    )
    alpha_token = _tenant(container, "alpha", "Alpha Tint", "alpha-shop", ALPHA_SECRET)
    bravo_token = _tenant(container, "bravo", "Bravo Film", "bravo-shop", BRAVO_SECRET)
    alpha_lead = _lead(
        container, "alpha", "alpha-shop", "Annabel", "annabel.alpha@example.com", "+15125550177"
    )
    bravo_lead = _lead(container, "bravo", "bravo-shop", "Bert", "bert.bravo@example.com", "+15125550188")
    catch_up(container)  # the lead list and views read the projected read models
    try:
        yield Tenants(container, alpha_token, bravo_token, alpha_lead, bravo_lead)
    finally:
        container.close()
        drop_database(admin, url)


@pytest.fixture(scope="module")
def client(tenants: Tenants) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(tenants.container)) as test_client:
        yield test_client


def tenant_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path template) of every bearer-authenticated API route, from the app itself."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or NOT_BEARER.match(route.path):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                if method not in ("HEAD", "OPTIONS"):
                    found.append((method, route.path))
    return sorted(set(found))


def fill(path: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise AssertionError(
                f"no probe value for path parameter {name!r} in {path}: add one to this test"
            )
        return values[name]

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def _probe_values(tenants: Tenants, tenant: str) -> dict[str, str]:
    """Alpha's ids (and harmless values for the rest) under the given tenant id."""
    return {
        "tenant_id": tenant,
        "lead_id": tenants.alpha_lead,
        "location_id": "alpha-shop",
        "service_id": "svc-window-tint",
        "address": "annabel.alpha@example.com",
        "day": "2026-12-25",
        "name": "Front desk",
    }


# Valid bodies, so that a request gets past validation to the lookup of the ids it names (an endpoint
# missing here answers 400/422 to the own-path probe, which fails the test and asks for a body).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/hand-to-shop"): {"reason": "probe"},
    ("POST", "/pause"): {"reason": "probe"},
    ("PUT", "/hours"): {"weekly_hours": {"mon": ["09:00-17:00"]}},
    ("PUT", "/prices/{service_id:str}"): {"price_cents": 1000},
    ("PUT", "/staff/{name:str}"): {"email": "probe@example.com", "alerts": ["new_lead"]},
    ("PATCH", "/{location_id:str}"): {"name": "Probe"},
    ("PUT", "/sending-window"): {"start": "09:00", "end": "17:00"},
    ("PUT", "/exceptions/{day:date}"): {"closed": True},
}


def _body(method: str, path: str) -> dict[str, Any] | None:
    if method not in ("POST", "PUT", "PATCH"):
        return None
    return next((body for (m, end), body in BODIES.items() if m == method and path.endswith(end)), {})


def _call(client: TestClient[Any], method: str, path: str, url: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.request(method, url, headers=headers, json=_body(method, path))


def _leaks(text: str) -> list[str]:
    return [item for item in ALPHA_DATA if item in text]


def test_the_probed_routes_cover_every_tenant_endpoint(client: TestClient[Any]) -> None:
    routes = tenant_routes(client.app)
    paths = {path for _, path in routes}
    assert any("{lead_id" in path for path in paths) and any("{location_id" in path for path in paths)
    assert len(routes) >= 25, routes


def test_another_tenants_token_gets_403_or_404_and_no_data_on_every_route(
    client: TestClient[Any], tenants: Tenants
) -> None:
    refused = []
    for method, path in tenant_routes(client.app):
        if "{tenant_id" not in path:
            continue
        url = fill(path, _probe_values(tenants, "alpha"))
        response = _call(client, method, path, url, tenants.bravo_token)
        if response.status_code not in (403, 404) or _leaks(response.text):
            refused.append(f"{method} {url}: {response.status_code} {response.text[:200]}")
    assert not refused, "bravo's token reached alpha:\n" + "\n".join(refused)


def test_a_tenant_using_its_own_path_with_another_tenants_ids_gets_404(
    client: TestClient[Any], tenants: Tenants
) -> None:
    leaked = []
    for method, path in tenant_routes(client.app):
        if "{tenant_id" not in path or not ("{lead_id" in path or "{location_id" in path):
            continue
        url = fill(path, _probe_values(tenants, "bravo"))
        response = _call(client, method, path, url, tenants.bravo_token)
        if response.status_code not in (403, 404) or _leaks(response.text):
            leaked.append(f"{method} {url}: {response.status_code} {response.text[:200]}")
    assert not leaked, "alpha's ids answered under bravo:\n" + "\n".join(leaked)


def test_operator_only_routes_refuse_a_tenant_token(client: TestClient[Any], tenants: Tenants) -> None:
    wrong = []
    for method, path in tenant_routes(client.app):
        if "{tenant_id" in path:
            continue
        response = _call(
            client, method, path, fill(path, _probe_values(tenants, "alpha")), tenants.bravo_token
        )
        if response.status_code not in (403, 404) or _leaks(response.text):
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
    assert not wrong, "\n".join(wrong)


def test_no_token_gets_401_on_every_route(client: TestClient[Any], tenants: Tenants) -> None:
    wrong = []
    for method, path in tenant_routes(client.app):
        response = _call(client, method, path, fill(path, _probe_values(tenants, "alpha")), None)
        if response.status_code != 401 or _leaks(response.text):
            wrong.append(f"{method} {path}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_the_probe_values_do_reach_data_with_the_right_token(
    client: TestClient[Any], tenants: Tenants
) -> None:
    """The refusals above are not an accident of bad ids: the owner's token sees the lead."""
    response = client.get(
        f"/api/tenants/alpha/leads/{tenants.alpha_lead}/events",
        params={"full": "true"},
        headers={"Authorization": f"Bearer {tenants.alpha_token}"},
    )
    assert response.status_code == 200
    assert "Annabel" in response.text


def test_a_webhook_signed_with_another_tenants_secret_is_refused_and_not_stored(
    client: TestClient[Any], tenants: Tenants
) -> None:
    body = b'{"apiVersion":"3","operation":"INSERT","table":"order","data":{"id":"x"}}'
    headers = sign_delivery(BRAVO_SECRET, body, msg_id="msg_cross1", timestamp=NOW, request_id="req_cross1")
    response = client.post("/webhooks/shopmonkey/alpha", content=body, headers=headers)
    assert response.status_code == 401
    assert WebhookInbox(tenants.container.db).get("req_cross1") is None


# ----------------------------------------------------------------------------------------------- CLI

# Commands that create something under the given ids (a location "alpha-shop" of bravo's own is fine).
CREATING = {("locations", "add")}
CLI_VALUES = {
    "tenant_id": "bravo",
    "tenant": "bravo",
    "location_id": "alpha-shop",
    "location": "alpha-shop",
    "service_id": "svc-window-tint",
    "date": "2026-12-25",
    "window": "09:00-17:00",
    "change": "set",
    "name": "Front desk",
    "reason": "probe",
    "price": "10.00",
    "email": "probe@example.com",
    "hours": "mon 09:00-17:00",
}


def leaf_commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from leaf_commands(sub, (*prefix, name))
            return
    yield prefix, parser


def cli_probe(parser: argparse.ArgumentParser, command: tuple[str, ...], lead_id: str) -> list[str] | None:
    """The argv probing `command` as bravo with alpha's ids, or None if it names no other entity."""
    actions = [a for a in parser._actions if a.dest != "help"]
    dests = {a.dest for a in actions}
    if not dests & {"tenant", "tenant_id"} or not dests & {"lead_id", "location_id", "location"}:
        return None
    values = {**CLI_VALUES, "lead_id": lead_id}
    argv = list(command)
    required_groups = [g for g in parser._mutually_exclusive_groups if g.required]
    for action in actions:
        in_required_group = any(action in g._group_actions for g in required_groups)
        first_of_group = any(g._group_actions[0] is action for g in required_groups)
        if action.option_strings and not (
            action.required or first_of_group or action.dest in ("tenant", "location")
        ):
            continue
        if in_required_group and not first_of_group:
            continue
        if action.dest not in values:
            raise AssertionError(
                f"`leadorch {' '.join(command)}`: no probe value for {action.dest!r}: add one"
            )
        if action.option_strings:
            argv += (
                [action.option_strings[-1]]
                if action.nargs == 0
                else [action.option_strings[-1], values[action.dest]]
            )
        else:
            argv.append(values[action.dest])
    return argv


def test_every_tenant_scoped_cli_command_refuses_another_tenants_ids(
    tenants: Tenants, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadorch.app.cli import build_parser, main

    monkeypatch.setenv("DATABASE_URL", tenants.container.settings.database_url)
    monkeypatch.setenv("LEADORCH_ADMIN_TOKEN", ADMIN_TOKEN)
    probed, wrong = [], []
    for command, parser in leaf_commands(build_parser()):
        if command in CREATING:
            continue
        argv = cli_probe(parser, command, tenants.alpha_lead)
        if argv is None:
            continue
        probed.append(" ".join(argv))
        code = main(argv)
        out = capsys.readouterr()
        if code == 0 or _leaks(out.out + out.err):
            wrong.append(f"leadorch {' '.join(argv)} -> exit {code}: {(out.out + out.err)[:200]}")
    assert any(p.startswith("audit") for p in probed) and any(p.startswith("leads pause") for p in probed), (
        probed
    )
    assert not wrong, "\n".join(wrong)
