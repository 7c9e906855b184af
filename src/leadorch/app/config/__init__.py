"""Tenants, locations, the service catalog and their audit: configuration in plain tables.

`config_service(container)` is the one way the app gets at it (the CLI, the admin API, and the hot
paths that read a tenant's or a location's settings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container
    from leadorch.app.config.service import ConfigService

_KEY = "config_service"


def config_service(container: Container) -> ConfigService:
    """The container's `ConfigService`, built on first use from its database, secret key and clock."""
    service = container.extras.get(_KEY)
    if service is None:
        from leadorch.app.config.repository import ConfigRepository
        from leadorch.app.config.secrets import SecretBox
        from leadorch.app.config.service import ConfigService

        repository = ConfigRepository(container.db, SecretBox(container.settings.secret_key), container.clock)
        service = container.extras.setdefault(_KEY, ConfigService(repository))
    return service  # type: ignore[no-any-return]
