"""A lead's complete history, for people: every event of the lead and of what belongs to it.

The history is read from the event store by aggregate id (the lead, its touch schedule, the intake
records of its CRM order and of the repeat quotes that joined it, its appointments and chat sessions), never by scanning the log, and merged
in time order. Each entry carries the event's data as recorded. Secrets are always hidden; contact
details (names, email addresses, phone numbers — also inside free text) are masked unless `full`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.touches.proof import why_allowed
from leadorch.domain import ids
from leadorch.domain.appointment import Appointment
from leadorch.domain.conversation import conversation_id
from leadorch.domain.intake import intake_id
from leadorch.domain.lead import Lead

_ENVELOPE = ("originator_id", "originator_version", "originator_topic", "timestamp")
_SECRET_WORDS = ("secret", "token", "password", "api_key", "apikey", "authorization", "credential")
_NAME_KEYS = {"first_name", "last_name", "full_name", "customer_name"}
_EMAIL_KEYS = {"email", "email_address", "to_email", "from_email"}
_PHONE_KEYS = {"phone", "phone_number", "mobile", "to_phone", "from_phone"}
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"\+\d{8,15}\b")
# A North American number as people write it ("(512) 555-0142", "512-555-0142", "+1 512.555.0142"): the
# separators are required, so an order number or a price is never taken for a phone number.
_WRITTEN_PHONE = re.compile(r"(?<![\w+])(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b")
# Aggregates in the order their same-instant events read best (a lead before its schedule, etc.).
_KIND_ORDER = {"OrderIntake": 0, "Lead": 1, "TouchPointSchedule": 2, "Conversation": 3, "Appointment": 4}


@dataclass(frozen=True)
class AuditEntry:
    """One event in a lead's history."""

    at: datetime
    aggregate: str
    aggregate_id: str
    version: int
    event: str
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "aggregate": self.aggregate,
            "aggregate_id": self.aggregate_id,
            "version": self.version,
            "event": self.event,
            "data": self.data,
        }


@dataclass(frozen=True)
class LeadHistory:
    lead_id: str
    tenant_id: str
    entries: list[AuditEntry]


def lead_history(
    store: EventStore, lead_id: UUID | str, *, tenant_id: str | None = None, full: bool = False
) -> LeadHistory:
    """Every event of lead `lead_id` and of what belongs to it, oldest first, masked unless `full`.

    With `tenant_id`, a lead of another tenant is `NotFound` exactly like a missing one.
    """
    lead_uuid = _uuid(lead_id)
    lead_events = list(store.events.get(lead_uuid))
    registered = lead_events[0] if lead_events else None
    if not isinstance(registered, Lead.Registered) or (
        tenant_id is not None and registered.tenant_id != tenant_id
    ):
        raise NotFound(f"lead {lead_uuid} not found")
    owner = registered.tenant_id
    related: list[Any] = list(lead_events)
    related += _events_of(store, ids.schedule_id(lead_uuid), owner)
    related += _events_of(store, intake_id(owner, registered.crm_order_id), owner)
    for joined_order in _mentioned(lead_events, Lead.QuoteJoined, "crm_order_id"):  # repeat quotes
        related += _events_of(store, intake_id(owner, joined_order), owner)
    for appointment_id in _mentioned(lead_events, Lead.AppointmentBooked, "appointment_id"):
        related += _events_of(store, appointment_id, owner, Appointment)
    related += _events_of(store, conversation_id(lead_uuid), owner)
    entries = [_entry(event, full) for event in related]
    entries.sort(key=lambda e: (e.at, _KIND_ORDER.get(e.aggregate, 9), e.aggregate_id, e.version))
    return LeadHistory(lead_id=str(lead_uuid), tenant_id=owner, entries=entries)


def _uuid(value: UUID | str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound(f"lead {value!r} not found: a lead id is a UUID") from None


def _mentioned(events: Iterable[Any], event_type: type, field: str) -> list[str]:
    return list(dict.fromkeys(str(getattr(e, field)) for e in events if isinstance(e, event_type)))


def _events_of(
    store: EventStore, aggregate_id: UUID | str, tenant_id: str, kind: type | None = None
) -> list[Any]:
    """The events of one related aggregate, if it exists and belongs to the lead's tenant."""
    try:
        uuid = aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id))
    except ValueError:
        return []  # e.g. a chat session id that is not an aggregate id
    events = list(store.events.get(uuid))
    if not events or getattr(events[0], "tenant_id", None) != tenant_id:
        return []
    if kind is not None and not isinstance(events[0], tuple(_event_types(kind))):
        return []
    return events


