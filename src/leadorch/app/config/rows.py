"""How configuration values map to table rows and back (columns, JSON-in-TEXT, ISO timestamps)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from leadorch.app.config.models import (
    DEFAULT_BOOKING_HORIZON_DAYS,
    DEFAULT_CATALOG_GENERIC_WORDS,
    DEFAULT_LIVE_CONVERSATION_MINUTES,
    CatalogEntry,
    DateException,
    LocationConfig,
    PlannedTouchConfig,
    SendingWindowConfig,
    StaffContact,
    TenantConfig,
    TouchTemplate,
)

_json = msgspec.json.Encoder()

TENANT_COLUMNS = (
    "tenant_id, name, website_status_ids, demo_mode, allow_list, custom_touch_plan, templates, max_sms_segments, "
    "crm_api_key_sealed IS NOT NULL, crm_webhook_secret_sealed IS NOT NULL, version, created_at, updated_at, "
    "catalog_generic_words, message_answers"
)
LOCATION_COLUMNS = (
    "tenant_id, location_id, name, crm_location_id, time_zone, phone, address, weekly_hours, exceptions, "
    "sending_window, capacity, min_lead_minutes, slot_granularity_minutes, staff, sms_from_number, email_from, "
    "version, created_at, updated_at, technician_ids, booking_horizon_days, assistant_answers_messages"
)
CATALOG_COLUMNS = (
    "s.service_id, s.name, s.description, s.duration_minutes, s.price_cents, p.price_cents, s.bookable, "
    "s.active, s.crm_service_id"
)


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


def json_text(value: Any) -> str:
    return _json.encode(value).decode()


def tenant_values(tenant: TenantConfig) -> tuple[Any, ...]:
    return (
        tenant.tenant_id,
        tenant.name,
        json_text(tenant.website_status_ids),
        tenant.demo_mode,
        json_text(tenant.allow_list),
        None if tenant.custom_touch_plan is None else json_text(tenant.custom_touch_plan),
        json_text(tenant.templates),
        tenant.max_sms_segments,
        json_text(tenant.catalog_generic_words),
        json_text(
            {"on": tenant.assistant_answers_messages, "live_minutes": tenant.live_conversation_minutes}
        ),
    )


def tenant_from_row(row: Sequence[Any]) -> TenantConfig:
    return TenantConfig(
        tenant_id=row[0],
        name=row[1],
        website_status_ids=msgspec.json.decode(row[2], type=list[str]),
        demo_mode=bool(row[3]),
        allow_list=msgspec.json.decode(row[4], type=list[str]),
        custom_touch_plan=None
        if row[5] is None
        else msgspec.json.decode(row[5], type=list[PlannedTouchConfig]),
        templates=msgspec.json.decode(row[6], type=dict[int, TouchTemplate]),
        max_sms_segments=int(row[7]),
        crm_api_key_set=bool(row[8]),
        crm_webhook_secret_set=bool(row[9]),
        version=int(row[10]),
        created_at=datetime.fromisoformat(row[11]),
        updated_at=datetime.fromisoformat(row[12]),
        catalog_generic_words=list(DEFAULT_CATALOG_GENERIC_WORDS)
        if row[13] is None
        else msgspec.json.decode(row[13], type=list[str]),
        **_message_answers(row[14]),
    )


def _message_answers(text: str | None) -> dict[str, Any]:
    """The tenant's answering settings from their column (NULL, from before it: the defaults)."""
    if text is None:
        return {}
    stored = msgspec.json.decode(text, type=dict[str, Any])
    return {
        "assistant_answers_messages": bool(stored.get("on", True)),
        "live_conversation_minutes": int(stored.get("live_minutes", DEFAULT_LIVE_CONVERSATION_MINUTES)),
    }


def location_values(location: LocationConfig) -> tuple[Any, ...]:
    return (
        location.tenant_id,
        location.location_id,
        location.name,
        location.crm_location_id,
        location.time_zone,
        location.phone,
        location.address,
        json_text(location.weekly_hours),
        json_text(location.exceptions),
        json_text(location.window),
        location.capacity,
        location.min_lead_minutes,
        location.slot_granularity_minutes,
        json_text(location.staff),
        location.sms_from_number,
        location.email_from,
    )


def location_from_row(row: Sequence[Any]) -> LocationConfig:
    return LocationConfig(
        tenant_id=row[0],
        location_id=row[1],
        name=row[2],
        crm_location_id=row[3],
        time_zone=row[4],
        phone=row[5],
        address=row[6],
        weekly_hours=msgspec.json.decode(row[7], type=dict[str, list[str]]),
        exceptions=msgspec.json.decode(row[8], type=list[DateException]),
        window=msgspec.json.decode(row[9], type=SendingWindowConfig),
        capacity=int(row[10]),
        min_lead_minutes=int(row[11]),
        slot_granularity_minutes=int(row[12]),
        staff=msgspec.json.decode(row[13], type=list[StaffContact]),
        sms_from_number=row[14],
        email_from=row[15],
        version=int(row[16]),
        created_at=datetime.fromisoformat(row[17]),
        updated_at=datetime.fromisoformat(row[18]),
        technician_ids=[] if row[19] is None else msgspec.json.decode(row[19], type=list[str]),
        booking_horizon_days=DEFAULT_BOOKING_HORIZON_DAYS if row[20] is None else int(row[20]),
        assistant_answers_messages=True if row[21] is None else bool(row[21]),
    )


def catalog_entry_from_row(row: Sequence[Any], location_id: str | None) -> CatalogEntry:
    override = row[5]
    return CatalogEntry(
        service_id=row[0],
        name=row[1],
        description=row[2],
        duration_minutes=int(row[3]),
        base_price_cents=int(row[4]),
        price_cents=int(override) if override is not None else int(row[4]),
        location_id=location_id,
        price_overridden=override is not None,
        bookable=bool(row[6]),
        active=bool(row[7]),
        crm_service_id=row[8],
    )
