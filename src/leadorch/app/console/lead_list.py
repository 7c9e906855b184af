"""The lead list: the tenant's leads by location and status, searchable, a page at a time.

Filters come from the query string (`?q=&status=&location=&page=`); a bad value is reported next to
its field rather than failing the page. Names and contact details are masked unless the viewer asks to
see them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadorch.app.console import display
from leadorch.app.console.filters import kept_query, known_location, one_of, page_number
from leadorch.app.projections.leads import LEADS
from leadorch.app.projections.tables import LIVE_PREFIX
from leadorch.app.readmodels.leads import STATUSES, LeadView, list_leads

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

PAGE_SIZE = 50
MAX_SEARCH_LENGTH = 200
_LEADS = LEADS.physical(LIVE_PREFIX)


@dataclass(frozen=True)
class LeadFilters:
    q: str = ""
    status: str | None = None
    location: str | None = None
    page: int = 1
    reveal: bool = False


def parse_lead_filters(
    query: Mapping[str, str], *, locations: dict[str, str]
) -> tuple[LeadFilters, dict[str, str]]:
    """The filters `query` asks for, and an error per field that could not be used (that filter is dropped)."""
    errors: dict[str, str] = {}
    text = (query.get("q") or "").strip()
    if len(text) > MAX_SEARCH_LENGTH:
        errors["q"] = f"search is at most {MAX_SEARCH_LENGTH} characters"
        text = text[:MAX_SEARCH_LENGTH]
    filters = LeadFilters(
        q=text,
        status=one_of("status", query.get("status"), STATUSES, errors),
        location=known_location(query.get("location"), locations, errors),
        page=page_number(query.get("page"), errors),
        reveal=query.get("show") == "1",
    )
    return filters, errors


@dataclass(frozen=True)
class LeadRow:
    lead_id: str
    name: str
    contact: str
    vehicle: str
    services: str
    location: str
    status: str
    received: str
    received_iso: str
    next_touch: str
    touches_sent: int
    paused: bool
    staff_flag: str | None


@dataclass(frozen=True)
class LeadListPage:
    tenant_id: str
    filters: LeadFilters
    errors: dict[str, str]
    rows: list[LeadRow]
    locations: dict[str, str]
    statuses: tuple[str, ...]
    status_counts: list[tuple[str, list[int]]]  # (location name, a count per status)
    has_next: bool
    query: dict[str, str] = field(default_factory=dict)


def build_lead_list(
    container: Container, tenant_id: str, filters: LeadFilters, errors: dict[str, str]
) -> LeadListPage:
    config = container.config
    locations = config.locations(tenant_id)
    names = {location.location_id: location.name for location in locations}
    zones = {location.location_id: location.time_zone for location in locations}
    views = list_leads(
        container.db,
        tenant_id,
        filters.location,
        filters.status,
        filters.q or None,
        PAGE_SIZE + 1,
        (filters.page - 1) * PAGE_SIZE,
    )
    rows = [_row(view, names, zones, reveal=filters.reveal) for view in views[:PAGE_SIZE]]
    query = kept_query(
        ("q", filters.q), ("status", filters.status), ("location", filters.location), reveal=filters.reveal
    )
    return LeadListPage(
        tenant_id=tenant_id,
        filters=filters,
        errors=errors,
        rows=rows,
        locations=names,
        statuses=STATUSES,
        status_counts=_status_matrix(container.db, tenant_id, names),
        has_next=len(views) > PAGE_SIZE,
        query=query,
    )


def locations_of(container: Container, tenant_id: str) -> dict[str, str]:
    """The tenant's locations, id → name."""
    return {loc.location_id: loc.name for loc in container.config.locations(tenant_id)}


def _row(view: LeadView, names: dict[str, str], zones: dict[str, str], *, reveal: bool) -> LeadRow:
    vehicle = " ".join(
        str(part) for part in (view.vehicle_year, view.vehicle_make, view.vehicle_model) if part
    )
    zone = zones.get(view.location_id)
    return LeadRow(
        lead_id=view.lead_id,
        name=display.contact_name(view.first_name, view.last_name, reveal=reveal),
        contact=display.contact(view.email, view.phone, reveal=reveal),
        vehicle=vehicle or display.NOTHING,
        services=", ".join(view.services) or display.NOTHING,
        location=names.get(view.location_id, view.location_id),
        status=view.status,
        received=display.local_time(view.received_at, zone),
        received_iso=display.iso(view.received_at),
        next_touch=display.local_time(view.next_touch_due_at, zone),
        touches_sent=view.touches_sent,
        paused=view.automation_paused,
        staff_flag=display.private(view.staff_flag, reveal=reveal),
    )


def _status_matrix(db: Any, tenant_id: str, names: dict[str, str]) -> list[tuple[str, list[int]]]:
    """How many leads each location has in each status (every configured location, even with none)."""
    with db.transaction() as cur:
        cur.execute(
            f"SELECT location_id, status, COUNT(*) FROM {_LEADS} WHERE tenant_id = %s GROUP BY location_id, status",
            [tenant_id],
        )
        found = cur.fetchall()
    counts: dict[str, dict[str, int]] = {location_id: {} for location_id in names}
    for location_id, status, count in found:
        counts.setdefault(location_id, {})[status] = int(count)
    return [
        (names.get(location_id, location_id), [by_status.get(status, 0) for status in STATUSES])
        for location_id, by_status in sorted(counts.items(), key=lambda item: names.get(item[0], item[0]))
    ]
