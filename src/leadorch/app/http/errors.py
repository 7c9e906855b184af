"""One mapping from application errors to HTTP answers: a clear 4xx with a reason, never a 500 for bad input."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from leadorch.app.config.errors import ConfigConflict, ConfigNotFound, InvalidConfiguration
from leadorch.app.eventstore.store import ConcurrencyConflict, NotFound
from leadorch.app.readmodels.errors import InvalidQuery
from leadorch.domain.errors import DomainError


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


def _conflict(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    return _problem(HTTP_409_CONFLICT, str(exc))


def _unavailable(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    return _problem(HTTP_503_SERVICE_UNAVAILABLE, "the database is unavailable, try again")


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
    **_database_errors(),
}
