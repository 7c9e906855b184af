"""The inbox lifecycle of a delivery: claim the row, hand its order (or appointment) on, then close the
row with what happened or give it back for a retry.

Kept apart from the decisions so that the inbox's rules (leases, what is rejected for good, what is
retried) can change without touching what an order version means for a lead.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from leadorch.app.booking.shop_changes import ShopCalendarChanges
from leadorch.app.config.errors import UnknownTenant
from leadorch.app.ingestion.decisions import IngestDecision, OrderDecisions
from leadorch.app.ingestion.inbox import InboxRow, InboxStatus, OrderChange, WebhookInbox
from leadorch.app.ingestion.new_lead_follow_up import NewLeadFollowUp
from leadorch.domain.errors import DomainError
from leadorch.domain.intake import IntakeOutcome
from leadorch.ports.crm import CrmError

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)
"""The longest a claim holds a row: the bound for a claim with no known worker, or one whose worker
still beats (a job stuck that long is given up on). A claim of a dead worker is taken over sooner."""


class InboxDeliveries:
    """Processes webhook inbox rows: one claim, one decision, one closed (or released) row."""

    def __init__(
        self,
        container: Container,
        inbox: WebhookInbox,
        decisions: OrderDecisions,
        follow_up: NewLeadFollowUp,
    ) -> None:
        self.container = container
        self.clock = container.clock
        self.inbox = inbox
        self.decisions = decisions
        self.follow_up = follow_up
        self.shop_changes = ShopCalendarChanges(container)

    def process_delivery(self, request_id: str) -> IngestDecision | None:
        """Claim a pending inbox row, decide on it and close it; None if it was not ours to process.

        A temporary CRM failure puts the row back for the relay (after a backoff); any other error is
        raised after giving the row back, so nothing is lost either way.
        """
        liveness = self.container.liveness  # read at call time: a test may replace it
        row = self.inbox.claim(
            request_id,
            now=self.clock.now(),
            lease=CLAIM_LEASE,
            owner=liveness.worker_id,
            gone_before=liveness.dead_before(),
        )
        if row is None:
            return None
        return self.process_claimed(row)

    def process_claimed(self, row: InboxRow) -> IngestDecision | None:
        if row.appointment is not None:
            self._process_appointment(row)
            return None
        if row.order is None:
            self.inbox.finish(
                row.request_id, status=InboxStatus.REJECTED, reason="no order row", now=self.clock.now()
            )
            return None
        try:
            decision = self.decisions.process_order(
                row.tenant_id, row.order, source=row.source, received_at=row.received_at, change=row.change
            )
        except UnknownTenant as exc:
            self.inbox.finish(
                row.request_id, status=InboxStatus.REJECTED, reason=str(exc), now=self.clock.now()
            )
            return None
        except CrmError as exc:
            log.warning("order %s not processed yet, will retry: %s", row.order.id, exc)
            self.inbox.release(row.request_id, reason=f"will retry: {exc}", now=self.clock.now())
            return None
        except BaseException as exc:
            self.inbox.release(
                row.request_id, reason=f"will retry: {type(exc).__name__}: {exc}", now=self.clock.now()
            )
            raise
        if decision.duplicate and decision.outcome is IntakeOutcome.LEAD_CREATED and row.attempts > 1:
            # An earlier attempt saved the lead and stopped before closing the row: finish its work.
            self.follow_up.after_lead_created(row.tenant_id, decision.lead_id)
        status = InboxStatus.REJECTED if decision.outcome is IntakeOutcome.REJECTED else InboxStatus.PROCESSED
        self.inbox.finish(row.request_id, status=status, reason=decision.summary, now=self.clock.now())
        return decision

    def _process_appointment(self, row: InboxRow) -> None:
        """A change in the shop's calendar (see `booking/shop_changes.py`), closed with what it did."""
        assert row.appointment is not None
        try:
            change = self.shop_changes.apply(
                row.tenant_id, row.appointment, deleted=row.change is OrderChange.DELETE
            )
        except DomainError as exc:  # the row breaks a rule of ours (e.g. it ends before it starts)
            self.inbox.finish(
                row.request_id, status=InboxStatus.REJECTED, reason=str(exc), now=self.clock.now()
            )
            return
        except BaseException as exc:
            self.inbox.release(
                row.request_id, reason=f"will retry: {type(exc).__name__}: {exc}", now=self.clock.now()
            )
            raise
        status = InboxStatus.IGNORED if change.outcome == "ignored" else InboxStatus.PROCESSED
        self.inbox.finish(row.request_id, status=status, reason=change.summary, now=self.clock.now())
