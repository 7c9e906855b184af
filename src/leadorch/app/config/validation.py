"""Checks for the values an operator types, each turning a bad one into a message naming it.

Every function takes what the operator gave and the name of the field (`what`), and returns the value
in its one canonical form (lower-cased email, E.164 phone, "HH:MM" times), so what is stored and
compared is always normalised.
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from leadorch.app.config.errors import InvalidConfiguration

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
# Deliberately loose: one "@", something on both sides, a dot in the domain, no whitespace.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DOLLARS = re.compile(r"^\d+(\.\d{1,2})?$")


def slug(value: str, what: str) -> str:
    """An id chosen by the operator: lower-case letters, digits and inner dashes, at most 64 characters."""
    if not isinstance(value, str) or not _SLUG.match(value):
        raise InvalidConfiguration(
            f"{what} {value!r} must be a slug: lower-case letters, digits and dashes (e.g. 'tintworld', 'san-diego')"
        )
    return value


def text(value: str, what: str, *, max_length: int = 200) -> str:
    """Non-blank text, stripped, of bounded length."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidConfiguration(f"{what} must not be empty")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidConfiguration(
            f"{what} is {len(value)} characters long; at most {max_length} are allowed"
        )
    return value


def time_zone(name: str) -> str:
    """An IANA time zone name that exists in the zone database (e.g. 'America/Los_Angeles')."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidConfiguration(
            f"time zone {name!r} is not an IANA time zone name such as 'America/Los_Angeles'"
        ) from None
    return name


def email(value: str, what: str = "email") -> str:
    """An email address, stripped and lower-cased."""
    candidate = value.strip().lower() if isinstance(value, str) else value
    if not isinstance(candidate, str) or not _EMAIL.match(candidate):
        raise InvalidConfiguration(f"{what} {value!r} is not an email address")
    return candidate


def phone(value: str, what: str = "phone", *, region: str = "US") -> str:
    """A phone number in E.164 (`+16195550142`); national numbers are read in `region`."""
    try:
        parsed = phonenumbers.parse(value, region)
    except (phonenumbers.NumberParseException, TypeError):
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise InvalidConfiguration(
            f"{what} {value!r} is not a valid phone number (use E.164, e.g. +16195550142)"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def message_address(value: str) -> str:
    """An address a message can go to: an email address (has an '@') or a phone number."""
    if isinstance(value, str) and "@" in value:
        return email(value, "address")
    return phone(value, "address")


def clock_time(value: str, what: str) -> time:
    """A local time of day written 'HH:MM' (24-hour clock)."""
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise InvalidConfiguration(f"{what} {value!r} must be a time written HH:MM, e.g. 09:00")
    return time(int(match.group(1)), int(match.group(2)))


def interval(value: str, what: str) -> tuple[time, time]:
    """An opening interval written 'HH:MM-HH:MM' that starts before it ends."""
    parts = value.split("-") if isinstance(value, str) else []
    if len(parts) != 2:
        raise InvalidConfiguration(
            f"{what} {value!r} must be an interval written HH:MM-HH:MM, e.g. 09:00-18:00"
        )
    start, end = clock_time(parts[0], what), clock_time(parts[1], what)
    if not start < end:
        raise InvalidConfiguration(f"{what} {value!r} must start before it ends")
    return start, end


def intervals(values: list[str], what: str) -> list[str]:
    """Non-overlapping opening intervals, sorted and written 'HH:MM-HH:MM' (touching ones are fine)."""
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise InvalidConfiguration(f"{what} must be a list of intervals written HH:MM-HH:MM")
    parsed = sorted(interval(value, what) for value in values)
    for (start_a, end_a), (start_b, end_b) in pairwise(parsed):
        if start_b < end_a:
            raise InvalidConfiguration(
                f"{what}: {start_a:%H:%M}-{end_a:%H:%M} and {start_b:%H:%M}-{end_b:%H:%M} overlap"
            )
    return [f"{start:%H:%M}-{end:%H:%M}" for start, end in parsed]


def whole_number(value: int, what: str, *, minimum: int, maximum: int | None = None) -> int:
    """An integer within bounds (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidConfiguration(f"{what} must be a whole number, not {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise InvalidConfiguration(f"{what} must be {bounds}, not {value}")
    return value


def price_cents(value: int, what: str = "price") -> int:
    """A price in whole cents, zero or more."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidConfiguration(f"{what} must be a whole number of cents, not {value!r}")
    if value < 0:
        raise InvalidConfiguration(f"{what} must not be negative, got {value} cents")
    return value


def dollars(value: str, what: str = "price") -> int:
    """Cents for an amount typed in dollars ('450', '450.5', '450.00')."""
    cleaned = value.strip().removeprefix("$") if isinstance(value, str) else ""
    if not _DOLLARS.match(cleaned):
        raise InvalidConfiguration(f"{what} {value!r} must be an amount in dollars such as 450.00")
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        raise InvalidConfiguration(f"{what} {value!r} must be an amount in dollars such as 450.00") from None


def calendar_date(value: str | date, what: str = "date") -> date:
    """A date written YYYY-MM-DD."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise InvalidConfiguration(f"{what} {value!r} must be a date written YYYY-MM-DD") from None
