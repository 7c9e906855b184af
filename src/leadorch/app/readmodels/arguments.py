"""Checks shared by the read-model queries, so every bad argument is refused the same clear way."""

from __future__ import annotations

from datetime import date, datetime

from leadorch.app.projections.tables import instant
from leadorch.app.readmodels.errors import InvalidQuery

MAX_PAGE = 500


def tenant(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not tenant_id.strip():
        raise InvalidQuery(f"tenant_id must be non-empty text, not {tenant_id!r}")
    return tenant_id


def page(limit: int, offset: int = 0) -> tuple[int, int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidQuery(f"limit must be a whole number from 1 to {MAX_PAGE}, not {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidQuery(f"offset must be a whole number ≥ 0, not {offset!r}")
    return limit, offset


def moment(value: datetime, name: str) -> str:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidQuery(f"{name} must be a timezone-aware datetime, not {value!r}")
    text = instant(value)
    assert text is not None
    return text


def day(value: date, name: str) -> str:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidQuery(f"{name} must be a date, not {value!r}")
    return value.isoformat()


def choice(value: str | None, name: str, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise InvalidQuery(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value
