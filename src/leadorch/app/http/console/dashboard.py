"""A tenant's dashboard: the funnel and speed-to-lead over a date range, for the tenant and each location."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from leadorch.app.bootstrap import Container
from leadorch.app.console.dashboard import (
    DateRange,
    InvalidDateRange,
    build_dashboard,
    parse_date_range,
    tenant_today,
)
from leadorch.app.console.session import ConsoleSession
from leadorch.app.console.web import page, tenant_session


class DashboardController(Controller):
    path = "/t/{tenant_id:str}"
    dependencies = {"session": Provide(tenant_session, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def dashboard(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
    ) -> Template:
        """Funnel and speed-to-lead for the tenant and each location over `?from=&to=`."""
        today = tenant_today(container, tenant_id)
        error = ""
        # Read by hand: `from` is a Python keyword, so it cannot be a parameter's name.
        raw_from, raw_to = request.query_params.get("from"), request.query_params.get("to")
        try:
            date_range = parse_date_range(raw_from, raw_to, today=today)
        except InvalidDateRange as invalid:
            error = str(invalid)
            date_range = DateRange.ending(today)
        return page(
            request,
            session,
            "dashboard.html",
            status_code=HTTP_400_BAD_REQUEST if error else 200,
            tenant_id=tenant_id,
            section="dashboard",
            board=build_dashboard(container, tenant_id, date_range),
            range_error=error,
            typed_from=raw_from if error else date_range.first.isoformat(),
            typed_to=raw_to if error else date_range.last.isoformat(),
        )
