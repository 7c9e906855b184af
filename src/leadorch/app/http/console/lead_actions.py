"""The buttons on a lead's console page: pause, resume, hand to the shop, resolve a touch in doubt.

Each runs the same use case as the API and redirects back to the lead's page with what happened, or
with the domain's reason not to (Post/Redirect/Get).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect

from leadorch.app.bootstrap import Container
from leadorch.app.console import settings_forms
from leadorch.app.console.read_your_writes import catch_up_briefly
from leadorch.app.console.session import ConsoleSession
from leadorch.app.console.touch_resolution import OUTCOMES, resolve_uncertain_touch
from leadorch.app.console.web import go, read_form, tenant_session
from leadorch.app.eventstore.store import ConcurrencyConflict
from leadorch.app.http.console.lead_links import lead_path, require_uuid
from leadorch.app.leads import use_cases
from leadorch.domain.errors import DomainError

Form = dict[str, Any]


class LeadActionsController(Controller):
    path = "/t/{tenant_id:str}/leads/{lead_id:str}"
    dependencies = {"session": Provide(tenant_session, sync_to_thread=True)}

    @post("/pause", sync_to_thread=True)
    def pause(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Redirect:
        form = read_form(request, session, data)
        reason = settings_forms.one(form, "reason").strip()[:500]
        return _lead_action(
            request,
            container,
            tenant_id,
            lead_id,
            lambda: use_cases.pause(container, tenant_id, lead_id, by=session.principal.actor, reason=reason),
            "Automation paused: no automated message goes out until it is resumed.",
        )

    @post("/resume", sync_to_thread=True)
    def resume(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Redirect:
        read_form(request, session, data)
        return _lead_action(
            request,
            container,
            tenant_id,
            lead_id,
            lambda: use_cases.resume(container, tenant_id, lead_id, by=session.principal.actor),
            "Automation resumed: the next touch is scheduled from now.",
        )

    @post("/hand-to-shop", sync_to_thread=True)
    def hand_to_shop(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Redirect:
        form = read_form(request, session, data)
        reason = settings_forms.one(form, "reason").strip()[:500]
        if not reason:
            return go(request, lead_path(tenant_id, lead_id), error="say why the shop takes this lead over")
        return _lead_action(
            request,
            container,
            tenant_id,
            lead_id,
            lambda: use_cases.hand_to_shop(
                container, tenant_id, lead_id, reason=f"{reason} ({session.principal.actor})"
            ),
            "Handed to the shop: the automation stopped for good.",
        )

    @post("/touches/{touch_number:int}/resolve", sync_to_thread=True)
    def resolve_touch(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[str],
        touch_number: FromPath[int],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Redirect:
        form = read_form(request, session, data)
        outcome = settings_forms.one(form, "outcome")
        if outcome not in OUTCOMES:
            return go(
                request, lead_path(tenant_id, lead_id), error="choose whether the message was sent or not"
            )
        words = "was sent" if outcome == "sent" else "was not sent"
        return _lead_action(
            request,
            container,
            tenant_id,
            lead_id,
            lambda: resolve_uncertain_touch(
                container,
                tenant_id,
                lead_id,
                touch_number=touch_number,
                outcome=outcome,
                by=session.principal.actor,
            ),
            f"Recorded that touch {touch_number} {words}.",
        )


def _lead_action(
    request: Request[Any, Any, Any],
    container: Container,
    tenant_id: str,
    lead_id: str,
    act: Callable[[], object],
    done: str,
) -> Redirect:
    """Run a lead use case; the lead page then shows what happened (or the domain's reason not to)."""
    require_uuid(lead_id)
    try:
        act()
    except (DomainError, ConcurrencyConflict) as refused:
        return go(request, lead_path(tenant_id, lead_id), error=str(refused))
    catch_up_briefly(container)  # the page the browser is sent to reads the read models
    return go(request, lead_path(tenant_id, lead_id), notice=done)
