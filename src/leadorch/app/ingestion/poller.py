"""The polling backup: orders whose webhook never came are found by listing recently updated orders.

How the CRM's listing is read to its end (paging, sorting, re-reads, rows outside the filter) is the CRM
adapter's business (`Crm.list_orders_updated_since`); this module decides *which window* to ask for and
what to do with what came back:

- windows overlap: each poll starts `OVERLAP` before the cursor, and every `SWEEP_EVERY`-th poll
  re-scans the last `SWEEP_WINDOW`, so an order the CRM made visible late, or a listing missed, is
  found by a later one;
- each order version goes into the webhook inbox under its natural key (order id + `updatedDate`), so a
  version the webhook or an earlier poll already brought is never processed twice;
- the cursor advances only after the batch is processed, and only past a complete listing.

Appointments are polled the same way, with a cursor of their own (`appointment_cursor_at`): staff moving,
cancelling or confirming one in the shop's calendar, or making one on a lead's order, reaches us even
when the webhook is broken (it can sit in an error state in ShopMonkey and stop delivering). Each
version goes into the inbox under its natural key (appointment id + `updatedDate`), down the webhook's
path (`booking/shop_changes.py`). A failing appointment listing leaves its cursor where it was and does
not stop the order poll. Deletions are not listed: only the webhook tells of those.

Two pollers (two worker processes) cannot poll one tenant at once: a lease on the tenant's cursor row
(taken with one conditional UPDATE, portable across PostgreSQL and SQLite) lets one through; the inbox
key would still keep them from double-processing if a lease ever expired mid-poll. The lease names the
worker that took it (`lease_worker`, `app/worker/liveness.py`): when that worker stops beating (killed
mid-poll) the next poll takes the lease over at once instead of leaving the backup poll off until the
lease ends.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from leadorch.app.ingestion.inbox import (
    WebhookInbox,
    appointment_row,
    order_row,
    parse_timestamp,
    timestamp_text,
)
from leadorch.app.ingestion.service import IngestionService
from leadorch.app.worker.liveness import owner_gone_sql
from leadorch.ports.crm import AppointmentListing, Crm, CrmError, OrderListing

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

SCHEMA: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS crm_poll_cursors (
        tenant_id TEXT PRIMARY KEY,
        cursor_at TEXT,
        polls BIGINT NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_worker TEXT,
        lease_until TEXT,
        last_poll_at TEXT,
        last_result TEXT,
        appointment_cursor_at TEXT
    )
    """,
]
ADDED_COLUMNS: list[tuple[str, str, str]] = [
    ("crm_poll_cursors", "appointment_cursor_at", "TEXT"),
    ("crm_poll_cursors", "lease_worker", "TEXT"),
]

OVERLAP = timedelta(minutes=5)
SWEEP_EVERY = 10
SWEEP_WINDOW = timedelta(hours=24)
FIRST_LOOKBACK = timedelta(hours=24)
LEASE = timedelta(minutes=10)
"""The longest one poll holds its tenant's lock: the bound when its worker is unknown or still beats
(a poll stuck that long is given up on); a dead worker's lock is taken over sooner."""


@dataclass
class PollResult:
    """What one poll of one tenant did."""

    tenant_id: str
    busy: bool = False
    since: datetime | None = None
    swept: bool = False
    rows_returned: int = 0
    versions_matching: int = 0
    versions_new: int = 0
    passes: int = 0
    complete: bool = False
    cursor_before: datetime | None = None
    cursor_after: datetime | None = None
    outcomes: dict[str, int] = field(default_factory=dict)
    appointment_versions_new: int = 0
    appointment_cursor_after: datetime | None = None
    appointments_complete: bool = False


