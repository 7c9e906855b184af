"""Ingestion's background jobs: process an inbox delivery, relay what is pending, poll, sync catalogs.

Every job is safe to run twice (two worker processes each run a scheduler): deliveries are claimed,
polls take a lease per tenant, and catalog syncs converge on the CRM's list.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from leadorch.app.crm_health import check_webhooks
from leadorch.app.ingestion.catalog import sync_catalog
from leadorch.app.ingestion.delivery_job import PROCESS_INBOX_DELIVERY
from leadorch.app.ingestion.inbox import WebhookInbox, workers_listen
from leadorch.app.ingestion.inbox_feed import InboxFeed, send_due_deliveries
from leadorch.app.ingestion.poller import CrmPoller, tenants_to_poll
from leadorch.app.worker.enqueue import enqueue
from leadorch.app.worker.specs import ActorSpec, PeriodicSpec

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

RELAY_INTERVAL_SECONDS = 5.0
WEBHOOK_CHECK_INTERVAL_SECONDS = 600.0
CATALOG_INTERVAL_SECONDS = 24 * 3600.0


def relay_inbox(container: Container) -> int:
    """Re-send pending deliveries nobody is working on: an acknowledged delivery is never lost."""
    if container.runtime is None:  # a periodic job: only ever run by a worker's runtime
        raise RuntimeError("relay_inbox runs in a worker process")
    due = send_due_deliveries(container, WebhookInbox(container.db), now=container.clock.now())
    if due:
        log.info("relayed %d pending deliveries", len(due))
    return len(due)


def poll_crm(container: Container) -> None:
    """Fan out one poll per tenant with a CRM connection."""
    for tenant_id in tenants_to_poll(container):
        enqueue(container, POLL_TENANT, tenant_id)


def poll_tenant(container: Container, tenant_id: str) -> None:
    result = CrmPoller(container, container.ingestion).poll(tenant_id)
    if result.busy:
        log.info("tenant %s is being polled by another worker", tenant_id)
    elif result.versions_new or result.appointment_versions_new:
        log.info(
            "poll of tenant %s found %d new order versions (%s) and %d appointment versions",
            tenant_id,
            result.versions_new,
            result.outcomes,
            result.appointment_versions_new,
        )


def sync_catalogs(container: Container) -> None:
    """Fan out one catalog sync per tenant with a CRM connection."""
    for tenant_id in tenants_to_poll(container):
        enqueue(container, SYNC_CATALOG, tenant_id)


def sync_tenant_catalog(container: Container, tenant_id: str) -> None:
    result = sync_catalog(container, tenant_id)
    log.info(
        "catalog of tenant %s synced: %d added, %d updated, %d deactivated",
        tenant_id,
        len(result.added),
        len(result.updated),
        len(result.deactivated),
    )


def check_crm_webhooks(container: Container) -> None:
    """Whether each tenant's ShopMonkey webhook fell into its error state (shown on /ready, the console)."""
    check_webhooks(container)


RELAY_INBOX = ActorSpec("relay_inbox", relay_inbox, queue="ingest", max_retries=0)
POLL_CRM = ActorSpec("poll_crm", poll_crm, queue="ingest", max_retries=0)
POLL_TENANT = ActorSpec("poll_tenant", poll_tenant, queue="ingest", max_retries=0, time_limit_ms=15 * 60_000)
SYNC_CATALOGS = ActorSpec("sync_catalogs", sync_catalogs, queue="ingest", max_retries=0)
CHECK_CRM_WEBHOOKS = ActorSpec("check_crm_webhooks", check_crm_webhooks, queue="ingest", max_retries=0)
SYNC_CATALOG = ActorSpec(
    "sync_catalog", sync_tenant_catalog, queue="ingest", max_retries=3, time_limit_ms=10 * 60_000
)

ACTORS: list[ActorSpec] = [
    PROCESS_INBOX_DELIVERY,
    RELAY_INBOX,
    POLL_CRM,
    POLL_TENANT,
    SYNC_CATALOGS,
    CHECK_CRM_WEBHOOKS,
    SYNC_CATALOG,
]


def inbox_feed(container: Container) -> InboxFeed | None:
    """Listen for webhook deliveries committed by the API when the workers are woken by commits."""
    return InboxFeed(container) if workers_listen(container) else None


FEEDS = [inbox_feed]

PERIODIC: list[PeriodicSpec] = [
    PeriodicSpec(RELAY_INBOX.name, lambda settings: RELAY_INTERVAL_SECONDS),
    PeriodicSpec(POLL_CRM.name, lambda settings: float(settings.poll_interval_seconds)),
    PeriodicSpec(SYNC_CATALOGS.name, lambda settings: CATALOG_INTERVAL_SECONDS),
    PeriodicSpec(CHECK_CRM_WEBHOOKS.name, lambda settings: WEBHOOK_CHECK_INTERVAL_SECONDS),
]
