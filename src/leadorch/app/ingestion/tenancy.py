"""What ingestion needs to know about a tenant, read from the configuration tables in one place.

The webhook needs the tenant's signing secret on every delivery, so it is cached for a short while
(a rotated secret takes effect within `SECRET_CACHE_SECONDS`). Order processing reads the tenant and
its locations through `TenantViews`, cached for a few seconds only: a poll or a burst of deliveries
reads the configuration once, and a location added a moment ago still counts almost at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadorch.app.config.errors import UnknownTenant
from leadorch.app.config.models import LocationConfig, TenantConfig
from leadorch.app.config.repository import ConfigRepository
from leadorch.domain.website_lead import WebsiteLeadCriteria

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

SECRET_CACHE_SECONDS = 30.0
VIEW_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class TenantView:
    """A tenant with its locations, indexed the way incoming orders refer to them."""

    tenant: TenantConfig
    locations_by_crm_id: dict[str, LocationConfig]

    @property
    def criteria(self) -> WebsiteLeadCriteria:
        return self.tenant.website_lead_criteria(self.locations_by_crm_id)

    def location_for(self, crm_location_id: str) -> LocationConfig | None:
        return self.locations_by_crm_id.get(crm_location_id)


def tenant_view(container: Container, tenant_id: str) -> TenantView:
    """The tenant and its locations as configured now (raises `UnknownTenant`)."""
    repository = container.config.repository
    tenant = repository.tenant(tenant_id)
    locations = repository.locations(tenant_id)
    return TenantView(tenant=tenant, locations_by_crm_id={loc.crm_location_id: loc for loc in locations})


class TenantViews:
    """`tenant_view`, remembered for `ttl` seconds per tenant."""

    def __init__(self, container: Container, *, ttl: float = VIEW_CACHE_SECONDS) -> None:
        self._container = container
        self._ttl = ttl
        self._cache: dict[str, tuple[float, TenantView]] = {}
        self._lock = threading.Lock()

    def get(self, tenant_id: str) -> TenantView:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(tenant_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        view = tenant_view(self._container, tenant_id)
        with self._lock:
            self._cache[tenant_id] = (now + self._ttl, view)
        return view


class UnknownWebhookTenant(LookupError):
    """No tenant has this id."""


class WebhookSecrets:
    """Tenants' webhook signing secrets, cached briefly so a delivery costs no query or decryption."""

    def __init__(self, repository: ConfigRepository, *, ttl: float = SECRET_CACHE_SECONDS) -> None:
        self._repository = repository
        self._ttl = ttl
        self._cache: dict[str, tuple[float, bool, str | None]] = {}
        self._lock = threading.Lock()

    def is_cached(self, tenant_id: str) -> bool:
        """Whether `secret_for` would answer from memory (an event loop may call it without blocking)."""
        with self._lock:
            cached = self._cache.get(tenant_id)
        return cached is not None and cached[0] > time.monotonic()

    def secret_for(self, tenant_id: str) -> str | None:
        """The tenant's `whsec_…` secret, None if it has none; raises `UnknownWebhookTenant`."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(tenant_id)
        if cached is None or cached[0] <= now:
            cached = (now + self._ttl, *self._load(tenant_id))
            with self._lock:
                if len(self._cache) > 10_000:  # strangers probing tenant ids must not grow it without bound
                    self._cache.clear()
                self._cache[tenant_id] = cached
        _, exists, secret = cached
        if not exists:
            raise UnknownWebhookTenant(f"no tenant {tenant_id!r}")
        return secret

    def forget(self, tenant_id: str) -> None:
        with self._lock:
            self._cache.pop(tenant_id, None)

    def _load(self, tenant_id: str) -> tuple[bool, str | None]:
        try:
            secret = self._repository.crm_credentials(tenant_id).webhook_secret
        except UnknownTenant:
            return False, None
        return True, (secret.reveal() if secret is not None else None)
