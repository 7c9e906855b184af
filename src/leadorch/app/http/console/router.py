"""Every console controller under `/console`, with the console's HTML answers for errors.

A person sees a page, not JSON: no session goes to the login page (and back after), a refused form is
403, a missing tenant, lead or location 404, a bad filter 400, each rendered in the console's frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.response import File
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_403_FORBIDDEN, HTTP_404_NOT_FOUND

from leadorch.app.config.errors import ConfigNotFound, OperatorOnly
from leadorch.app.console.web import CONSOLE, CsrfRejected, LoginRequired, html_error, login_redirect
from leadorch.app.eventstore.store import NotFound
from leadorch.app.http.console.dashboard import DashboardController
from leadorch.app.http.console.demo import DemoController
from leadorch.app.http.console.inbox import InboxController
from leadorch.app.http.console.ingest import IngestLogController
from leadorch.app.http.console.lead_actions import LeadActionsController
from leadorch.app.http.console.leads import LeadPagesController
from leadorch.app.http.console.login import LoginController
from leadorch.app.http.console.outbox import OutboxController
from leadorch.app.http.console.settings import SettingsController
from leadorch.app.http.console.tenants import TenantsController
from leadorch.app.readmodels.errors import InvalidQuery

STATIC = Path(__file__).parent.parent / "static"


@get("/static/console.css", sync_to_thread=False, include_in_schema=False)
def stylesheet() -> File:
    return File(path=STATIC / "console.css", media_type="text/css", headers={"Cache-Control": "max-age=300"})


def _to_login(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    return login_redirect(exc.back_to)


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    detail = getattr(exc, "detail", "") or str(exc)
    return html_error(request, HTTP_404_NOT_FOUND, "Not found", detail)


def _bad_request(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return html_error(request, HTTP_400_BAD_REQUEST, "That request cannot be answered", str(exc))


def _forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return html_error(request, HTTP_403_FORBIDDEN, "Form refused", str(exc))


def _operator_only(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return html_error(request, HTTP_403_FORBIDDEN, "Only the operator can do this", str(exc))


console_router = Router(
    path=CONSOLE,
    route_handlers=[
        LoginController,
        TenantsController,
        DashboardController,
        InboxController,
        LeadPagesController,
        LeadActionsController,
        OutboxController,
        IngestLogController,
        SettingsController,
        DemoController,
        stylesheet,
    ],
    include_in_schema=False,
    exception_handlers={
        LoginRequired: _to_login,
        CsrfRejected: _forbidden,
        OperatorOnly: _operator_only,
        NotFound: _not_found,
        ConfigNotFound: _not_found,
        NotFoundException: _not_found,
        InvalidQuery: _bad_request,
    },
)
