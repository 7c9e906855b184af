"""The service catalog follows the shop's canned services in ShopMonkey: imported with prices and
durations, changed ones updated, vanished ones deactivated (not deleted), location prices kept.
Through the sync function and through `leadorch catalog sync --tenant`. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from tests.support.shopmonkey_world import LOCATION, TENANT, ShopMonkeyWorld

from leadorch.app.cli import main
from leadorch.app.ingestion.catalog import sync_catalog

ULTIMATE = "66a0cs000000000000000000"
SUPREME = "66a0cs000000000000000001"
REMOVAL = "66a0cs000000000000000005"


def catalog(world: ShopMonkeyWorld, location: str | None = None) -> dict[str, tuple]:
    entries = world.container.config.repository.catalog(TENANT, location, include_inactive=True)
    return {e.service_id: (e.name, e.price_cents, e.duration_minutes, e.bookable, e.active) for e in entries}


def test_the_canned_services_are_imported_with_price_and_duration(shopmonkey_world: ShopMonkeyWorld) -> None:
    result = sync_catalog(shopmonkey_world.container, TENANT)

    assert len(result.added) == 6 and result.updated == [] and result.deactivated == []
    services = catalog(shopmonkey_world)
    assert services[ULTIMATE] == ("Ultimate Tint Package", 60000, 180, True, True)
    assert services[SUPREME] == ("Supreme Tint Package", 45000, 150, True, True)
    assert services[REMOVAL] == ("Tint Removal", 12900, 90, False, True)


def test_a_later_sync_updates_deactivates_and_keeps_location_prices(
    shopmonkey_world: ShopMonkeyWorld,
) -> None:
    sync_catalog(shopmonkey_world.container, TENANT)
    shopmonkey_world.container.config.set_location_price(TENANT, LOCATION, SUPREME, 42000, actor="test")
    shopmonkey_world.shopmonkey.services[SUPREME]["totalCents"] = 47500
    del shopmonkey_world.shopmonkey.services[REMOVAL]

    result = sync_catalog(shopmonkey_world.container, TENANT)

    assert (result.added, result.updated, result.deactivated) == ([], [SUPREME], [REMOVAL])
    assert catalog(shopmonkey_world)[SUPREME][1] == 47500
    assert catalog(shopmonkey_world, LOCATION)[SUPREME][1] == 42000  # the location's own price survives
    assert catalog(shopmonkey_world)[REMOVAL][4] is False  # kept, inactive
    assert sync_catalog(shopmonkey_world.container, TENANT).updated == []  # nothing changed: nothing to do


def test_the_cli_syncs_a_tenant_and_names_a_bad_one(
    shopmonkey_world: ShopMonkeyWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", shopmonkey_world.container.settings.database_url)
    monkeypatch.setenv("SHOPMONKEY_BASE_URL", shopmonkey_world.server.url)

    assert main(["catalog", "sync", "--tenant", TENANT, "--actor", "ops-alice"]) == 0
    assert "catalog of tenant tint: 6 added, 0 updated, 0 deactivated" in capsys.readouterr().out
    assert main(["catalog", "sync", "--tenant", "nobody"]) == 2
    assert "tenant 'nobody' not found" in capsys.readouterr().err
    entries = shopmonkey_world.container.config.repository.audit_entries(TENANT, limit=1)
    assert (entries[0].action, entries[0].actor) == ("catalog.sync", "ops-alice")
