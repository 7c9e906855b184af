"""Logging in to the console with the tokens the API already knows.

The operator's admin token (`LEADORCH_ADMIN_TOKEN`) sees every tenant; a tenant's API token sees only
that tenant, exactly as `leadorch.app.http.auth` decides for the API.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container


class LoginRefused(Exception):
    """The token typed at the login form is empty or unknown; the message says which."""


def tenant_for_token(container: Container, token: str) -> str | None:
    """None for the operator's admin token, the tenant's id for a tenant API token; else `LoginRefused`."""
    token = (token or "").strip()
    if not token:
        raise LoginRefused("enter the operator's admin token or a tenant API token")
    if hmac.compare_digest(token.encode(), container.settings.admin_token.encode()):
        return None
    tenant_id = container.config.tenant_id_for_token(token)
    if tenant_id is None:
        raise LoginRefused("that token is not valid: check it, or ask the operator for a new one")
    return tenant_id
