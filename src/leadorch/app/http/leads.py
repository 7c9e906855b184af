"""The lead API (`/api/tenants/{tenant_id}/leads/...`): the lead list and a lead from the read model,
and a lead's complete history from the event store.

Every endpoint is tenant-scoped through `tenant_access`: a tenant's token sees its own leads only, and
another tenant's lead id answers 404 exactly like a missing one. The history masks contact details
unless `full=true`; secrets are never shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter

from leadorch.app.audit import lead_history
from leadorch.app.bootstrap import Container
from leadorch.app.eventstore.store import NotFound
from leadorch.app.http.auth import Principal, tenant_access
from leadorch.app.readmodels.arguments import MAX_PAGE
from leadorch.app.readmodels.leads import LeadView, get_lead, list_leads


class LeadPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of the lead list, newest first."""

    items: list[LeadView]
    limit: int
    offset: int


class HistoryEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event of a lead's history, with the data it carried."""

    at: datetime
    aggregate: str
    aggregate_id: str
    version: int
    event: str
    data: dict[str, Any]


class LeadHistoryView(msgspec.Struct, frozen=True, kw_only=True):
    """Every event of the lead, its touch schedule, CRM order intake, chats and appointments, in time order."""

    lead_id: str
    tenant_id: str
    events: list[HistoryEvent]


class LeadsController(Controller):
    path = "/api/tenants/{tenant_id:str}/leads"
    tags = ["leads"]
    dependencies = {"access": Provide(tenant_access, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def list_page(
        self,
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        access: NamedDependency[Principal],
        location_id: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        search: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> LeadPage:
        """The tenant's leads (optionally one location or status; `search` matches name, email, phone…)."""
        items = list_leads(container.db, tenant_id, location_id, status, search, limit, offset)
        return LeadPage(items=items, limit=limit, offset=offset)

    @get("/{lead_id:uuid}", sync_to_thread=True)
    def show(
        self,
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[UUID],
        access: NamedDependency[Principal],
    ) -> LeadView:
        """One lead as the read model shows it."""
        lead = get_lead(container.db, tenant_id, str(lead_id))
        if lead is None:
            raise NotFound(f"lead {lead_id} not found")
        return lead

    @get("/{lead_id:uuid}/events", sync_to_thread=True)
    def events(
        self,
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[UUID],
        access: NamedDependency[Principal],
        full: FromQuery[bool] = False,
    ) -> LeadHistoryView:
        """The lead's complete history (contact details masked unless `full=true`)."""
        history = lead_history(container.store, lead_id, tenant_id=tenant_id, full=full)
        return LeadHistoryView(
            lead_id=history.lead_id,
            tenant_id=history.tenant_id,
            events=[
                HistoryEvent(
                    at=entry.at,
                    aggregate=entry.aggregate,
                    aggregate_id=entry.aggregate_id,
                    version=entry.version,
                    event=entry.event,
                    data=entry.data,
                )
                for entry in history.entries
            ],
        )
