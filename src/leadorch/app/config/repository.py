"""Reads and writes of the configuration tables, each write with its audit row in one transaction.

The repository stores what it is given (the service checks it first) and guarantees three things:
every change commits together with the `config_audit` row describing it; concurrent edits of one
tenant or location are caught by their `version` (optimistic concurrency, `ConcurrentEdit`); and
secrets only ever reach the database sealed by the `SecretBox`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from leadorch.app.config import rows
from leadorch.app.config.errors import (
    ConcurrentEdit,
    LocationAlreadyExists,
    TenantAlreadyExists,
    UnknownLocation,
    UnknownService,
    UnknownTenant,
)
from leadorch.app.config.models import (
    AuditEntry,
    CatalogEntry,
    CatalogService,
    CatalogSyncResult,
    LocationConfig,
    TenantConfig,
)
from leadorch.app.config.secrets import Secret, SecretBox
from leadorch.app.db import Cursor, Database, IntegrityViolation
from leadorch.ports.clock import Clock
from leadorch.ports.crm import CrmService

_json = msgspec.json.Encoder()


@dataclass(frozen=True)
class AuditRecord:
    """What to write in the audit for a change: who did it, what kind of change, to what, and the diff."""

    actor: str
    action: str
    target: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class CrmCredentials:
    """A tenant's decrypted CRM credentials (masked in any `repr`); None when not configured."""

    api_key: Secret | None
    webhook_secret: Secret | None