class CrmPoller:
    """Polls one tenant's CRM for updated orders and sends each new version down the webhook's path."""

    def __init__(self, container: Container, service: IngestionService | None = None) -> None:
        self.container = container
        self.clock = container.clock
        self.db = container.db
        self.service = service or IngestionService(container)
        self.inbox = WebhookInbox(container.db)

    def poll(self, tenant_id: str) -> PollResult:
        owner = uuid.uuid4().hex
        state = self._take_lease(tenant_id, owner)
        if state is None:
            return PollResult(tenant_id=tenant_id, busy=True)
        cursor, polls, appointment_cursor = state
        result = PollResult(
            tenant_id=tenant_id,
            cursor_before=cursor,
            cursor_after=cursor,
            appointment_cursor_after=appointment_cursor,
        )
        try:
            self._poll(tenant_id, cursor, polls, result)
            self._poll_appointments(tenant_id, appointment_cursor, result)
        finally:
            self._give_back_lease(tenant_id, owner, result)
        return result

    def _poll(self, tenant_id: str, cursor: datetime | None, polls: int, result: PollResult) -> None:
        now = self.clock.now()
        result.swept = cursor is None or (polls + 1) % SWEEP_EVERY == 0
        since = now - FIRST_LOOKBACK if cursor is None else cursor - OVERLAP
        if result.swept:
            since = min(since, now - SWEEP_WINDOW)
        result.since = since
        listing = self._list(tenant_id, since)
        result.rows_returned, result.passes, result.complete = (
            listing.rows_returned,
            listing.passes,
            listing.complete,
        )
        result.versions_matching = len(listing.orders)
        known = self.inbox.order_versions_since(tenant_id, since)
        for order in listing.orders:  # oldest first
            order_id, updated = order.id, order.updated_date
            if (order_id, updated) in known:
                continue
            request_id = f"poll:{tenant_id}:{order_id}:{timestamp_text(updated)}"
            fresh = self.inbox.record(
                order_row(
                    request_id=request_id,
                    tenant_id=tenant_id,
                    source="poll",
                    received_at=self.clock.now(),
                    headers={},
                    raw_body=msgspec.json.encode(order).decode(),  # the order as the CRM port read it
                    operation="UPDATE",
                    order=order,
                )
            )
            if not fresh:
                continue  # the webhook (or another poller) recorded this version a moment ago
            result.versions_new += 1
            decision = self.service.process_delivery(request_id)
            key = str(decision.outcome) if decision is not None else "retry_later"
            result.outcomes[key] = result.outcomes.get(key, 0) + 1
        if listing.complete and listing.orders:
            newest = max(order.updated_date for order in listing.orders)
            if cursor is None or newest > cursor:
                result.cursor_after = newest
        elif listing.complete and cursor is None:
            result.cursor_after = since

    def _poll_appointments(self, tenant_id: str, cursor: datetime | None, result: PollResult) -> None:
        """Staff's calendar changes since the appointment cursor, each new version down the webhook's path."""
        now = self.clock.now()
        since = now - FIRST_LOOKBACK if cursor is None else cursor - OVERLAP
        if result.swept:
            since = min(since, now - SWEEP_WINDOW)
        crm: Crm = self.service.crm_for_tenant(tenant_id)
        run: Callable[[Coroutine[Any, Any, AppointmentListing]], AppointmentListing] = self.service.run_crm
        try:
            listing = run(crm.list_appointments_changed_since(since))
        except CrmError as exc:  # the order poll stands; this cursor stays for the next poll
            log.warning("tenant %s: appointments not polled: %s", tenant_id, exc)
            return
        known = self.inbox.appointment_versions_since(tenant_id, since)
        for appointment in listing.appointments:  # oldest first
            updated = appointment.updated_date
            assert updated is not None  # the listing holds versions with a time only
            if (appointment.id, updated) in known:
                continue
            request_id = f"poll:{tenant_id}:appointment:{appointment.id}:{timestamp_text(updated)}"
            fresh = self.inbox.record(
                appointment_row(
                    request_id=request_id,
                    tenant_id=tenant_id,
                    source="poll",
                    received_at=self.clock.now(),
                    headers={},
                    raw_body=msgspec.json.encode(appointment).decode(),
                    operation="UPDATE",
                    appointment=appointment,
                )
            )
            if fresh:
                result.appointment_versions_new += 1
                self.service.process_delivery(request_id)
        result.appointments_complete = listing.complete
        if listing.complete:
            newest = max((a.updated_date for a in listing.appointments if a.updated_date), default=None)
            if newest is not None and (cursor is None or newest > cursor):
                result.appointment_cursor_after = newest
            elif cursor is None:
                result.appointment_cursor_after = since

    def _list(self, tenant_id: str, since: datetime) -> OrderListing:
        crm: Crm = self.service.crm_for_tenant(tenant_id)
        run: Callable[[Coroutine[Any, Any, OrderListing]], OrderListing] = self.service.run_crm
        return run(crm.list_orders_updated_since(since))

    # -------------------------------------------------------------------------------------- lease

    def _take_lease(self, tenant_id: str, owner: str) -> tuple[datetime | None, int, datetime | None] | None:
        now = self.clock.now()
        liveness = self.container.liveness
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO crm_poll_cursors (tenant_id, polls) VALUES (%s, 0) ON CONFLICT DO NOTHING",
                (tenant_id,),
            )
            cur.execute(
                f"""
                UPDATE crm_poll_cursors SET lease_owner = %s, lease_worker = %s, lease_until = %s
                WHERE tenant_id = %s
                    AND (lease_until IS NULL OR lease_until < %s OR {owner_gone_sql("lease_worker")})
                """,
                (
                    owner,
                    liveness.worker_id,
                    timestamp_text(now + LEASE),
                    tenant_id,
                    timestamp_text(now),
                    liveness.dead_before(),
                ),
            )
            if cur.rowcount != 1:
                return None
            cur.execute(
                "SELECT cursor_at, polls, appointment_cursor_at FROM crm_poll_cursors WHERE tenant_id = %s",
                (tenant_id,),
            )
            row = cur.fetchone()
        assert row is not None
        return (
            (parse_timestamp(row[0]) if row[0] else None),
            int(row[1]),
            (parse_timestamp(row[2]) if row[2] else None),
        )

    def _give_back_lease(self, tenant_id: str, owner: str, result: PollResult) -> None:
        summary = msgspec.json.encode(
            {
                "complete": result.complete,
                "new": result.versions_new,
                "outcomes": result.outcomes,
                "appointments_new": result.appointment_versions_new,
            }
        ).decode()
        cursor = timestamp_text(result.cursor_after) if result.cursor_after else None
        appointments = result.appointment_cursor_after
        with self.db.transaction() as cur:
            cur.execute(
                """
                UPDATE crm_poll_cursors SET lease_owner = NULL, lease_worker = NULL, lease_until = NULL,
                    polls = polls + 1,
                    cursor_at = %s, last_poll_at = %s, last_result = %s, appointment_cursor_at = %s
                WHERE tenant_id = %s AND lease_owner = %s
                """,
                (
                    cursor,
                    timestamp_text(self.clock.now()),
                    summary,
                    timestamp_text(appointments) if appointments else None,
                    tenant_id,
                    owner,
                ),
            )

    def cursor(self, tenant_id: str) -> datetime | None:
        with self.db.transaction() as cur:
            cur.execute("SELECT cursor_at FROM crm_poll_cursors WHERE tenant_id = %s", (tenant_id,))
            row = cur.fetchone()
        return parse_timestamp(row[0]) if row and row[0] else None


def tenants_to_poll(container: Container) -> list[str]:
    """Tenants with a CRM API key: the others have nothing to poll."""
    return [tenant.tenant_id for tenant in container.config.repository.tenants() if tenant.crm_api_key_set]
