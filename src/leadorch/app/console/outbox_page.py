"""The outbox page: every message of the tenant's cadences (sent, suppressed, failed, in doubt), newest first.

Filters come from the query string (`?status=&channel=&location=&page=`); a bad value is reported next
to its field and that filter dropped. Customer names are masked unless the viewer asks to see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadorch.app.config import config_service
from leadorch.app.console import display
from leadorch.app.console.outbox import CHANNELS, OutboxMessage, outbox_messages
from leadorch.app.projections.outbox import STATUSES

PAGE_SIZE = 100
MAX_PAGE_NUMBER = 1000


@dataclass(frozen=True)
class OutboxFilters:
    status: str | None = None
    channel: str | None = None
    location: str | None = None
    page: int = 1
    reveal: bool = False


def parse_outbox_filters(
    *,
    status: str | None,
    channel: str | None,
    location: str | None,
    page: str | None,
    reveal: bool,
    locations: dict[str, str],
) -> tuple[OutboxFilters, dict[str, str]]:
    errors: dict[str, str] = {}
    if status and status not in STATUSES:
        errors["status"] = f"status must be one of {', '.join(STATUSES)}"
        status = None
    if channel and channel not in CHANNELS:
        errors["channel"] = f"channel must be one of {', '.join(CHANNELS)}"
        channel = None
    if location and location not in locations:
        errors["location"] = f"no location {location[:64]!r} in this tenant"
        location = None
    number = 1
    if page:
        if page.isdigit() and 1 <= int(page) <= MAX_PAGE_NUMBER:
            number = int(page)
        else:
            errors["page"] = f"page must be a whole number from 1 to {MAX_PAGE_NUMBER}"
    return OutboxFilters(status or None, channel or None, location or None, number, reveal), errors


@dataclass(frozen=True)
class OutboxRow:
    lead_id: str
    customer: str
    location: str
    touch_number: int
    channel: str
    status: str
    detail: str
    provider_message_id: str
    delivery: str
    claimed: str
    claimed_iso: str
    settled: str


@dataclass(frozen=True)
class OutboxPage:
    tenant_id: str
    filters: OutboxFilters
    errors: dict[str, str]
    rows: list[OutboxRow]
    locations: dict[str, str]
    statuses: tuple[str, ...]
    has_next: bool
    query: dict[str, str] = field(default_factory=dict)


def build_outbox_page(
    container: Any, tenant_id: str, filters: OutboxFilters, errors: dict[str, str]
) -> OutboxPage:
    locations = config_service(container).locations(tenant_id)
    names = {location.location_id: location.name for location in locations}
    zones = {location.location_id: location.time_zone for location in locations}
    messages = outbox_messages(
        container.db,
        tenant_id,
        location_id=filters.location,
        status=filters.status,
        channel=filters.channel,
        limit=PAGE_SIZE + 1,
        offset=(filters.page - 1) * PAGE_SIZE,
    )
    query = {
        key: value
        for key, value in (
            ("status", filters.status or ""),
            ("channel", filters.channel or ""),
            ("location", filters.location or ""),
            ("show", "1" if filters.reveal else ""),
        )
        if value
    }
    return OutboxPage(
        tenant_id=tenant_id,
        filters=filters,
        errors=errors,
        rows=[_row(message, names, zones, filters.reveal) for message in messages[:PAGE_SIZE]],
        locations=names,
        statuses=STATUSES,
        has_next=len(messages) > PAGE_SIZE,
        query=query,
    )


def _row(message: OutboxMessage, names: dict[str, str], zones: dict[str, str], reveal: bool) -> OutboxRow:
    zone = zones.get(message.location_id)
    delivery = message.delivery_status or ""
    if message.delivery_error:
        delivery = f"{delivery} (error {message.delivery_error})"
    return OutboxRow(
        lead_id=message.lead_id,
        customer=display.contact_name(message.first_name, message.last_name, reveal=reveal),
        location=names.get(message.location_id, message.location_id),
        touch_number=message.touch_number,
        channel=message.channel,
        status=message.status,
        detail=message.detail or "",
        provider_message_id=message.provider_message_id or "",
        delivery=delivery,
        claimed=display.local_time(message.claimed_at, zone),
        claimed_iso=display.iso(message.claimed_at),
        settled=display.local_time(message.settled_at, zone),
    )
