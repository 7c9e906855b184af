"""A tenant's outbox in the console: every message sent, suppressed, failed or in doubt, newest first."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from leadorch.app.bootstrap import Container
from leadorch.app.console.lead_list import locations_of
from leadorch.app.console.outbox import CHANNELS
from leadorch.app.console.outbox_page import build_outbox_page, parse_outbox_filters
from leadorch.app.console.session import ConsoleSession
from leadorch.app.console.web import page, tenant_session


class OutboxController(Controller):
    path = "/t/{tenant_id:str}/outbox"
    dependencies = {"session": Provide(tenant_session, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def outbox(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
    ) -> Template:
        """Every message sent, suppressed, failed or in doubt, newest first."""
        filters, errors = parse_outbox_filters(
            request.query_params, locations=locations_of(container, tenant_id)
        )
        return page(
            request,
            session,
            "outbox.html",
            status_code=HTTP_400_BAD_REQUEST if errors else 200,
            tenant_id=tenant_id,
            section="outbox",
            box=build_outbox_page(container, tenant_id, filters, errors),
            channels=CHANNELS,
        )
