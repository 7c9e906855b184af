"""Staff actions on one lead: pause and resume its automation, or hand it to the shop.

`POST /api/tenants/{tenant_id}/leads/{lead_id}/pause | resume | hand-to-shop`, tenant-scoped through
`tenant_access` (another tenant's lead is 404 like a missing one). The caller (`X-Actor`, or the token)
is recorded as who paused or resumed. A refused transition ("already paused") is 422 with the reason.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from leadorch.app.bootstrap import Container
from leadorch.app.http.auth import Principal, tenant_access
from leadorch.app.leads import use_cases
from leadorch.domain.lead import Lead

Reason = Annotated[str, msgspec.Meta(max_length=500)]


class PauseRequest(msgspec.Struct, frozen=True, kw_only=True):
    reason: Reason = ""


class HandToShopRequest(msgspec.Struct, frozen=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class LeadAutomation(msgspec.Struct, frozen=True, kw_only=True):
    """The lead's state after the action."""

    lead_id: str
    status: str
    automation_paused: bool
    paused_by: str | None
    cadence: str


def _state(container: Container, tenant_id: str, lead_id: UUID) -> LeadAutomation:
    lead = container.store.load(lead_id, Lead, tenant_id)
    schedule = use_cases.load_schedule(container.store, tenant_id, lead_id)
    if schedule is None:
        cadence = "none"
    elif schedule.is_stopped:
        cadence = "stopped"
    elif schedule.is_finished:
        cadence = "finished"
    else:
        cadence = "paused" if schedule.is_paused else "active"
    return LeadAutomation(
        lead_id=str(lead.id),
        status=str(lead.status),
        automation_paused=lead.automation_paused,
        paused_by=lead.paused_by,
        cadence=cadence,
    )


class LeadActionsController(Controller):
    path = "/api/tenants/{tenant_id:str}/leads/{lead_id:uuid}"
    tags = ["leads"]
    dependencies = {"access": Provide(tenant_access, sync_to_thread=True)}

    @post("/pause", sync_to_thread=True, status_code=HTTP_200_OK)
    def pause(
        self,
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[UUID],
        access: NamedDependency[Principal],
        data: JSONBody[PauseRequest | None] = None,
    ) -> LeadAutomation:
        """A person takes over: no automated message goes out until resumed."""
        reason = data.reason if data is not None else ""
        use_cases.pause(container, tenant_id, lead_id, by=access.actor, reason=reason)
        return _state(container, tenant_id, lead_id)

    @post("/resume", sync_to_thread=True, status_code=HTTP_200_OK)
    def resume(
        self,
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[UUID],
        access: NamedDependency[Principal],
    ) -> LeadAutomation:
        """Hand the lead back to the automation; the next touch is rescheduled from now."""
        use_cases.resume(container, tenant_id, lead_id, by=access.actor)
        return _state(container, tenant_id, lead_id)

    @post("/hand-to-shop", sync_to_thread=True, status_code=HTTP_200_OK)
    def hand_to_shop(
        self,
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[UUID],
        access: NamedDependency[Principal],
        data: JSONBody[HandToShopRequest],
    ) -> LeadAutomation:
        """The shop takes the lead over for good: the cadence stops."""
        use_cases.hand_to_shop(container, tenant_id, lead_id, reason=f"{data.reason} ({access.actor})")
        return _state(container, tenant_id, lead_id)
