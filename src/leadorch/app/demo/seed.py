"""Sets up the demo tenant, pointing its CRM connection at the ShopMonkey stand-in. Idempotent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadorch.app.demo.environment import DEMO_SHOPMONKEY_KEY, demo_webhook_secret

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container


def seed_demo(container: Container) -> str | None:
    """Create (or keep) the demo tenant and location; returns a fresh tenant API token."""
    from leadorch.app.config.demo_seed import seed_demo_tenant

    service = container.config
    seed_demo_tenant(service.repository, container.clock)
    tenant = service.tenant("demo-tint")
    service.set_crm_credentials(
        tenant.tenant_id, api_key=DEMO_SHOPMONKEY_KEY, webhook_secret=demo_webhook_secret(), actor="demo"
    )
    return service.rotate_api_token(tenant.tenant_id, actor="demo")
