"""The checks every console list applies to its query-string filters.

A list page never fails on a bad filter: the value is dropped and the reason recorded under the
field's name, so the page shows it beside that field (and answers 400). Each check takes that
`errors` dict and adds to it.
"""

from __future__ import annotations

from collections.abc import Collection

MAX_PAGE_NUMBER = 1000


def page_number(raw: str | None, errors: dict[str, str]) -> int:
    """The page asked for, 1 when none (or a bad one) is."""
    if not raw:
        return 1
    if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_NUMBER:
        return int(raw)
    errors["page"] = f"page must be a whole number from 1 to {MAX_PAGE_NUMBER}"
    return 1


def one_of(name: str, raw: str | None, allowed: tuple[str, ...], errors: dict[str, str]) -> str | None:
    """`raw` if it is one of `allowed`; None when empty or not allowed."""
    if not raw:
        return None
    if raw not in allowed:
        errors[name] = f"{name} must be one of {', '.join(allowed)}"
        return None
    return raw


def known_location(raw: str | None, locations: Collection[str], errors: dict[str, str]) -> str | None:
    """`raw` if it is one of the tenant's location ids; None when empty or unknown."""
    if not raw:
        return None
    if raw not in locations:
        errors["location"] = f"no location {raw[:64]!r} in this tenant"
        return None
    return raw


def kept_query(*fields: tuple[str, str | None], reveal: bool) -> dict[str, str]:
    """The query string that asks for the same filters again (the pager adds the page), empty ones left out."""
    return {key: value for key, value in (*fields, ("show", "1" if reveal else "")) if value}