def token_digest(token: str) -> str:
    """How an API token is stored: its SHA-256, hex (the token itself is shown once and never kept)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ConfigRepository:
    """The configuration tables of one database; `cipher` seals secrets, `clock` stamps changes."""

    def __init__(self, db: Database, cipher: SecretBox, clock: Clock) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock

    # -- tenants -------------------------------------------------------------------------------------

    def tenant(self, tenant_id: str) -> TenantConfig:
        with self._db.transaction() as cur:
            row = cur.execute(
                f"SELECT {rows.TENANT_COLUMNS} FROM config_tenants WHERE tenant_id = %s", (tenant_id,)
            ).fetchone()
        if row is None:
            raise UnknownTenant(f"tenant {tenant_id!r} not found")
        return rows.tenant_from_row(row)

    def tenants(self) -> list[TenantConfig]:
        with self._db.transaction() as cur:
            found = cur.execute(
                f"SELECT {rows.TENANT_COLUMNS} FROM config_tenants ORDER BY tenant_id"
            ).fetchall()
        return [rows.tenant_from_row(row) for row in found]

    def tenant_id_for_token(self, token: str) -> str | None:
        """The tenant whose API token this is, or None."""
        with self._db.transaction() as cur:
            row = cur.execute(
                "SELECT tenant_id FROM config_tenants WHERE api_token_sha256 = %s", (token_digest(token),)
            ).fetchone()
        return None if row is None else str(row[0])

    def crm_credentials(self, tenant_id: str) -> CrmCredentials:
        with self._db.transaction() as cur:
            row = cur.execute(
                "SELECT crm_api_key_sealed, crm_webhook_secret_sealed FROM config_tenants WHERE tenant_id = %s",
                (tenant_id,),
            ).fetchone()
        if row is None:
            raise UnknownTenant(f"tenant {tenant_id!r} not found")
        return CrmCredentials(
            api_key=None if row[0] is None else self._cipher.open(row[0]),
            webhook_secret=None if row[1] is None else self._cipher.open(row[1]),
        )

    def insert_tenant(
        self,
        tenant: TenantConfig,
        *,
        api_token: str,
        crm_api_key: str | None,
        crm_webhook_secret: str | None,
        audit: AuditRecord,
    ) -> TenantConfig:
        now = self._now()
        stored = msgspec.structs.replace(
            tenant,
            version=1,
            created_at=now,
            updated_at=now,
            crm_api_key_set=crm_api_key is not None,
            crm_webhook_secret_set=crm_webhook_secret is not None,
        )
        with self._db.transaction() as cur:
            if cur.execute(
                "SELECT 1 FROM config_tenants WHERE tenant_id = %s", (tenant.tenant_id,)
            ).fetchone():
                raise TenantAlreadyExists(f"tenant {tenant.tenant_id!r} already exists")
            try:
                cur.execute(
                    "INSERT INTO config_tenants (tenant_id, name, website_status_ids, demo_mode, allow_list, "
                    "custom_touch_plan, templates, max_sms_segments, catalog_generic_words, message_answers, "
                    "crm_api_key_sealed, crm_webhook_secret_sealed, api_token_sha256, version, created_at, "
                    "updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        *rows.tenant_values(stored),
                        self._seal(crm_api_key),
                        self._seal(crm_webhook_secret),
                        token_digest(api_token),
                        1,
                        rows.iso(now),
                        rows.iso(now),
                    ),
                )
            except IntegrityViolation:
                raise TenantAlreadyExists(f"tenant {tenant.tenant_id!r} already exists") from None
            self._audit(cur, tenant.tenant_id, audit, now)
        return stored

    def update_tenant(
        self, tenant: TenantConfig, *, expected_version: int, audit: AuditRecord
    ) -> TenantConfig:
        """Save an edited tenant if nobody saved it since `expected_version` was read."""
        now = self._now()
        with self._db.transaction() as cur:
            row = cur.execute(
                "UPDATE config_tenants SET name = %s, website_status_ids = %s, demo_mode = %s, allow_list = %s, "
                "custom_touch_plan = %s, templates = %s, max_sms_segments = %s, catalog_generic_words = %s, "
                "message_answers = %s, version = version + 1, updated_at = %s "
                "WHERE tenant_id = %s AND version = %s RETURNING version",
                (*rows.tenant_values(tenant)[1:], rows.iso(now), tenant.tenant_id, expected_version),
            ).fetchone()
            if row is None:
                self._refuse_stale_tenant(cur, tenant.tenant_id)
            self._audit(cur, tenant.tenant_id, audit, now)
        return msgspec.structs.replace(tenant, version=int(row[0]), updated_at=now)

    def update_crm_credentials(
        self, tenant_id: str, *, api_key: str | None, webhook_secret: str | None, audit: AuditRecord
    ) -> None:
        """Replace whichever of the two secrets is given (None leaves that one as it is)."""
        now = self._now()
        assignments, values = [], []
        if api_key is not None:
            assignments.append("crm_api_key_sealed = %s")
            values.append(self._seal(api_key))
        if webhook_secret is not None:
            assignments.append("crm_webhook_secret_sealed = %s")
            values.append(self._seal(webhook_secret))
        if not assignments:
            return
        with self._db.transaction() as cur:
            row = cur.execute(
                f"UPDATE config_tenants SET {', '.join(assignments)}, version = version + 1, updated_at = %s "
                "WHERE tenant_id = %s RETURNING version",
                (*values, rows.iso(now), tenant_id),
            ).fetchone()
            if row is None:
                raise UnknownTenant(f"tenant {tenant_id!r} not found")
            self._audit(cur, tenant_id, audit, now)

    def update_api_token(self, tenant_id: str, *, api_token: str, audit: AuditRecord) -> None:
        """Replace the tenant's API token (the old one stops working at once)."""
        now = self._now()
        with self._db.transaction() as cur:
            row = cur.execute(
                "UPDATE config_tenants SET api_token_sha256 = %s, updated_at = %s WHERE tenant_id = %s RETURNING 1",
                (token_digest(api_token), rows.iso(now), tenant_id),
            ).fetchone()
            if row is None:
                raise UnknownTenant(f"tenant {tenant_id!r} not found")
            self._audit(cur, tenant_id, audit, now)

    # -- locations -----------------------------------------------------------------------------------

    def location(self, tenant_id: str, location_id: str) -> LocationConfig:
        with self._db.transaction() as cur:
            row = cur.execute(
                f"SELECT {rows.LOCATION_COLUMNS} FROM config_locations WHERE tenant_id = %s AND location_id = %s",
                (tenant_id, location_id),
            ).fetchone()
        if row is None:
            raise UnknownLocation(f"location {location_id!r} of tenant {tenant_id!r} not found")
        return rows.location_from_row(row)

    def locations(self, tenant_id: str) -> list[LocationConfig]:
        with self._db.transaction() as cur:
            found = cur.execute(
                f"SELECT {rows.LOCATION_COLUMNS} FROM config_locations WHERE tenant_id = %s ORDER BY location_id",
                (tenant_id,),
            ).fetchall()
        return [rows.location_from_row(row) for row in found]

    def location_by_crm_id(self, tenant_id: str, crm_location_id: str) -> LocationConfig | None:
        """The tenant's location bound to this CRM location id, or None (not one of the tenant's shops)."""
        with self._db.transaction() as cur:
            row = cur.execute(
                f"SELECT {rows.LOCATION_COLUMNS} FROM config_locations WHERE tenant_id = %s AND crm_location_id = %s",
                (tenant_id, crm_location_id),
            ).fetchone()
        return None if row is None else rows.location_from_row(row)

    def insert_location(self, location: LocationConfig, *, audit: AuditRecord) -> LocationConfig:
        now = self._now()
        stored = msgspec.structs.replace(location, version=1, created_at=now, updated_at=now)
        with self._db.transaction() as cur:
            self._require_tenant(cur, location.tenant_id)
            self._refuse_taken_location(cur, location)
            try:
                cur.execute(
                    f"INSERT INTO config_locations ({rows.LOCATION_COLUMNS}) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        *rows.location_values(stored),
                        1,
                        rows.iso(now),
                        rows.iso(now),
                        rows.json_text(stored.technician_ids),
                        stored.booking_horizon_days,
                        stored.assistant_answers_messages,
                    ),
                )
            except IntegrityViolation:
                raise LocationAlreadyExists(
                    f"tenant {location.tenant_id!r} already has location {location.location_id!r} "
                    f"or one bound to CRM location {location.crm_location_id!r}"
                ) from None
            self._audit(cur, location.tenant_id, audit, now)
        return stored

    def update_location(
        self, location: LocationConfig, *, expected_version: int, audit: AuditRecord
    ) -> LocationConfig:
        """Save an edited location if nobody saved it since `expected_version` was read."""
        now = self._now()
        with self._db.transaction() as cur:
            self._refuse_taken_location(cur, location, excluding_self=True)
            row = cur.execute(
                "UPDATE config_locations SET name = %s, crm_location_id = %s, time_zone = %s, phone = %s, "
                "address = %s, weekly_hours = %s, exceptions = %s, sending_window = %s, capacity = %s, "
                "min_lead_minutes = %s, slot_granularity_minutes = %s, staff = %s, sms_from_number = %s, "
                "email_from = %s, technician_ids = %s, booking_horizon_days = %s, assistant_answers_messages = %s, "
                "version = version + 1, "
                "updated_at = %s WHERE tenant_id = %s AND location_id = %s AND version = %s RETURNING version",
                (
                    *rows.location_values(location)[2:],
                    rows.json_text(location.technician_ids),
                    location.booking_horizon_days,
                    location.assistant_answers_messages,
                    rows.iso(now),
                    location.tenant_id,
                    location.location_id,
                    expected_version,
                ),
            ).fetchone()
            if row is None:
                exists = cur.execute(
                    "SELECT 1 FROM config_locations WHERE tenant_id = %s AND location_id = %s",
                    (location.tenant_id, location.location_id),
                ).fetchone()
                if exists is None:
                    raise UnknownLocation(
                        f"location {location.location_id!r} of tenant {location.tenant_id!r} not found"
                    )
                raise ConcurrentEdit(
                    f"location {location.location_id!r} was changed by someone else meanwhile"
                )
            self._audit(cur, location.tenant_id, audit, now)
        return msgspec.structs.replace(location, version=int(row[0]), updated_at=now)

    # -- catalog -------------------------------------------------------------------------------------

    def catalog(
        self, tenant_id: str, location_id: str | None = None, *, include_inactive: bool = False
    ) -> list[CatalogEntry]:
        """The tenant's services, priced for `location_id` when given (its overrides applied)."""
        sql = (
            f"SELECT {rows.CATALOG_COLUMNS} FROM config_services s LEFT JOIN config_location_prices p "
            "ON p.tenant_id = s.tenant_id AND p.service_id = s.service_id AND p.location_id = %s "
            "WHERE s.tenant_id = %s"
        )
        if not include_inactive:
            sql += " AND s.active = %s"
        sql += " ORDER BY s.name, s.service_id"
        params: tuple[Any, ...] = (location_id, tenant_id) + (() if include_inactive else (True,))
        with self._db.transaction() as cur:
            found = cur.execute(sql, params).fetchall()
        return [rows.catalog_entry_from_row(row, location_id) for row in found]

    def catalog_entry(self, tenant_id: str, service_id: str, location_id: str | None = None) -> CatalogEntry:
        """One service (active or not), priced for `location_id` when given."""
        with self._db.transaction() as cur:
            row = cur.execute(
                f"SELECT {rows.CATALOG_COLUMNS} FROM config_services s LEFT JOIN config_location_prices p "
                "ON p.tenant_id = s.tenant_id AND p.service_id = s.service_id AND p.location_id = %s "
                "WHERE s.tenant_id = %s AND s.service_id = %s",
                (location_id, tenant_id, service_id),
            ).fetchone()
        if row is None:
            raise UnknownService(f"service {service_id!r} is not in the catalog of tenant {tenant_id!r}")
        return rows.catalog_entry_from_row(row, location_id)

    def put_service(self, tenant_id: str, service: CatalogService, *, audit: AuditRecord) -> None:
        """Insert or replace one tenant-wide service (its location price overrides are kept)."""
        now = self._now()
        with self._db.transaction() as cur:
            self._require_tenant(cur, tenant_id)
            cur.execute(
                "INSERT INTO config_services (tenant_id, service_id, crm_service_id, name, description, "
                "duration_minutes, price_cents, bookable, active, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (tenant_id, service_id) DO UPDATE SET "
                "crm_service_id = excluded.crm_service_id, name = excluded.name, description = excluded.description, "
                "duration_minutes = excluded.duration_minutes, price_cents = excluded.price_cents, "
                "bookable = excluded.bookable, active = excluded.active, updated_at = excluded.updated_at",
                (
                    tenant_id,
                    service.service_id,
                    service.crm_service_id,
                    service.name,
                    service.description,
                    service.duration_minutes,
                    service.price_cents,
                    service.bookable,
                    service.active,
                    rows.iso(now),
                ),
            )
            self._audit(cur, tenant_id, audit, now)

    def set_location_price(
        self,
        tenant_id: str,
        location_id: str,
        service_id: str,
        price_cents: int | None,
        *,
        audit: AuditRecord,
    ) -> None:
        """Set (or with None, remove) a location's price for a service."""
        now = self._now()
        with self._db.transaction() as cur:
            if price_cents is None:
                cur.execute(
                    "DELETE FROM config_location_prices WHERE tenant_id = %s AND location_id = %s AND service_id = %s",
                    (tenant_id, location_id, service_id),
                )
            else:
                cur.execute(
                    "INSERT INTO config_location_prices (tenant_id, location_id, service_id, price_cents, updated_at) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (tenant_id, location_id, service_id) DO UPDATE SET "
                    "price_cents = excluded.price_cents, updated_at = excluded.updated_at",
                    (tenant_id, location_id, service_id, price_cents, rows.iso(now)),
                )
            self._audit(cur, tenant_id, audit, now)

    def upsert_crm_services(
        self, tenant_id: str, services: Sequence[CrmService], at: datetime, *, actor: str = "crm-sync"
    ) -> CatalogSyncResult:
        """Bring the catalog in line with the CRM's complete list of canned services.

        Services are matched by CRM id (which is also their service id). New ones are added; known ones
        get the CRM's name, price, duration and bookability (their description and location price
        overrides are kept); services the CRM no longer lists, or lists as deleted, are deactivated,
        never deleted, so past appointments still name them. Services not from the CRM are left alone.
        One audit row records what changed; a sync that changes nothing writes nothing.
        """
        listed = {service.id: service for service in services if not service.deleted}
        added: list[str] = []
        updated: list[str] = []
        deactivated: list[str] = []
        with self._db.transaction() as cur:
            self._require_tenant(cur, tenant_id)
            known = {
                row[0]: row
                for row in cur.execute(
                    "SELECT crm_service_id, name, duration_minutes, price_cents, bookable, active "
                    "FROM config_services WHERE tenant_id = %s AND crm_service_id IS NOT NULL",
                    (tenant_id,),
                ).fetchall()
            }
            for crm_id, service in listed.items():
                wanted = (service.name, service.duration_minutes, service.price_cents, service.bookable, True)
                row = known.get(crm_id)
                if row is None:
                    cur.execute(
                        "INSERT INTO config_services (tenant_id, service_id, crm_service_id, name, description, "
                        "duration_minutes, price_cents, bookable, active, updated_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (
                            tenant_id,
                            crm_id,
                            crm_id,
                            service.name,
                            "",
                            service.duration_minutes,
                            service.price_cents,
                            service.bookable,
                            True,
                            rows.iso(at),
                        ),
                    )
                    added.append(crm_id)
                elif (row[1], int(row[2]), int(row[3]), bool(row[4]), bool(row[5])) != wanted:
                    cur.execute(
                        "UPDATE config_services SET name = %s, duration_minutes = %s, price_cents = %s, "
                        "bookable = %s, active = %s, updated_at = %s WHERE tenant_id = %s AND crm_service_id = %s",
                        (*wanted, rows.iso(at), tenant_id, crm_id),
                    )
                    updated.append(crm_id)
            for crm_id, row in known.items():
                if crm_id not in listed and bool(row[5]):
                    cur.execute(
                        "UPDATE config_services SET active = %s, updated_at = %s "
                        "WHERE tenant_id = %s AND crm_service_id = %s",
                        (False, rows.iso(at), tenant_id, crm_id),
                    )
                    deactivated.append(crm_id)
            result = CatalogSyncResult(
                added=sorted(added), updated=sorted(updated), deactivated=sorted(deactivated)
            )
            if added or updated or deactivated:
                self._audit(
                    cur,
                    tenant_id,
                    AuditRecord(
                        actor=actor,
                        action="catalog.sync",
                        target=f"tenant:{tenant_id}/catalog",
                        changes=msgspec.to_builtins(result),
                    ),
                    at,
                )
        return result

    # -- audit ---------------------------------------------------------------------------------------

    def audit_entries(
        self, tenant_id: str | None = None, *, limit: int = 100, before_seq: int | None = None
    ) -> list[AuditEntry]:
        """Configuration changes, newest first; one tenant's, or all when `tenant_id` is None."""
        clauses: list[str] = []
        params: list[object] = []
        if tenant_id is not None:
            clauses.append("tenant_id = %s")
            params.append(tenant_id)
        if before_seq is not None:
            clauses.append("seq < %s")
            params.append(before_seq)
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        with self._db.transaction() as cur:
            found = cur.execute(
                f"SELECT seq, at, actor, tenant_id, action, target, changes FROM config_audit {where}"
                "ORDER BY seq DESC LIMIT %s",
                (*params, limit),
            ).fetchall()
        return [
            AuditEntry(
                seq=int(row[0]),
                at=datetime.fromisoformat(row[1]),
                actor=row[2],
                tenant_id=row[3],
                action=row[4],
                target=row[5],
                changes=msgspec.json.decode(row[6]),
            )
            for row in found
        ]

    # -- internals -----------------------------------------------------------------------------------

    def _audit(self, cur: Cursor, tenant_id: str | None, audit: AuditRecord, at: datetime) -> None:
        seq_row = cur.execute(
            "INSERT INTO config_audit_counter (name, value) VALUES ('config_audit', 1) "
            "ON CONFLICT (name) DO UPDATE SET value = config_audit_counter.value + 1 RETURNING value"
        ).fetchone()
        assert seq_row is not None
        cur.execute(
            "INSERT INTO config_audit (seq, at, actor, tenant_id, action, target, changes) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                int(seq_row[0]),
                rows.iso(at),
                audit.actor,
                tenant_id,
                audit.action,
                audit.target,
                _json.encode(audit.changes).decode(),
            ),
        )

    def _seal(self, secret: str | None) -> str | None:
        return None if secret is None else self._cipher.seal(secret)

    def _now(self) -> datetime:
        return self._clock.now().astimezone(UTC)

    @staticmethod
    def _require_tenant(cur: Cursor, tenant_id: str) -> None:
        if cur.execute("SELECT 1 FROM config_tenants WHERE tenant_id = %s", (tenant_id,)).fetchone() is None:
            raise UnknownTenant(f"tenant {tenant_id!r} not found")

    @staticmethod
    def _refuse_stale_tenant(cur: Cursor, tenant_id: str) -> None:
        ConfigRepository._require_tenant(cur, tenant_id)
        raise ConcurrentEdit(f"tenant {tenant_id!r} was changed by someone else meanwhile")

    @staticmethod
    def _refuse_taken_location(
        cur: Cursor, location: LocationConfig, *, excluding_self: bool = False
    ) -> None:
        if (
            not excluding_self
            and cur.execute(
                "SELECT 1 FROM config_locations WHERE tenant_id = %s AND location_id = %s",
                (location.tenant_id, location.location_id),
            ).fetchone()
        ):
            raise LocationAlreadyExists(
                f"tenant {location.tenant_id!r} already has a location {location.location_id!r}"
            )
        holder = cur.execute(
            "SELECT location_id FROM config_locations WHERE tenant_id = %s AND crm_location_id = %s",
            (location.tenant_id, location.crm_location_id),
        ).fetchone()
        if holder is not None and holder[0] != location.location_id:
            raise LocationAlreadyExists(
                f"CRM location {location.crm_location_id!r} is already bound to location {holder[0]!r}"
            )
