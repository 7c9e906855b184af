"""`leadorch locations technicians-from-crm`: the bookable technicians taken from the shop's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.conftest import shared_fixtures_dir
from tests.support.shopmonkey_world import CRM_LOCATION, LOCATION, TENANT, ShopMonkeyWorld

from leadorch.app.cli import main

MINA = "5f1b2c3d4e5f607182930t01"
GUS = "5f1b2c3d4e5f607182930t02"
LEE = "5f1b2c3d4e5f607182930t03"


def wire(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_the_technicians_the_calendar_names_are_added_after_those_listed(
    shopmonkey_world: ShopMonkeyWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", shopmonkey_world.container.settings.database_url)
    monkeypatch.setenv("SHOPMONKEY_BASE_URL", shopmonkey_world.server.url)
    config = shopmonkey_world.container.config
    config.update_location(TENANT, LOCATION, technician_ids=[LEE], actor="test")
    fake = shopmonkey_world.shopmonkey
    fake.add_fixture_calendar(shared_fixtures_dir())  # the daily lunch names Mina and Gus
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)  # the command reads from today
    fake.add_appointment(
        {"id": "soon-1", "locationId": CRM_LOCATION, "name": "Tint", "startDate": wire(soon),
         "endDate": wire(soon + timedelta(hours=2)), "technicianIds": [MINA]}
    )  # fmt: skip

    code = main(
        ["locations", "technicians-from-crm", TENANT, LOCATION, "--days", "7", "--actor", "ops-alice"]
    )

    out = capsys.readouterr().out
    assert code == 0, out
    assert f"  technicians: {LEE}, {MINA}, {GUS}" in out.splitlines()
    assert config.location(TENANT, LOCATION).technician_ids == [LEE, MINA, GUS]
    entry = config.audit(TENANT, limit=1)[0]
    assert (entry.action, entry.actor) == ("location.update", "ops-alice")


def test_an_unreadable_calendar_changes_nothing_and_says_why(
    shopmonkey_world: ShopMonkeyWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", shopmonkey_world.container.settings.database_url)
    monkeypatch.setenv("SHOPMONKEY_BASE_URL", shopmonkey_world.server.url)
    shopmonkey_world.shopmonkey.rate_limit_next("/v3/appointment/search*", times=10, retry_after="3600")

    try:
        code = main(["locations", "technicians-from-crm", TENANT, LOCATION])
    finally:
        shopmonkey_world.shopmonkey.clear_faults()

    assert code == 2
    assert "not taken from the CRM: the shop's calendar could not be read" in capsys.readouterr().err
    assert shopmonkey_world.container.config.location(TENANT, LOCATION).technician_ids == []
