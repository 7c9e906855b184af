"""Why is this quote not a lead? The ingest log in the console (per location) and from the CLI.

Deliveries go through the real webhook endpoint and the worker's processing; the page and the command
read the ingest log read model, so every reason the website-lead rule gave is there to read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from tests.app.test_console_world import log_in
from tests.support.shopmonkey_world import LOCATION, TENANT, ShopMonkeyWorld, deliver

from leadorch.app.cli import main
from leadorch.app.http.app import create_app
from leadorch.app.projections.wiring import catch_up

REPAIR_ORDER = "66a1f0c2b7e4d9a1c2f3e4ff"
QUOTE = "o-ingest-view-quote"


@pytest.fixture(scope="module")
def world(shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient) -> ShopMonkeyWorld:
    world = shopmonkey_module_world
    deliver(world, shopmonkey_client, world.body("order-insert-repair-order"), request_id="req_view_repair")
    deliver(world, shopmonkey_client, world.new_quote(QUOTE), request_id="req_view_quote")
    catch_up(world.container)
    return world


@pytest.fixture(scope="module")
def console(world: ShopMonkeyWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), base_url="https://leads.tint.example.com") as client:
        log_in(client, world.container.settings.admin_token)
        yield client


def test_the_console_lists_every_order_version_with_each_reason_it_was_rejected(
    console: TestClient,
) -> None:
    page = console.get(f"/console/t/{TENANT}/ingest")

    assert page.status_code == 200
    assert 'aria-current="page">Ingest log<' in page.text
    assert REPAIR_ORDER in page.text and QUOTE in page.text
    for reason in ("is not one of the tenant&#39;s website-lead statuses", "the order is already authorized"):
        assert reason in page.text
    assert "lead created" in page.text


def test_the_console_filters_by_decision_and_location_and_refuses_a_bad_filter(
    console: TestClient,
) -> None:
    rejected = console.get(f"/console/t/{TENANT}/ingest", params={"decision": "rejected"}).text
    accepted = console.get(f"/console/t/{TENANT}/ingest", params={"decision": "accepted"}).text
    here = console.get(f"/console/t/{TENANT}/ingest", params={"location": LOCATION}).text
    bad = console.get(f"/console/t/{TENANT}/ingest", params={"decision": "maybe", "location": "nowhere"})

    assert REPAIR_ORDER in rejected and QUOTE not in rejected
    assert QUOTE in accepted and REPAIR_ORDER not in accepted
    assert QUOTE in here
    assert bad.status_code == 400
    assert "decision" in bad.text and "nowhere" in bad.text


def test_the_cli_answers_why_a_quote_is_not_a_lead(
    world: ShopMonkeyWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", world.container.settings.database_url)

    assert main(["ingest-log", TENANT, "--rejected"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert main(["ingest-log", TENANT, "--location", LOCATION, "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    [repair] = [line for line in lines if REPAIR_ORDER in line]
    assert "rejected" in repair and "the order is already authorized" in repair
    assert not any(QUOTE in line for line in lines)
    quote = next(record for record in records if record["order_id"] == QUOTE)
    assert (quote["accepted"], quote["outcome"], quote["location_id"]) == (True, "lead_created", LOCATION)
    assert quote["lead_id"]


def test_the_cli_names_an_unknown_tenant_or_location_in_one_line(
    world: ShopMonkeyWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", world.container.settings.database_url)

    assert main(["ingest-log", "no-such-tenant"]) == 2
    assert main(["ingest-log", TENANT, "--location", "nowhere"]) == 2
    assert main(["ingest-log", TENANT, "--limit", "0"]) == 2
    # Only our one-line answers: an earlier test's logging handler may still write to its own stream.
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("leadorch: error: ")]
    assert len(errors) == 3
    assert "no-such-tenant" in errors[0] and "nowhere" in errors[1] and "--limit" in errors[2]
