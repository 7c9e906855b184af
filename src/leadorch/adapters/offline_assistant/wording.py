"""How replies are worded: prices, durations, slot and appointment labels, the fixed answers.

Every fact worded here comes from a tool result passed in; nothing is looked up or invented.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def dollars(cents: Any) -> str:
    cents = int(cents)
    return f"${cents // 100:,}" if cents % 100 == 0 else f"${cents / 100:,.2f}"


def duration(minutes: Any) -> str:
    minutes = int(minutes)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minutes"
    hours_text = f"{hours} hour" + ("s" if hours > 1 else "")
    return hours_text if not rest else f"{hours_text} {rest} minutes"


def label(start: str) -> str:
    """'Fri Nov 27, 10:00 AM' in the slot's own (shop) time."""
    try:
        moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        return start
    hour = moment.hour % 12 or 12
    return f"{moment:%a %b} {moment.day}, {hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def slot_label(slot: dict[str, Any]) -> str:
    return str(slot.get("label") or label(str(slot.get("start", ""))))


def appointment_words(appointment: dict[str, Any]) -> str:
    when = appointment.get("label") or label(str(appointment.get("start", "")))
    services = [s.get("name", "") if isinstance(s, dict) else str(s) for s in appointment.get("services", [])]
    details = ", ".join(s for s in services if s)
    if "price_cents" in appointment:
        details = (
            f"{details}, {dollars(appointment['price_cents'])}"
            if details
            else dollars(appointment["price_cents"])
        )
    return f"{when} ({details})" if details else str(when)


HELP = (
    'I can tell you our prices and find you an appointment time. Try "how much is it?" or '
    '"what times do you have Friday?" - or say "talk to someone" to reach the shop.'
)
OUT_OF_BOUNDS_REPLY = (
    "I can't change prices or special terms here: our prices are the shop's listed prices. I'm happy to "
    'show you the prices or find you a time, or say "talk to someone" and I\'ll ask the team.'
)
