"""The service catalog: tenant-wide services (the CRM sync, or put by hand) and per-location prices.

Each change is audited; a location's own price survives a catalog sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from leadorch.app.config import checks, validation
from leadorch.app.config.changes import checked_actor, field_changes
from leadorch.app.config.errors import InvalidConfiguration
from leadorch.app.config.models import (
    CatalogEntry,
    CatalogService,
    CatalogSyncResult,
)
from leadorch.app.config.repository import AuditRecord, ConfigRepository
from leadorch.ports.crm import CrmService


class CatalogSettings:
    """The catalog part of `ConfigService`."""

    def __init__(self, repository: ConfigRepository) -> None:
        self.repository = repository

    def catalog(self, tenant_id: str, location_id: str | None = None) -> list[CatalogEntry]:
        """The tenant's active services, with the location's effective prices when one is named."""
        self.repository.tenant(tenant_id)
        if location_id is not None:
            self.repository.location(tenant_id, location_id)
        return self.repository.catalog(tenant_id, location_id)

    def set_location_price(
        self, tenant_id: str, location_id: str, service_id: str, price_cents: int | None, *, actor: str
    ) -> CatalogEntry:
        """A location's own price for a service (None removes it: the tenant-wide price applies again)."""
        if price_cents is not None:
            validation.price_cents(price_cents)
        self.repository.location(tenant_id, location_id)
        before = self.repository.catalog_entry(tenant_id, service_id, location_id)
        if price_cents is None and not before.price_overridden:
            raise InvalidConfiguration(
                f"location {location_id!r} has no own price for service {service_id!r}"
            )
        self.repository.set_location_price(
            tenant_id,
            location_id,
            service_id,
            price_cents,
            audit=AuditRecord(
                actor=checked_actor(actor),
                action="catalog.price.set" if price_cents is not None else "catalog.price.clear",
                target=f"service:{tenant_id}/{service_id}@{location_id}",
                changes={
                    "price_cents": {
                        "from": before.price_cents,
                        "to": before.base_price_cents if price_cents is None else price_cents,
                    }
                },
            ),
        )
        return self.repository.catalog_entry(tenant_id, service_id, location_id)

    def put_service(self, tenant_id: str, service: CatalogService, *, actor: str) -> CatalogEntry:
        """Add or replace a tenant-wide service (the demo seed; shops whose CRM has no canned services)."""
        checked = msgspec.structs.replace(
            service,
            service_id=checks.service_id(service.service_id),
            name=validation.text(service.name, "service name"),
            description=service.description.strip(),
            duration_minutes=validation.whole_number(
                service.duration_minutes, "duration in minutes", minimum=1, maximum=24 * 60
            ),
            price_cents=validation.price_cents(service.price_cents),
        )
        existing = {e.service_id: e for e in self.repository.catalog(tenant_id, include_inactive=True)}
        before = existing.get(checked.service_id)
        changes = field_changes(None if before is None else before.tenant_wide(), checked)
        if changes:
            self.repository.put_service(
                tenant_id,
                checked,
                audit=AuditRecord(
                    actor=checked_actor(actor),
                    action="catalog.service.put",
                    target=f"service:{tenant_id}/{checked.service_id}",
                    changes=changes,
                ),
            )
        return self.repository.catalog_entry(tenant_id, checked.service_id)

    def upsert_crm_services(
        self, tenant_id: str, services: Sequence[CrmService], at: datetime
    ) -> CatalogSyncResult:
        """See `ConfigRepository.upsert_crm_services` (the CRM catalog sync calls this)."""
        return self.repository.upsert_crm_services(tenant_id, services, at)
