"""Pages above any one tenant: the operator's tenant picker, and the short links staff alerts carry (to a
lead's page, and to its thread in the inbox)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from leadorch.app.bootstrap import Container
from leadorch.app.console.session import ConsoleSession
from leadorch.app.console.web import CONSOLE, current_session, page
from leadorch.app.http.console.lead_links import lead_path, require_uuid
from leadorch.app.readmodels.leads import get_lead


class TenantsController(Controller):
    path = "/"
    dependencies = {"session": Provide(current_session, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def home(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        session: NamedDependency[ConsoleSession],
    ) -> Template | Redirect:
        """The operator picks a tenant; a tenant's login goes to its dashboard."""
        if session.tenant_id is not None:
            return Redirect(path=f"{CONSOLE}/t/{session.tenant_id}", status_code=303)
        return page(request, session, "tenants.html", tenants=container.config.tenants())

    @get("/leads/{lead_id:str}", sync_to_thread=True)
    def lead_by_id(
        self,
        container: NamedDependency[Container],
        lead_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
    ) -> Redirect:
        """The short link staff alerts carry: finds the lead among the tenants this login may see."""
        return Redirect(path=lead_path(_tenant_of(container, session, lead_id), lead_id), status_code=303)

    @get("/inbox/{lead_id:str}", sync_to_thread=True)
    def thread_by_id(
        self,
        container: NamedDependency[Container],
        lead_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
    ) -> Redirect:
        """The short link a hand-off alert carries: the lead's thread in the inbox, ready to answer."""
        tenant_id = _tenant_of(container, session, lead_id)
        return Redirect(path=f"{CONSOLE}/t/{tenant_id}/inbox/{lead_id}", status_code=303)


def _tenant_of(container: Container, session: ConsoleSession, lead_id: str) -> str:
    """The tenant of `lead_id` among those this login may see; 404 when none has it."""
    require_uuid(lead_id)
    tenants = (
        [session.tenant_id]
        if session.tenant_id is not None
        else [t.tenant_id for t in container.config.tenants()]
    )
    for tenant_id in tenants:
        if get_lead(container.db, tenant_id, lead_id) is not None:
            return tenant_id
    raise NotFoundException("no such lead")
