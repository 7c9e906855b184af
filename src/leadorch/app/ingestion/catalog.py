"""The service catalog, kept in step with the shop's canned services in the CRM.

The CRM's list is the source of truth for names, prices (cents) and durations (labor hours, rounded up
to the quarter hour by the adapter); the configuration repository applies it: new services are added,
changed ones updated, vanished or deleted ones deactivated (never deleted, so past appointments still
name them), and per-location price overrides are kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadorch.app.config.models import CatalogSyncResult
from leadorch.app.crm import crm_for
from leadorch.ports.crm import Crm

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container


def sync_catalog(
    container: Container, tenant_id: str, *, crm: Crm | None = None, actor: str = "crm-sync"
) -> CatalogSyncResult:
    """Import the tenant's canned services from its CRM; returns what was added, updated, deactivated."""
    repository = container.config.repository
    repository.tenant(tenant_id)  # an unknown tenant fails here, with its name, before any CRM call
    crm = crm or crm_for(container, tenant_id)
    services = container.crm.run(crm.list_services())
    return repository.upsert_crm_services(tenant_id, services, container.clock.now(), actor=actor)
