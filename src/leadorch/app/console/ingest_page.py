"""The ingest log page: every CRM order version we were shown, with what was decided and every reason.

It answers "why is this quote not a lead?" without the worker's logs: a rejected order shows each
reason the website-lead rule gave. Filters come from the query string (`?location=&decision=&page=`);
a bad value is reported next to its field and that filter dropped. Reasons may quote a customer's
address (a rejection for an unusable email, say), so they are masked like everything else unless the
viewer asks to see them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from leadorch.app.console import display
from leadorch.app.console.filters import kept_query, known_location, one_of, page_number
from leadorch.app.readmodels.ingest_log import IngestEntry, ingest_log

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

PAGE_SIZE = 100
DECISIONS = ("accepted", "rejected")


@dataclass(frozen=True)
class IngestFilters:
    location: str | None = None
    decision: str | None = None
    page: int = 1
    reveal: bool = False


def parse_ingest_filters(
    query: Mapping[str, str], *, locations: dict[str, str]
) -> tuple[IngestFilters, dict[str, str]]:
    """The filters `query` asks for, and an error per field that could not be used (that filter is dropped)."""
    errors: dict[str, str] = {}
    filters = IngestFilters(
        location=known_location(query.get("location"), locations, errors),
        decision=one_of("decision", query.get("decision"), DECISIONS, errors),
        page=page_number(query.get("page"), errors),
        reveal=query.get("show") == "1",
    )
    return filters, errors


@dataclass(frozen=True)
class IngestRow:
    order_id: str
    location: str
    source: str
    outcome: str
    accepted: bool
    reasons: list[str]
    lead_id: str | None
    seen: str
    seen_iso: str


@dataclass(frozen=True)
class IngestPage:
    tenant_id: str
    filters: IngestFilters
    errors: dict[str, str]
    rows: list[IngestRow]
    locations: dict[str, str]
    decisions: tuple[str, ...]
    has_next: bool
    query: dict[str, str] = field(default_factory=dict)


def build_ingest_page(
    container: Container, tenant_id: str, filters: IngestFilters, errors: dict[str, str]
) -> IngestPage:
    locations = container.config.locations(tenant_id)
    names = {location.location_id: location.name for location in locations}
    by_crm_id = {location.crm_location_id: location for location in locations if location.crm_location_id}
    chosen = next((loc for loc in locations if loc.location_id == filters.location), None)
    entries = ingest_log(
        container.db,
        tenant_id,
        limit=PAGE_SIZE + 1,
        offset=(filters.page - 1) * PAGE_SIZE,
        accepted=None if filters.decision is None else filters.decision == "accepted",
        crm_location_id=(chosen.crm_location_id or chosen.location_id) if chosen is not None else None,
    )
    query = kept_query(("location", filters.location), ("decision", filters.decision), reveal=filters.reveal)
    rows = []
    for entry in entries[:PAGE_SIZE]:
        location = by_crm_id.get(entry.location_id)
        rows.append(
            _row(
                entry,
                location.name if location else entry.location_id,
                location.time_zone if location else None,
                filters.reveal,
            )
        )
    return IngestPage(
        tenant_id=tenant_id,
        filters=filters,
        errors=errors,
        rows=rows,
        locations=names,
        decisions=DECISIONS,
        has_next=len(entries) > PAGE_SIZE,
        query=query,
    )


def _row(entry: IngestEntry, location_name: str, zone: str | None, reveal: bool) -> IngestRow:
    return IngestRow(
        order_id=entry.order_id,
        location=location_name,
        source=entry.source,
        outcome=entry.outcome.replace("_", " "),
        accepted=entry.accepted,
        reasons=[display.private(reason, reveal=reveal) for reason in entry.reasons],
        lead_id=entry.lead_id,
        seen=display.local_time(entry.seen_at, zone),
        seen_iso=display.iso(entry.seen_at),
    )
