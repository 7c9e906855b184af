"""Guards against ShopMonkey's silent traps: a configured location id ShopMonkey does not list (a filter on
it would answer with every location's rows), and a webhook ShopMonkey put in its error state (it stops
delivering). Both are found against the stand-in through the production adapter, named on `/ready` and
on the console dashboard; the poller keeps going either way. SQLite and PostgreSQL."""

from __future__ import annotations

from litestar.testing import TestClient
from tests.support.shopmonkey_world import TENANT, ShopMonkeyWorld

from leadorch.app.console.dashboard import DateRange, build_dashboard
from leadorch.app.crm_health import CrmHealth, check_crm_locations, check_webhooks, start_crm_checks
from leadorch.app.http.app import create_app
from leadorch.app.ingestion.poller import CrmPoller

WEBHOOK_URL = "https://leads.tint.example.com/webhooks/shopmonkey/tint"
BROKEN = "Endpoint https://leads.tint.example.com/webhooks/shopmonkey/tint returned HTTP 502 25 times"


def ready(world: ShopMonkeyWorld) -> dict[str, object]:
    with TestClient(app=create_app(world.container)) as client:
        response = client.get("/ready")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def add_a_location_with_a_mistyped_crm_id(world: ShopMonkeyWorld) -> None:
    world.container.config.add_location(
        TENANT, "la", name="Tint World LA", crm_location_id="6198139a5391fa197fac13e8",
        time_zone="America/Los_Angeles", actor="test",
    )  # fmt: skip


def test_configured_locations_shopmonkey_lists_pass_the_start_check(
    shopmonkey_world: ShopMonkeyWorld,
) -> None:
    assert check_crm_locations(shopmonkey_world.container) == []
    assert shopmonkey_world.shopmonkey.requests_to("/v3/location", "GET")
    assert ready(shopmonkey_world)["status"] == "ready"


def test_a_location_id_shopmonkey_does_not_list_is_named_at_start_and_on_ready(
    shopmonkey_world: ShopMonkeyWorld,
) -> None:
    add_a_location_with_a_mistyped_crm_id(shopmonkey_world)

    start_crm_checks(shopmonkey_world.container).join(timeout=30)

    (line,) = CrmHealth(shopmonkey_world.container.db).problems()
    assert "location tint/la: ShopMonkey has no location '6198139a5391fa197fac13e8'" in line
    assert "leadorch locations update tint la --crm-location-id" in line
    body = ready(shopmonkey_world)
    assert body["status"] == "degraded" and body["degraded"] == [line]
    # Once ShopMonkey lists it (the store was opened there), the next check clears the finding.
    shopmonkey_world.shopmonkey.add_location({"id": "6198139a5391fa197fac13e8", "name": "LA"})
    assert check_crm_locations(shopmonkey_world.container) == []
    assert ready(shopmonkey_world)["status"] == "ready"


def test_a_webhook_in_shopmonkeys_error_state_is_shown_and_the_poller_keeps_going(
    shopmonkey_world: ShopMonkeyWorld,
) -> None:
    webhook = shopmonkey_world.shopmonkey.add_webhook(WEBHOOK_URL)
    assert check_webhooks(shopmonkey_world.container) == []

    shopmonkey_world.shopmonkey.break_webhook(webhook["id"], BROKEN)
    (line,) = check_webhooks(shopmonkey_world.container)

    assert f"tenant tint: ShopMonkey webhook leadorch ({WEBHOOK_URL}) is in an error state since" in line
    assert line.endswith(f"is not delivering: {BROKEN}; the poller keeps polling")
    body = ready(shopmonkey_world)
    assert body["status"] == "degraded" and body["degraded"] == [line]
    board = build_dashboard(
        shopmonkey_world.container, TENANT, DateRange.ending(shopmonkey_world.clock.now().date())
    )
    assert board.crm_problems == [line]
    poll = CrmPoller(shopmonkey_world.container).poll(TENANT)
    assert poll.complete and poll.appointments_complete and poll.versions_new == 2
    assert shopmonkey_world.lead().status.value == "new"


def test_a_shopmonkey_that_refuses_the_check_is_not_a_finding(shopmonkey_world: ShopMonkeyWorld) -> None:
    shopmonkey_world.shopmonkey.fail_next("/v3/*", times=100, status=401)

    assert check_crm_locations(shopmonkey_world.container) == []
    assert check_webhooks(shopmonkey_world.container) == []
    assert CrmHealth(shopmonkey_world.container.db).problems() == []
