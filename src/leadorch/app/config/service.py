"""The configuration use cases, shared by the admin CLI and the admin HTTP API.

`ConfigService` is one object for its callers and three parts for its readers, each with one reason to
change: `TenantSettings` (tenant_settings.py), `LocationSettings` (location_settings.py) and
`CatalogSettings` (catalog.py). Each operation checks what the operator gave (clear
`InvalidConfiguration` messages), builds the new state, and saves it through the repository with an
audit row naming the actor and what changed.
"""

from __future__ import annotations

from leadorch.app.config import validation
from leadorch.app.config.catalog import CatalogSettings
from leadorch.app.config.location_settings import LocationSettings
from leadorch.app.config.models import AuditEntry
from leadorch.app.config.tenant_settings import NewTenant, TenantSettings, new_api_token

__all__ = ["ConfigService", "NewTenant", "new_api_token"]


class ConfigService(TenantSettings, LocationSettings, CatalogSettings):
    """Validated configuration changes, each audited; plus the reads the admin surfaces show."""

    def audit(
        self, tenant_id: str | None = None, *, limit: int = 100, before_seq: int | None = None
    ) -> list[AuditEntry]:
        if tenant_id is not None:
            self.repository.tenant(tenant_id)
        validation.whole_number(limit, "limit", minimum=1, maximum=1000)
        return self.repository.audit_entries(tenant_id, limit=limit, before_seq=before_seq)