def _event_types(kind: type) -> list[type]:
    return [value for value in vars(kind).values() if isinstance(value, type)]


def _entry(event: Any, full: bool) -> AuditEntry:
    aggregate, _, name = type(event).__qualname__.rpartition(".")
    data = {key: value for key, value in vars(event).items() if key not in _ENVELOPE}
    return AuditEntry(
        at=event.timestamp,
        aggregate=aggregate or "?",
        aggregate_id=str(event.originator_id),
        version=int(event.originator_version),
        event=name,
        data=mask(plain(data), full=full),
    )


def plain(value: Any) -> Any:
    """Event data as JSON-ready values (datetimes ISO-8601, UUIDs and decimals as text)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    return value


# -------------------------------------------------------------------------------------------- masking


def mask(value: Any, *, full: bool = False, key: str = "") -> Any:
    """`value` with secrets hidden always and contact details masked unless `full`."""
    lowered = key.lower()
    if any(word in lowered for word in _SECRET_WORDS) and value is not None:
        return "(secret)"
    if isinstance(value, dict):
        return {name: mask(item, full=full, key=str(name)) for name, item in value.items()}
    if isinstance(value, list):
        return [mask(item, full=full, key=key) for item in value]
    if full or not isinstance(value, str) or not value:
        return value
    if lowered in _NAME_KEYS:
        return mask_name(value)
    if lowered in _EMAIL_KEYS:
        return mask_email(value)
    if lowered in _PHONE_KEYS:
        return mask_phone(value)
    return mask_text(value)


def mask_name(name: str) -> str:
    """ "Maria" → "M***"."""
    stripped = name.strip()
    return f"{stripped[0]}***" if stripped else name


def mask_email(email: str) -> str:
    """ "maria@example.com" → "m***@example.com"."""
    local, at, domain = email.partition("@")
    if not at:
        return mask_text(email)
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    """ "+16195550142" → "+1******0142": the country code's first digit and the last four."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 6) + phone[-4:]


def mask_text(text: str) -> str:
    """Free text with any email address or phone number inside it masked (E.164, or written with
    separators: "(512) 555-0142" → "(***) ***-0142", the same last four digits as its E.164 mask)."""
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    text = _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
    return _WRITTEN_PHONE.sub(lambda m: _mask_written_phone(m.group(0)), text)


def _mask_written_phone(written: str) -> str:
    """Every digit but the last four starred, the separators kept ("+1 (***) ***-0142")."""
    digits = sum(char.isdigit() for char in written)
    keep_country = written.startswith("+1")
    seen = 0
    masked = []
    for char in written:
        if char.isdigit():
            seen += 1
            if not (seen > digits - 4 or (keep_country and seen == 1)):
                char = "*"
        masked.append(char)
    return "".join(masked)


# ------------------------------------------------------------------------------------------ rendering


def render_json(history: LeadHistory) -> str:
    """The history as one JSON document (what `--json` prints and the API returns)."""
    document = {
        "lead_id": history.lead_id,
        "tenant_id": history.tenant_id,
        "events": [entry.to_dict() for entry in history.entries],
    }
    return msgspec.json.format(msgspec.json.encode(document).decode(), indent=2)


def render_text(history: LeadHistory) -> str:
    """The history for a person: one line per event, time (UTC), aggregate, event, then its data."""
    width = max((len(f"{e.aggregate} v{e.version}") for e in history.entries), default=0)
    lines = [f"Lead {history.lead_id} (tenant {history.tenant_id}): {len(history.entries)} events"]
    for entry in history.entries:
        when = entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"
        source = f"{entry.aggregate} v{entry.version}".ljust(width)
        details = " ".join(f"{key}={_show(value)}" for key, value in entry.data.items() if key != "tenant_id")
        if isinstance(entry.data.get("allowed_by"), dict):  # a send: say why it was allowed
            details += f"  allowed: {why_allowed(entry.data['allowed_by'])}"
        lines.append(f"{when}  {source}  {entry.event}" + (f"  {details}" if details else ""))
    return "\n".join(lines)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return (
            value if value and " " not in value and "=" not in value else msgspec.json.encode(value).decode()
        )
    return msgspec.json.encode(value).decode()
