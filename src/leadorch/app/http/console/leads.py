"""A tenant's leads in the console: the list (by location and status, searchable) and one lead's page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from leadorch.app.bootstrap import Container
from leadorch.app.console.lead_list import build_lead_list, locations_of, parse_lead_filters
from leadorch.app.console.lead_page import build_lead_page
from leadorch.app.console.session import ConsoleSession
from leadorch.app.console.touch_resolution import OUTCOMES
from leadorch.app.console.web import page, tenant_session
from leadorch.app.http.console.lead_links import require_uuid


class LeadPagesController(Controller):
    path = "/t/{tenant_id:str}/leads"
    dependencies = {"session": Provide(tenant_session, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def leads(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
    ) -> Template:
        """The tenant's leads, by location and status, searchable."""
        filters, errors = parse_lead_filters(
            request.query_params, locations=locations_of(container, tenant_id)
        )
        return page(
            request,
            session,
            "leads.html",
            status_code=HTTP_400_BAD_REQUEST if errors else 200,
            tenant_id=tenant_id,
            section="leads",
            listing=build_lead_list(container, tenant_id, filters, errors),
        )

    @get("/{lead_id:str}", sync_to_thread=True)
    def lead(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
    ) -> Template:
        """One lead: contact (masked unless `?show=1`), touches, conversation, appointment, timeline."""
        require_uuid(lead_id)
        reveal = request.query_params.get("show") == "1"
        return page(
            request,
            session,
            "lead.html",
            tenant_id=tenant_id,
            section="leads",
            lead=build_lead_page(container, tenant_id, lead_id, reveal=reveal),
            outcomes=OUTCOMES,
        )
