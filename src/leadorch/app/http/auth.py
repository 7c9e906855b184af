"""Who is calling the API, and which tenant they may see.

Two kinds of bearer token: the operator's super-admin token (`LEADORCH_ADMIN_TOKEN`), which may do
everything, and each tenant's own API token (issued when the tenant is created, stored as a SHA-256),
which sees and manages only that tenant. Every tenant-scoped endpoint depends on `tenant_access`:
no token or an unknown one is 401; a tenant token used on another tenant's ids is 404, exactly as if
the ids did not exist, so probing never reveals another tenant's data or even its existence.

Usage in a controller whose path has `{tenant_id:str}`:

    dependencies = {"access": Provide(tenant_access, sync_to_thread=True)}
    def handler(self, tenant_id: FromPath[str], access: NamedDependency[Principal]) -> ...

`access.actor` names the caller for the configuration audit (an `X-Actor` header, if given, names
the person behind the token).
"""

from __future__ import annotations

import hmac
from typing import Any, cast

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath

from leadorch.app.config.errors import UnknownTenant

_ACTOR_HEADER = "x-actor"
_SCOPE_KEY = "leadorch.principal"  # the caller, worked out once per request
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="leadorch"'}


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The caller: the super-admin (`tenant_id` None) or one tenant's token."""

    tenant_id: str | None
    actor: str

    @property
    def is_super_admin(self) -> bool:
        return self.tenant_id is None

    def may_access(self, tenant_id: str) -> bool:
        return self.tenant_id is None or self.tenant_id == tenant_id


def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal behind the request's bearer token; 401 without one or with an unknown one."""
    scope = cast("dict[str, Any]", connection.scope)
    cached = scope.get(_SCOPE_KEY)
    if isinstance(cached, Principal):
        return cached
    token = _bearer_token(connection.headers.get("authorization"))
    if token is None:
        raise NotAuthorizedException(
            detail="an admin or tenant API token is required (Authorization: Bearer …)", headers=_CHALLENGE
        )
    container = _container(connection)
    if hmac.compare_digest(token.encode(), container.settings.admin_token.encode()):
        principal = Principal(tenant_id=None, actor=_actor(connection, "admin-token"))
    else:
        tenant_id = container.config.tenant_id_for_token(token)
        if tenant_id is None:
            raise NotAuthorizedException(detail="the API token is not valid", headers=_CHALLENGE)
        principal = Principal(tenant_id=tenant_id, actor=_actor(connection, f"tenant-token:{tenant_id}"))
    scope[_SCOPE_KEY] = principal
    return principal


def tenant_access(request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> Principal:
    """Dependency for tenant-scoped endpoints: the caller, if they may act on `tenant_id`.

    401 without a valid token; 404 when the tenant does not exist or belongs to someone else.
    """
    principal = authenticate(request)
    if not principal.may_access(tenant_id):
        raise UnknownTenant(f"tenant {tenant_id!r} not found")
    if principal.is_super_admin:
        _container(request).config.tenant(tenant_id)  # raises UnknownTenant (404)
    return principal


def super_admin(request: Request[Any, Any, Any]) -> Principal:
    """Dependency for operator-only endpoints: the caller, who must hold the super-admin token (else 403)."""
    principal = authenticate(request)
    if not principal.is_super_admin:
        raise PermissionDeniedException(detail="this needs the operator's admin token")
    return principal


def require_super_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for operator-only endpoints: 401 without a valid token, 403 with a tenant's token."""
    if not authenticate(connection).is_super_admin:
        raise PermissionDeniedException(detail="this needs the operator's admin token")


def _bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _actor(connection: ASGIConnection[Any, Any, Any, Any], token_name: str) -> str:
    person = (connection.headers.get(_ACTOR_HEADER) or "").strip()[:100]
    return f"{person} via {token_name}" if person else token_name


def _container(connection: ASGIConnection[Any, Any, Any, Any]) -> Any:
    return connection.app.state["container"]
