"""One mapping from application errors to HTTP answers: a clear 4xx with a reason, never a 500 for bad input.

Whatever is left — a bug — reaches `_unexpected`: the traceback is logged with the request's correlation
id and an error id, `leadorch_http_errors_total{route, status}` counts it, and the answer carries the
error id so the person who saw it can quote it and the operator finds the one log line.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from litestar import MediaType, Request, Response
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from leadorch.app.config.errors import ConfigConflict, ConfigNotFound, InvalidConfiguration, OperatorOnly
from leadorch.app.eventstore.store import ConcurrencyConflict, NotFound
from leadorch.app.observability.metrics import HTTP_ERRORS
from leadorch.app.readmodels.errors import InvalidQuery
from leadorch.domain.errors import DomainError

log = logging.getLogger(__name__)

# The headers a caller (a proxy, ShopMonkey) names its request by; the first one present is logged.
CORRELATION_HEADERS = ("x-request-id", "x-correlation-id", "webhook-id")


def _problem(status: int, detail: str) -> Response[dict[str, Any]]:
    return Response(
        content={"status_code": status, "detail": detail}, status_code=status, media_type=MediaType.JSON
    )


def _not_found(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    return _problem(HTTP_404_NOT_FOUND, str(exc))


def _bad_query(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    return _problem(HTTP_400_BAD_REQUEST, str(exc))


def _domain(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    return _problem(HTTP_422_UNPROCESSABLE_ENTITY, str(exc))


def _forbidden(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    return _problem(HTTP_403_FORBIDDEN, str(exc))


def _conflict(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    return _problem(HTTP_409_CONFLICT, str(exc))


def _unavailable(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    return _problem(HTTP_503_SERVICE_UNAVAILABLE, "the database is unavailable, try again")


def _too_deep(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # The JSON decoders refuse nesting past their depth with RecursionError: bad input, not a bug.
    return _problem(HTTP_400_BAD_REQUEST, "the request body is nested too deeply")


def route_label(request: Request[Any, Any, Any]) -> str:
    """The route's path template (`/api/tenants/{tenant_id}/leads`), never the raw path: a bounded label."""
    return str(request.scope.get("path_template") or "unmatched")


def correlation_id(request: Request[Any, Any, Any]) -> str | None:
    return next((request.headers[name] for name in CORRELATION_HEADERS if name in request.headers), None)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    error_id = uuid.uuid4().hex[:16]
    route = route_label(request)
    HTTP_ERRORS.labels(route=route, status=str(HTTP_500_INTERNAL_SERVER_ERROR)).inc()
    log.error(
        "unexpected error on %s %s (error id %s)",
        request.method,
        route,
        error_id,
        exc_info=exc,
        extra={"fields": {"error_id": error_id, "correlation_id": correlation_id(request) or error_id}},
    )
    return Response(
        content={
            "status_code": HTTP_500_INTERNAL_SERVER_ERROR,
            "detail": f"Internal Server Error: quote error id {error_id} to the operator",
            "error_id": error_id,
        },
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


def _database_errors() -> dict[type[Exception], Any]:
    import sqlite3

    import psycopg
    import psycopg_pool

    return {
        psycopg.OperationalError: _unavailable,
        psycopg_pool.PoolTimeout: _unavailable,
        sqlite3.OperationalError: _unavailable,
    }


EXCEPTION_HANDLERS: dict[Any, Any] = {
    NotFound: _not_found,
    DomainError: _domain,
    ConcurrencyConflict: _conflict,
    InvalidQuery: _bad_query,
    ConfigNotFound: _not_found,
    InvalidConfiguration: _domain,
    ConfigConflict: _conflict,
    OperatorOnly: _forbidden,
    RecursionError: _too_deep,
    **_database_errors(),
    HTTP_500_INTERNAL_SERVER_ERROR: _unexpected,
}
