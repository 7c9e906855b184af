"""How times, prices and appointments are written for customers, the same in the chat and in messages.

Times are always shown in the location's zone ("Fri Nov 27, 10:00 AM"), because that is where the
customer will be when the appointment happens; where the customer may read them somewhere else (the
chat's tool results, its appointment card) they carry the zone's abbreviation ("Fri Nov 27, 10:00 AM
PST").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from leadorch.domain.appointment import Appointment
from leadorch.domain.availability import ServiceLine


def local(moment: datetime, time_zone: str) -> datetime:
    """`moment` as the location's clocks read it (an aware datetime with the local offset)."""
    return moment.astimezone(ZoneInfo(time_zone))


def slot_label(moment: datetime, time_zone: str) -> str:
    """'Fri Nov 27, 10:00 AM' in the location's zone."""
    at = local(moment, time_zone)
    hour = at.hour % 12 or 12
    return f"{at:%a %b} {at.day}, {hour}:{at:%M} {'AM' if at.hour < 12 else 'PM'}"


def zoned_label(moment: datetime, time_zone: str) -> str:
    """'Sat Dec 5, 9:00 AM PST': the label with the zone's abbreviation, for a customer who may be
    somewhere else when they read it (chat tools, the appointment card)."""
    return f"{slot_label(moment, time_zone)} {local(moment, time_zone).tzname()}"


def local_iso(moment: datetime, time_zone: str) -> str:
    """ISO-8601 with the location's offset, e.g. 2026-11-27T10:00:00-08:00 (what tools and buttons carry)."""
    return local(moment, time_zone).isoformat()


def dollars(cents: int) -> str:
    """$300 or $249.50."""
    return f"${cents // 100:,}" if cents % 100 == 0 else f"${cents / 100:,.2f}"


def duration_words(minutes: int) -> str:
    """'2 hours', '1 hour 30 minutes', '45 minutes'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minutes"
    text = f"{hours} hour" + ("s" if hours > 1 else "")
    return f"{text} {rest} minutes" if rest else text


def service_names(services: Iterable[ServiceLine]) -> list[str]:
    return [service.name for service in services]


def appointment_view(appointment: Appointment, time_zone: str) -> dict[str, Any]:
    """The appointment as the chat shows it (the card) and as tools report it to the assistant."""
    return {
        "id": str(appointment.id),
        "start": local_iso(appointment.start, time_zone),
        "end": local_iso(appointment.end, time_zone),
        "label": zoned_label(appointment.start, time_zone),
        "services": service_names(appointment.services),
        "price_cents": appointment.price_cents,
        "status": str(appointment.status),
    }
