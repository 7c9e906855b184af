"""A tenant's ingest log in the console: every CRM order version, what was decided and why."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from leadorch.app.bootstrap import Container
from leadorch.app.console.ingest_page import build_ingest_page, parse_ingest_filters
from leadorch.app.console.lead_list import locations_of
from leadorch.app.console.session import ConsoleSession
from leadorch.app.console.web import page, tenant_session


class IngestLogController(Controller):
    path = "/t/{tenant_id:str}/ingest"
    dependencies = {"session": Provide(tenant_session, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def ingest_log(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
    ) -> Template:
        """Every order version the CRM showed us, newest first, with the decision and each reason."""
        filters, errors = parse_ingest_filters(
            request.query_params, locations=locations_of(container, tenant_id)
        )
        return page(
            request,
            session,
            "ingest.html",
            status_code=HTTP_400_BAD_REQUEST if errors else 200,
            tenant_id=tenant_id,
            section="ingest",
            box=build_ingest_page(container, tenant_id, filters, errors),
        )
