"""How the console writes values for people: local times, durations, money, rates, masked contacts.

Contact details are masked by one function, `private`, wherever a page shows them (the contact box, the
lead list, the outbox, a touch's detail, the conversation, the timeline and its raw fields), so an
address is never masked in one place and written in full next to it. It applies the audit's masking
rule (`leadorch.app.audit.mask`): the same "j***@example.com" and "+1******0142" as `leadorch audit`.

Times are shown in the shop's own time zone (the one its sending window and hours are in), with the
zone's abbreviation, because "09:02 PDT" is what the shop's staff compare with their own clocks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadorch.app.audit import mask

NOTHING = "—"


def local_time(moment: datetime | None, time_zone: str | None) -> str:
    """`moment` on the wall clock of `time_zone` (UTC when unknown): "2025-06-02 10:00 CDT"."""
    if moment is None:
        return NOTHING
    zone = _zone(time_zone)
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or 'UTC'}"


def day_and_time(moment: datetime, time_zone: str | None) -> str:
    """`moment` as people say it, on the wall clock of `time_zone`: "Sat Dec 5, 9:00 AM"."""
    local = moment.astimezone(_zone(time_zone))
    hour = local.hour % 12 or 12
    return f"{local:%a %b} {local.day}, {hour}:{local:%M %p}"


def iso(moment: datetime | None) -> str:
    """The exact instant, for a `<time datetime=…>` attribute."""
    return "" if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def duration(ms: int | None) -> str:
    """A span for people, two units at most: "45 s", "2 min 5 s", "1 h 20 min", "3 d 4 h"."""
    if ms is None:
        return NOTHING
    if ms < 0:
        raise ValueError(f"a duration cannot be negative, got {ms} ms")
    seconds = round(ms / 1000)
    if ms < 1000:
        return f"{ms} ms"
    if seconds < 60:
        return f"{seconds} s"
    minutes, second = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {second} s" if second else f"{minutes} min"
    hours, minute = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minute} min" if minute else f"{hours} h"
    days, hour = divmod(hours, 24)
    return f"{days} d {hour} h" if hour else f"{days} d"


def money(cents: int | None) -> str:
    """$1,234.50"""
    if cents is None:
        return NOTHING
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def dollars_field(cents: int | None) -> str:
    """A price as typed in a form field: "450.00" (no currency sign, no thousands separator)."""
    if cents is None:
        return ""
    return f"{cents // 100}.{cents % 100:02d}"


def percent(part: int, whole: int) -> str:
    """ "42%" (one decimal under 10%), or "—" when there is nothing to divide by."""
    if whole <= 0:
        return NOTHING
    ratio = 100 * part / whole
    return f"{ratio:.1f}%" if 0 < ratio < 10 else f"{ratio:.0f}%"


def label(value: str | None) -> str:
    """A machine word for people: "handled_by_shop" → "handled by shop"."""
    return NOTHING if not value else value.replace("_", " ")


def delivery(status: str | None, error: str | None) -> str:
    """What the provider last said about a message: "undelivered (error 30003)"."""
    return f"{status or ''} (error {error})" if error else status or ""


def private(value: Any, *, reveal: bool, key: str = "") -> Any:
    """`value` as the console may show it: contact details masked unless `reveal`, secrets always hidden.

    `value` is free text (any email address or phone number in it masked), a field named `key`
    ("email", "phone", "first_name"…), or event data (a dict or list, masked field by field).
    """
    return mask(value, full=reveal, key=key)


def contact_name(first: str | None, last: str | None, *, reveal: bool) -> str:
    """The customer's name, or its initials masked ("M*** O***") unless `reveal`."""
    parts = [part.strip() for part in (first, last) if part and part.strip()]
    if not parts:
        return "(no name)"
    return " ".join(private(part, reveal=reveal, key="first_name") for part in parts)


def contact_email(email: str | None, *, reveal: bool) -> str:
    return private(email, reveal=reveal, key="email") if email else NOTHING


def contact_phone(phone: str | None, *, reveal: bool) -> str:
    return private(phone, reveal=reveal, key="phone") if phone else NOTHING


def contact(email: str | None, phone: str | None, *, reveal: bool) -> str:
    """How to reach the customer, in one line: "j***@example.com · +1******1001"."""
    shown = [
        private(value, reveal=reveal, key=key) for key, value in (("email", email), ("phone", phone)) if value
    ]
    return " · ".join(shown) or NOTHING


def _zone(name: str | None) -> ZoneInfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")
