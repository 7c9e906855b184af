"""What follows a new lead, once: touch 1 right away (speed to lead) and the alert to the shop's staff.

"Once" although the step may run again: a delivery retried after a crash between saving the lead and
closing its inbox row finds the lead made and finishes its work (`deliveries.py`). Each part is
idempotent by a claim: touch 1 by the schedule's (`touches/dispatch.py`: a second dispatch job finds
nothing due), each copy of the alert by its row in `staff_alert_copies` (`app/staff_alert_claims.py`).

Its own module because it changes for other reasons than the decision itself (how the first touch is
queued, who is alerted and how), and because both a fresh import and a delivery retried after a crash
finish a new lead the same way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from leadorch.app.ingestion.staff_alert import NewLeadFacts, send_new_lead_alert
from leadorch.app.ingestion.tenancy import TenantViews
from leadorch.app.staff_alert_claims import StaffAlertClaims
from leadorch.app.touches.actors import DISPATCH_TOUCH
from leadorch.app.worker.enqueue import enqueue
from leadorch.domain import ids
from leadorch.domain.lead import Lead

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)


class NewLeadFollowUp:
    """Touch 1 and the staff alert for a lead an import just created."""

    def __init__(self, container: Container, tenants: TenantViews) -> None:
        self.container = container
        self.store = container.store
        self.tenants = tenants

    def after_lead_created(self, tenant_id: str, lead_id: str | None) -> None:
        """Touch 1 right away (speed to lead), then the staff alert. Neither may undo the import."""
        if lead_id is None:
            return
        schedule_id = str(ids.schedule_id(lead_id))
        enqueue(self.container, DISPATCH_TOUCH, tenant_id, schedule_id, inline=False)  # else: the tick
        try:
            self.alert_staff(tenant_id, lead_id)
        except Exception:
            log.exception("new-lead alert for lead %s failed", lead_id)

    def alert_staff(self, tenant_id: str, lead_id: str) -> list[Any]:

        lead = self.store.load(UUID(lead_id), Lead, tenant_id)
        view = self.tenants.get(tenant_id)
        location = next(
            (loc for loc in view.locations_by_crm_id.values() if loc.location_id == lead.location_id), None
        )
        if location is None:
            return []
        facts = NewLeadFacts(
            lead_id=lead_id,
            first_name=lead.contact.first_name,
            vehicle=lead.vehicle.description,
            services=lead.services,
        )
        return send_new_lead_alert(
            messenger=self.container.messenger,
            tenant=view.tenant,
            location=location,
            facts=facts,
            settings=self.container.settings,
            claims=StaffAlertClaims(self.container.db),
            now=self.container.clock.now(),
        )
