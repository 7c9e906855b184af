"""The configuration tables on both backends: what is stored, how secrets rest, how edits race.

Each test runs on SQLite and on a real PostgreSQL database (the `database_url` fixture), with only
the configuration tables created.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.config.errors import (
    ConcurrentEdit,
    LocationAlreadyExists,
    TenantAlreadyExists,
    UnknownTenant,
)
from leadorch.app.config.models import DEFAULT_BOOKING_HORIZON_DAYS, DEFAULT_CATALOG_GENERIC_WORDS
from leadorch.app.config.repository import AuditRecord, ConfigRepository
from leadorch.app.config.secrets import SecretBox
from leadorch.app.config.service import ConfigService
from leadorch.app.config.tables import SCHEMA
from leadorch.app.db import Database, open_database
from leadorch.app.schema import create_tables
from leadorch.ports.crm import CrmService

START = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
API_KEY = "sm_live_9f8e7d6c5b4a"
SECRET_KEY = "a-test-secret-key-that-is-long-enough-0001"
WEBHOOK_SECRET = "whsec_bGVhZG9yY2gtZml4dHVyZS1zZWNyZXQtMzItYnl0ZXMh"


@dataclass
class Tables:
    """Just the configuration tables on one backend, and the service over them."""

    db: Database
    clock: AdjustableClock
    config: ConfigService


@pytest.fixture
def tables(database_url: str) -> Iterator[Tables]:
    db = open_database(database_url)
    with db.transaction() as cur:
        for statement in SCHEMA:
            cur.execute(statement)
    clock = AdjustableClock(START)
    yield Tables(db=db, clock=clock, config=ConfigService(ConfigRepository(db, SecretBox(SECRET_KEY), clock)))
    db.close()


@pytest.fixture
def config(tables: Tables) -> ConfigService:
    service = tables.config
    service.create_tenant(
        "tintworld",
        name="Tint World",
        website_status_ids=["wf-website"],
        crm_api_key=API_KEY,
        crm_webhook_secret=WEBHOOK_SECRET,
        actor="ana",
    )
    service.add_location(
        "tintworld",
        "san-diego",
        name="San Diego",
        crm_location_id="crm-sd",
        time_zone="America/Los_Angeles",
        weekly_hours={"mon": ["09:00-18:00"]},
        actor="ana",
    )
    return service


def _raw(tables: Tables, sql: str) -> list[tuple[object, ...]]:
    with tables.db.transaction() as cur:
        return list(cur.execute(sql).fetchall())


def _crm(service_id: str, name: str, cents: int, minutes: int = 60, **flags: bool) -> CrmService:
    return CrmService(
        id=service_id,
        name=name,
        price_cents=cents,
        duration_minutes=minutes,
        bookable=flags.get("bookable", True),
        deleted=flags.get("deleted", False),
        location_id="crm-sd",
    )


def test_secrets_rest_encrypted_and_are_only_readable_through_the_repository(
    tables: Tables, config: ConfigService
) -> None:
    stored = " ".join(str(value) for row in _raw(tables, "SELECT * FROM config_tenants") for value in row)

    assert API_KEY not in stored
    assert "bGVhZG9yY2gtZml4dHVyZS1zZWNyZXQtMzItYnl0ZXMh" not in stored
    credentials = config.crm_credentials("tintworld")
    assert credentials.api_key is not None and credentials.api_key.reveal() == API_KEY
    assert credentials.webhook_secret is not None and credentials.webhook_secret.reveal() == WEBHOOK_SECRET
    assert API_KEY not in repr(credentials)
    assert config.tenant("tintworld").crm_api_key_set is True


def test_the_audit_never_holds_a_secret_in_clear(tables: Tables, config: ConfigService) -> None:
    config.set_crm_credentials("tintworld", api_key="sm_live_rotated_0001", actor="ana")

    audit_text = " ".join(str(v) for row in _raw(tables, "SELECT * FROM config_audit") for v in row)
    assert API_KEY not in audit_text and "sm_live_rotated_0001" not in audit_text
    assert "bGVhZG9yY2gtZml4dHVyZS1zZWNyZXQtMzItYnl0ZXMh" not in audit_text
    latest = config.audit("tintworld", limit=1)[0]
    assert (latest.action, latest.changes) == ("tenant.crm_credentials", {"crm_api_key": "(changed)"})


def test_api_tokens_are_stored_as_sha256_and_identify_their_tenant(tables: Tables) -> None:
    service = tables.config
    created = service.create_tenant("tintworld", name="Tint World", actor="ana")

    hashes = [row[0] for row in _raw(tables, "SELECT api_token_sha256 FROM config_tenants")]
    assert created.api_token not in hashes and len(str(hashes[0])) == 64
    assert service.tenant_id_for_token(created.api_token) == "tintworld"
    assert service.tenant_id_for_token(created.api_token + "x") is None

    rotated = service.rotate_api_token("tintworld", actor="ana")
    assert service.tenant_id_for_token(created.api_token) is None
    assert service.tenant_id_for_token(rotated) == "tintworld"


def test_audit_rows_are_numbered_in_order_of_change_and_say_who_what_when(
    tables: Tables, config: ConfigService
) -> None:
    tables.clock.advance(timedelta(minutes=5))
    config.set_demo_mode("tintworld", False, actor="maria", by_operator=True, confirm="tintworld")

    entries = config.audit("tintworld")
    assert [e.seq for e in entries] == sorted((e.seq for e in entries), reverse=True)
    assert [e.action for e in entries] == ["tenant.demo_mode.off", "location.create", "tenant.create"]
    newest = entries[0]
    assert newest.actor == "maria"
    assert newest.at == START + timedelta(minutes=5)
    assert newest.target == "tenant:tintworld"
    assert newest.changes == {"demo_mode": {"from": True, "to": False}}
    assert [e.seq for e in config.audit("tintworld", before_seq=newest.seq)] == [e.seq for e in entries[1:]]


def test_a_stale_edit_is_refused_so_concurrent_edits_never_overwrite_each_other(
    config: ConfigService,
) -> None:
    repository = config.repository
    read_by_alice = repository.tenant("tintworld")
    read_by_bob = repository.tenant("tintworld")
    note = AuditRecord(actor="test", action="tenant.update", target="tenant:tintworld", changes={})

    repository.update_tenant(
        msgspec.structs.replace(read_by_alice, name="Alice's name"),
        expected_version=read_by_alice.version,
        audit=note,
    )
    with pytest.raises(ConcurrentEdit):
        repository.update_tenant(
            msgspec.structs.replace(read_by_bob, name="Bob's name"),
            expected_version=read_by_bob.version,
            audit=note,
        )
    assert repository.tenant("tintworld").name == "Alice's name"


def test_ids_are_unique_and_a_location_needs_its_tenant(config: ConfigService) -> None:
    with pytest.raises(TenantAlreadyExists, match="'tintworld' already exists"):
        config.create_tenant("tintworld", name="Again", actor="ana")
    with pytest.raises(LocationAlreadyExists, match="already has a location 'san-diego'"):
        config.add_location(
            "tintworld", "san-diego", name="x", crm_location_id="other", time_zone="UTC", actor="a"
        )
    with pytest.raises(LocationAlreadyExists, match="'crm-sd' is already bound to location 'san-diego'"):
        config.add_location(
            "tintworld", "la", name="LA", crm_location_id="crm-sd", time_zone="UTC", actor="a"
        )

    config.create_tenant("other", name="Other", actor="ana")
    config.add_location("other", "san-diego", name="x", crm_location_id="crm-sd", time_zone="UTC", actor="a")
    assert config.repository.location_by_crm_id("other", "crm-sd") is not None
    assert config.repository.location_by_crm_id("tintworld", "crm-sd").location_id == "san-diego"  # type: ignore[union-attr]
    assert config.repository.location_by_crm_id("tintworld", "crm-unknown") is None
    with pytest.raises(UnknownTenant, match="'ghost' not found"):
        config.add_location("ghost", "x", name="X", crm_location_id="c", time_zone="UTC", actor="a")


def test_location_round_trips_every_field(config: ConfigService) -> None:
    config.set_date_exception("tintworld", "san-diego", "2026-12-25", [], note="Christmas", actor="ana")
    config.set_staff_contact(
        "tintworld", "san-diego", name="Ana", email="ana@example.com", alerts=["handoff"], actor="ana"
    )
    config.update_location("tintworld", "san-diego", capacity=3, phone="+16195550100", actor="ana")

    loaded = config.location("tintworld", "san-diego")
    assert loaded.capacity == 3 and loaded.phone == "+16195550100"
    assert [(e.day.isoformat(), e.hours, e.note) for e in loaded.exceptions] == [
        ("2026-12-25", [], "Christmas")
    ]
    assert [(c.name, c.email, c.alerts) for c in loaded.staff] == [("Ana", "ana@example.com", ["handoff"])]
    assert loaded.version == 4


# -- the catalog sync from the CRM -------------------------------------------------------------------


def test_crm_sync_adds_updates_and_deactivates_keeping_overrides_and_descriptions(
    config: ConfigService,
) -> None:
    repository: ConfigRepository = config.repository
    first = repository.upsert_crm_services(
        "tintworld", [_crm("cs-1", "Ultimate", 60000, 180), _crm("cs-2", "Premium", 30000, 120)], START
    )
    assert (first.added, first.updated, first.deactivated) == (["cs-1", "cs-2"], [], [])
    config.set_location_price("tintworld", "san-diego", "cs-1", 55000, actor="ana")

    second = repository.upsert_crm_services(
        "tintworld", [_crm("cs-1", "Ultimate Ceramic", 62000, 180), _crm("cs-3", "Removal", 12900, 90)], START
    )

    assert (second.added, second.updated, second.deactivated) == (["cs-3"], ["cs-1"], ["cs-2"])
    at_location = {e.service_id: e for e in config.catalog("tintworld", "san-diego")}
    assert set(at_location) == {"cs-1", "cs-3"}  # the vanished service is deactivated, not listed
    assert at_location["cs-1"].name == "Ultimate Ceramic"
    assert (at_location["cs-1"].base_price_cents, at_location["cs-1"].price_cents) == (62000, 55000)
    assert at_location["cs-1"].price_overridden
    deactivated = repository.catalog_entry("tintworld", "cs-2")
    assert deactivated.active is False  # still there for past appointments

    again = repository.upsert_crm_services(
        "tintworld", [_crm("cs-1", "Ultimate Ceramic", 62000, 180), _crm("cs-3", "Removal", 12900, 90)], START
    )
    assert (again.added, again.updated, again.deactivated) == ([], [], [])
    assert [e.action for e in config.audit("tintworld", limit=3)] == [
        "catalog.sync",
        "catalog.price.set",
        "catalog.sync",
    ]


def test_crm_sync_deactivates_deleted_services_and_reactivates_returning_ones(config: ConfigService) -> None:
    repository = config.repository
    repository.upsert_crm_services("tintworld", [_crm("cs-1", "Ultimate", 60000)], START)

    gone = repository.upsert_crm_services("tintworld", [_crm("cs-1", "Ultimate", 60000, deleted=True)], START)
    assert gone.deactivated == ["cs-1"]
    assert config.catalog("tintworld") == []

    back = repository.upsert_crm_services("tintworld", [_crm("cs-1", "Ultimate", 60000)], START)
    assert back.updated == ["cs-1"]
    assert [e.service_id for e in config.catalog("tintworld")] == ["cs-1"]


def test_effective_price_is_the_location_override_else_the_tenant_wide_price(config: ConfigService) -> None:
    config.repository.upsert_crm_services("tintworld", [_crm("cs-1", "Ultimate", 60000)], START)
    config.add_location(
        "tintworld", "la", name="LA", crm_location_id="crm-la", time_zone="America/Los_Angeles", actor="a"
    )
    config.set_location_price("tintworld", "la", "cs-1", 65000, actor="ana")

    assert config.catalog("tintworld", "la")[0].price_cents == 65000
    assert config.catalog("tintworld", "san-diego")[0].price_cents == 60000
    assert config.catalog("tintworld")[0].price_cents == 60000

    cleared = config.set_location_price("tintworld", "la", "cs-1", None, actor="ana")
    assert (cleared.price_cents, cleared.price_overridden) == (60000, False)
    line = config.catalog("tintworld", "la")[0].service_line()
    assert (line.service_id, line.duration_minutes, line.price_cents) == ("cs-1", 60, 60000)


def test_a_database_made_before_catalog_generic_words_gets_the_column(database_url: str) -> None:
    db = open_database(database_url)
    old_tenants = next(sql for sql in SCHEMA if "config_tenants (" in sql)
    with db.transaction() as cur:
        cur.execute(old_tenants.replace("catalog_generic_words TEXT,", ""))

    create_tables(db)
    create_tables(db)  # and again: adding a column is done once
    config = ConfigService(ConfigRepository(db, SecretBox(SECRET_KEY), AdjustableClock(START)))
    config.create_tenant("tintworld", name="Tint World", actor="setup")

    assert config.tenant("tintworld").catalog_generic_words == list(DEFAULT_CATALOG_GENERIC_WORDS)
    db.close()


def test_a_database_made_before_the_booking_horizon_gets_the_column_and_old_rows_read_60_days(
    database_url: str,
) -> None:
    db = open_database(database_url)
    old_locations = next(sql for sql in SCHEMA if "config_locations (" in sql)
    with db.transaction() as cur:
        for sql in SCHEMA:
            if "config_locations (" not in sql:
                cur.execute(sql)
        cur.execute(old_locations.replace("booking_horizon_days INTEGER,", ""))
    repository = ConfigRepository(db, SecretBox(SECRET_KEY), AdjustableClock(START))
    ConfigService(repository).create_tenant("tintworld", name="Tint World", actor="setup")
    with db.transaction() as cur:  # a location saved by the version before the column
        cur.execute(
            "INSERT INTO config_locations (tenant_id, location_id, name, crm_location_id, time_zone, "
            "weekly_hours, exceptions, sending_window, capacity, min_lead_minutes, slot_granularity_minutes, "
            "staff, version, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                "tintworld", "old", "Old", "crm-old", "America/Los_Angeles", "{}", "[]",
                '{"start": "09:00", "end": "20:00", "days": ["mon"]}', 1, 120, 30, "[]", 1,
                START.isoformat(), START.isoformat(),
            ),
        )  # fmt: skip

    create_tables(db)
    config = ConfigService(repository)

    assert config.location("tintworld", "old").booking_horizon_days == DEFAULT_BOOKING_HORIZON_DAYS == 60
    assert (
        config.update_location("tintworld", "old", booking_horizon_days=14, actor="ana").booking_horizon_days
        == 14
    )
    db.close()
