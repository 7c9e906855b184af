"""Ingestion's one entry point: the facade the rest of the app calls (`container.ingestion`).

It builds the parts, each with one reason to change, and hands each call to the part that does it:
`deliveries.py` (the inbox lifecycle: claim, close or give back a row), `decisions.py` (what an order
version means for a lead, decided and saved), `crm_reads.py` (the reads from the tenant's CRM) and
`new_lead_follow_up.py` (touch 1 and the staff alert after a new lead).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadorch.app.crm import crm_for
from leadorch.app.eventstore.store import EventStore
from leadorch.app.ingestion.crm_reads import CrmReads
from leadorch.app.ingestion.decisions import IngestDecision, OrderDecisions
from leadorch.app.ingestion.deliveries import CLAIM_LEASE, InboxDeliveries
from leadorch.app.ingestion.inbox import InboxRow, OrderChange, WebhookInbox
from leadorch.app.ingestion.new_lead_follow_up import NewLeadFollowUp
from leadorch.app.ingestion.tenancy import TenantViews
from leadorch.ports.crm import Crm, CrmOrder

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

__all__ = ["CLAIM_LEASE", "IngestDecision", "IngestionService"]


class IngestionService:
    """Turns CRM order versions into lead decisions. One instance per container is enough."""

    def __init__(
        self,
        container: Container,
        *,
        crm: Callable[[str], Crm] | None = None,
        run: Callable[[Coroutine[Any, Any, Any]], Any] | None = None,
    ) -> None:
        self.container = container
        self.store: EventStore = container.store
        self.clock = container.clock
        self.inbox = WebhookInbox(container.db)
        self.tenants = TenantViews(container)
        self.crm_for_tenant = crm or (lambda tenant_id: crm_for(container, tenant_id))
        self.run_crm = run or container.crm.run
        self.reads = CrmReads(container, self.crm_for_tenant, self.run_crm)
        self.follow_up = NewLeadFollowUp(container, self.tenants)
        self.decisions = OrderDecisions(container, self.tenants, self.reads, self.follow_up)
        self.deliveries = InboxDeliveries(container, self.inbox, self.decisions, self.follow_up)

    def process_delivery(self, request_id: str) -> IngestDecision | None:
        """Claim a pending inbox row, decide on it and close it; None if it was not ours to process."""
        return self.deliveries.process_delivery(request_id)

    def process_claimed(self, row: InboxRow) -> IngestDecision | None:
        """Decide on an inbox row already claimed, and close it (or give it back)."""
        return self.deliveries.process_claimed(row)

    def process_order(
        self,
        tenant_id: str,
        order: CrmOrder,
        *,
        source: str,
        received_at: datetime,
        change: OrderChange = OrderChange.UPSERT,
    ) -> IngestDecision:
        """Decide on one version of `order` (see `decisions.py`) and record the decision."""
        return self.decisions.process_order(
            tenant_id, order, source=source, received_at=received_at, change=change
        )

    def alert_staff(self, tenant_id: str, lead_id: str) -> list[Any]:
        """Alert the shop's staff to a new lead (see `new_lead_follow_up.py`)."""
        return self.follow_up.alert_staff(tenant_id, lead_id)
