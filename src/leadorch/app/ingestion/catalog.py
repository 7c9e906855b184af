"""The service catalog, kept in step with the shop's canned services in the CRM.

The CRM's list is the source of truth for names, prices (cents) and durations (labor hours, rounded up
to the quarter hour by the adapter); the configuration repository applies it: new services are added,
changed ones updated, vanished or deleted ones deactivated (never deleted, so past appointments still
name them), and per-location price overrides are kept.
"""

from __future__ import annotations

from typing import Any

from leadorch.app.config.models import CatalogSyncResult
from leadorch.app.crm import crm_clients, crm_for
from leadorch.app.ingestion.tenancy import config_repository
from leadorch.ports.crm import Crm


def sync_catalog(
    container: Any, tenant_id: str, *, crm: Crm | None = None, actor: str = "crm-sync"
) -> CatalogSyncResult:
    """Import the tenant's canned services from its CRM; returns what was added, updated, deactivated."""
    repository = config_repository(container)
    repository.tenant(tenant_id)  # an unknown tenant fails here, with its name, before any CRM call
    crm = crm or crm_for(container, tenant_id)
    services = crm_clients(container).run(crm.list_services())
    return repository.upsert_crm_services(tenant_id, services, container.clock.now(), actor=actor)
