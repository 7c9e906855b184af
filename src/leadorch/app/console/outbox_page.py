"""The outbox page: every message of the tenant's cadences (sent, suppressed, failed, in doubt), newest first.

Filters come from the query string (`?status=&channel=&location=&page=`); a bad value is reported next
to its field and that filter dropped. Customer names and addresses (also inside a message's detail, e.g.
a suppression's reason) are masked unless the viewer asks to see them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from leadorch.app.console import display
from leadorch.app.console.filters import kept_query, known_location, one_of, page_number
from leadorch.app.console.outbox import CHANNELS, OutboxMessage, outbox_messages
from leadorch.app.projections.outbox import STATUSES

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

PAGE_SIZE = 100


@dataclass(frozen=True)
class OutboxFilters:
    status: str | None = None
    channel: str | None = None
    location: str | None = None
    page: int = 1
    reveal: bool = False


def parse_outbox_filters(
    query: Mapping[str, str], *, locations: dict[str, str]
) -> tuple[OutboxFilters, dict[str, str]]:
    """The filters `query` asks for, and an error per field that could not be used (that filter is dropped)."""
    errors: dict[str, str] = {}
    filters = OutboxFilters(
        status=one_of("status", query.get("status"), STATUSES, errors),
        channel=one_of("channel", query.get("channel"), CHANNELS, errors),
        location=known_location(query.get("location"), locations, errors),
        page=page_number(query.get("page"), errors),
        reveal=query.get("show") == "1",
    )
    return filters, errors


@dataclass(frozen=True)
class OutboxRow:
    lead_id: str
    customer: str
    recipient: str
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
    container: Container, tenant_id: str, filters: OutboxFilters, errors: dict[str, str]
) -> OutboxPage:
    locations = container.config.locations(tenant_id)
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
    query = kept_query(
        ("status", filters.status),
        ("channel", filters.channel),
        ("location", filters.location),
        reveal=filters.reveal,
    )
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
    return OutboxRow(
        lead_id=message.lead_id,
        customer=display.contact_name(message.first_name, message.last_name, reveal=reveal),
        recipient=display.contact_email(message.email, reveal=reveal)
        if message.channel == "email"
        else display.contact_phone(message.phone, reveal=reveal),
        location=names.get(message.location_id, message.location_id),
        touch_number=message.touch_number,
        channel=message.channel,
        status=message.status,
        detail=display.private(message.detail or "", reveal=reveal),
        provider_message_id=message.provider_message_id or "",
        delivery=display.delivery(message.delivery_status, message.delivery_error),
        claimed=display.local_time(message.claimed_at, zone),
        claimed_iso=display.iso(message.claimed_at),
        settled=display.local_time(message.settled_at, zone),
    )
